"""Check 3: PostgreSQL, 5,000 subscribers, `syndicate run --digest now` alongside three
`syndicate deliver` processes, one killed with SIGKILL half-way and a fourth started: every
subscriber gets exactly one message, none is lost, and every process exits on its own.

Real processes, a real server. The killed worker's claims do not wait for its lease: it ran
on this host and its process is gone, so the next worker to look releases them at once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from syndicate.config import load_config
from syndicate.store.connection import open_db
from syndicate.store.deliveries import delivery_counts
from syndicate.store.digests import create_digest, undigested_articles
from syndicate.store.postgresql import notify_queued
from syndicate.store.subscribers import subscriber_key
from tests.conftest import SAMPLE, write_config

SUBSCRIBERS = 5000
SYNDICATE = [sys.executable, "-m", "syndicate"]


def _start(site: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*SYNDICATE, *args, "--config", str(site / "config.toml")],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _delivered(site: Path) -> list[str]:
    new = site / "outbox" / "new"
    return os.listdir(new) if new.is_dir() else []


def test_run_and_workers_one_killed_deliver_exactly_once(tmp_path: Path, pg_url: str):
    site = tmp_path
    write_config(site, f'\n[state]\nurl = "{pg_url}"\n')
    shutil.copy(SAMPLE, site / "articles")
    roster = site / "subscribers.csv"
    roster.write_text(
        "email,name\n" + "".join(f"r{i:05d}@example.org,Reader {i}\n" for i in range(SUBSCRIBERS))
    )
    done = subprocess.run(
        [*SYNDICATE, "subscribers", "import", str(roster), "--config", str(site / "config.toml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr

    started = time.monotonic()
    run = _start(site, "run", "--digest", "now", "--quiet")
    workers = [_start(site, "deliver") for _ in range(3)]
    while len(_delivered(site)) < SUBSCRIBERS // 2:
        assert time.monotonic() - started < 120, "delivery did not get half-way"
        assert run.poll() is None or run.returncode == 0, run.communicate()
        time.sleep(0.01)
    victim = workers[0]
    config = load_config(site / "config.toml")
    conn = open_db(config)
    try:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        orphaned = conn.execute(
            "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending' AND claimed_by LIKE ?",
            (f"deliver:%:{victim.pid}:%",),
        ).fetchone()["n"]
        killed_at = len(_delivered(site))
        workers.append(_start(site, "deliver"))
        outputs = {}
        for proc in [run, *workers[1:]]:
            out, err = proc.communicate(timeout=180)  # each exits on its own
            assert proc.returncode == 0, (proc.args, out, err)
            outputs[proc.pid] = out
        elapsed = time.monotonic() - started

        # Exactly one message per subscriber (plus the config's own reader), none lost.
        names = _delivered(site)
        keys = sorted(n.split(".")[1] for n in names)
        expected = sorted(
            subscriber_key(e)
            for e in [f"r{i:05d}@example.org" for i in range(SUBSCRIBERS)] + ["one@example.org"]
        )
        assert keys == expected
        assert delivery_counts(conn) == {"sent": SUBSCRIBERS + 1}
        assert (
            conn.execute(
                "SELECT COUNT(*) AS n FROM deliveries WHERE claimed_by IS NOT NULL"
            ).fetchone()["n"]
            == 0
        )
    finally:
        conn.close()
    sent_by_workers = sum(
        int(n)
        for o in outputs.values()
        for n in re.findall(r"syndicate deliver \(.*\): (\d+) sent", o)
    )
    print(
        f"\n{SUBSCRIBERS + 1} messages in {elapsed:.1f} s; worker killed at {killed_at} holding"
        f" {orphaned} claims; {sent_by_workers} sent by the workers, the rest by the run"
    )


def test_a_following_worker_wakes_on_notify_and_stops_on_sigterm(tmp_path: Path, pg_url: str):
    site = tmp_path
    write_config(site, f'\n[state]\nurl = "{pg_url}"\n')
    shutil.copy(SAMPLE, site / "articles")
    config = load_config(site / "config.toml")
    from syndicate.run import pipeline

    pipeline.run(config, digest="never")
    worker = _start(site, "deliver", "--follow")
    try:
        time.sleep(3)  # it found nothing to do and now waits (LISTEN, polling only every 30 s)
        assert worker.poll() is None and _delivered(site) == []
        conn = open_db(config)
        try:
            from datetime import UTC, datetime

            create_digest(conn, undigested_articles(conn), datetime.now(UTC), "d")
            notify_queued(conn)
            queued = time.monotonic()
            while not _delivered(site):
                assert time.monotonic() - queued < 10, "the NOTIFY did not wake the worker"
                time.sleep(0.05)
        finally:
            conn.close()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
        assert worker.returncode == 0, err
        assert "1 sent" in out
    finally:
        if worker.poll() is None:
            worker.kill()
