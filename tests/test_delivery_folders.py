"""Maildir and .eml delivery at the durable limit, and exactly-once when the process is
killed with SIGKILL in the middle of a batch (every optimisation on: batches, syncfs or
parallel fsync, one listing of cur/)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from syndicate.config import Config, load_config
from syndicate.delivery import folders
from syndicate.delivery.handover import Copy
from syndicate.run import pipeline
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber
from tests.conftest import REPO, write_config


def seed(config: Config, count: int) -> None:
    conn = open_store(config.db_path)
    conn.execute("PRAGMA synchronous=OFF")  # seeding only: one fsync per address is slow
    now = datetime.now(config.site.tz)
    for i in range(count):
        add_subscriber(conn, f"reader{i:05d}@example.org", f"Pembaca {i}", now, resubscribe=True)
    conn.close()


def delivered_names(outbox: Path) -> Counter:
    names = Counter()
    for sub in ("new", "cur"):
        folder = outbox / sub
        if folder.is_dir():
            names.update(p.name.split(":", 1)[0] for p in folder.iterdir())
    return names


def statuses(config: Config) -> Counter:
    conn = open_store(config.db_path)
    try:
        return Counter(r["status"] for r in conn.execute("SELECT status FROM deliveries"))
    finally:
        conn.close()


@pytest.mark.parametrize("durable", ["syncfs", "threads"])
def test_exactly_once_after_sigkill_mid_batch(site: Path, durable: str, monkeypatch):
    write_config(site, "")
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    seed(config, 2500)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if durable == "threads":
        env["SYNDICATE_TEST_NO_SYNCFS"] = "1"
    code = (
        "import os, sys\n"
        "from syndicate.delivery import folders\n"
        "if os.environ.get('SYNDICATE_TEST_NO_SYNCFS'):\n"
        "    folders._syncfs_usable = lambda: None\n"
        "from syndicate.cli import main\n"
        f"config = {str(site / 'config.toml')!r}\n"
        "sys.exit(main(['run', '--digest', 'now', '--quiet', '--config', config]))\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=site)
    new = config.path("outbox") / "new"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if len(os.listdir(new)) >= 700:
                break
        except FileNotFoundError:
            pass
        if child.poll() is not None:
            pytest.fail(f"the run ended (exit {child.returncode}) before it could be killed")
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    before = delivered_names(config.path("outbox"))
    assert 0 < sum(before.values()) < 2501, "killed too late to test anything"
    recorded = statuses(config)["sent"]  # files linked but not yet recorded: not counted
    # A reader takes some of them meanwhile (new/ → cur/ with flags).
    for name in sorted(before)[:50]:
        os.rename(new / name, config.path("outbox") / "cur" / f"{name}:2,S")
    report = pipeline.run(config)
    after = delivered_names(config.path("outbox"))
    assert len(after) == 2501 and set(after.values()) == {1}  # everyone exactly once
    assert statuses(config) == {"sent": 2501}
    assert report.sent == 2501 - recorded  # what was linked but unrecorded counts as sent
    assert os.listdir(config.path("outbox") / "tmp") == []  # the killed run's temp files went


def test_a_batch_writes_each_copy_once_and_finds_what_a_reader_moved(tmp_path: Path):
    writer = folders.FolderWriter.maildir(tmp_path)
    copies = [
        Copy(("d", f"r{i}"), f"d.{i}.syndicate", "s@x.org", f"r{i}@x.org", b"m\r\n")
        for i in range(5)
    ]
    assert [r.kind for r in writer.write(copies, lambda _c: True)] == ["sent"] * 5
    os.rename(tmp_path / "new" / "d.0.syndicate", tmp_path / "cur" / "d.0.syndicate:2,RS")
    again = folders.FolderWriter.maildir(tmp_path)  # a later run: one listing of new/ and cur/
    results = again.write(copies, lambda _c: True)
    assert all("already there" in r.detail for r in results)
    assert sorted(os.listdir(tmp_path / "new")) == [f"d.{i}.syndicate" for i in range(1, 5)]
    assert os.listdir(tmp_path / "tmp") == []


def test_a_copy_withdrawn_before_its_link_never_appears(tmp_path: Path):
    writer = folders.FolderWriter.maildir(tmp_path)
    copies = [
        Copy(("d", f"r{i}"), f"d.{i}.syndicate", "s@x.org", f"r{i}@x.org", b"m\r\n")
        for i in range(3)
    ]
    asked = []

    def wanted(copy: Copy) -> bool:
        asked.append(copy.name)
        return copy.key != ("d", "r1")  # r1 unsubscribed while the batch was being written

    results = writer.write(copies, wanted)
    assert [r.kind for r in results] == ["sent", "untried", "sent"]
    assert asked == [c.name for c in copies]  # asked per copy, right before its link
    assert sorted(os.listdir(tmp_path / "new")) == ["d.0.syndicate", "d.2.syndicate"]
    assert os.listdir(tmp_path / "tmp") == []  # the withdrawn copy left nothing behind


def test_no_scan_of_cur_per_message(tmp_path: Path, monkeypatch):
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    for i in range(2000):
        (tmp_path / "cur" / f"1700000000.M{i}P1.host:2,S").touch()
    listed = []
    real = os.scandir
    monkeypatch.setattr(folders.os, "scandir", lambda p: listed.append(str(p)) or real(p))
    writer = folders.FolderWriter.maildir(tmp_path)
    copies = [Copy(("d", f"r{i}"), f"d.{i}.syndicate", "", "", b"m\r\n") for i in range(300)]
    writer.write(copies, lambda _c: True)
    writer.write(copies, lambda _c: True)
    assert sorted(listed) == sorted(str(tmp_path / s) for s in ("tmp", "new", "cur"))


def test_temp_files_of_dead_writers_are_removed_live_ones_kept(tmp_path: Path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = folders._HOST
    (temp / f".syndicate.{host}.{dead.pid}.1.tmp").write_bytes(b"half")
    (temp / f".syndicate.{host}.{os.getpid()}.2.tmp").write_bytes(b"mine, in use")
    (temp / f".syndicate.otherhost.{dead.pid}.3.tmp").write_bytes(b"another host's")
    (temp / "1700000000.M1P1.host").write_bytes(b"some other program's")
    assert folders.clean_temp_files(temp) == 1
    assert sorted(os.listdir(temp)) == sorted(
        [
            f".syndicate.{host}.{os.getpid()}.2.tmp",
            f".syndicate.otherhost.{dead.pid}.3.tmp",
            "1700000000.M1P1.host",
        ]
    )


@pytest.mark.parametrize("method", ["maildir", "eml"])
def test_parallel_fsync_without_syncfs(site: Path, method: str, monkeypatch):
    monkeypatch.setattr(folders, "_syncfs_usable", lambda: None)
    write_config(site, f"\n[delivery]\nmethod = '{method}'\n")
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    seed(config, 30)
    report = pipeline.run(config, digest="now")
    assert report.sent == 31
    outbox = config.path("outbox")
    files = list((outbox / "new").iterdir()) if method == "maildir" else list(outbox.glob("*.eml"))
    assert len(files) == 31
    mode = 0o600 if method == "maildir" else 0o644
    assert {f.stat().st_mode & 0o777 for f in files} == {mode}


def test_a_folder_batch_holds_at_most_its_byte_budget_of_copies():
    """A batch's copies are all in memory until staged: the next batch is sized from the
    last one's copies, so a large digest makes smaller batches (peak RSS stays flat)."""

    def copies(n: int, size: int) -> list[Copy]:
        return [Copy(("d", f"r{i}@example.org"), f"n{i}", "s", "r", b"x" * size) for i in range(n)]

    assert folders.next_batch([], folders.FOLDER_BATCH) == folders.FIRST_FOLDER_BATCH
    assert folders.next_batch(copies(3, 1_000), folders.FOLDER_BATCH) == folders.FOLDER_BATCH
    big = folders.next_batch(copies(3, 1_000_000), folders.FOLDER_BATCH)
    assert big * 1_000_000 <= folders.FOLDER_BATCH_BYTES < (big + 1) * 1_000_000
    assert folders.next_batch(copies(1, 100_000_000), folders.FOLDER_BATCH) == 1
    assert folders.next_batch(copies(3, 1_000), 7) == 7  # `deliver --batch`, a rate limit
