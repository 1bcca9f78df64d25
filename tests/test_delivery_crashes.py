"""The delivery promises against real processes, on both stores: `syndicate run` and
`syndicate deliver` killed with SIGKILL mid-delivery (at most the message in flight is sent
twice, nothing is lost), unsubscribes racing a delivery (none gets a copy begun after its
unsubscribe committed), and a backup taken mid-delivery restored after it ended (nothing
resent). The relay is aiosmtpd in this process, so its clock is the test's clock."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from syndicate.config import Config, load_config
from syndicate.store.connection import open_db
from syndicate.store.deliveries import delivery_counts
from syndicate.store.subscribers import subscriber_key
from syndicate.store.subscribers import subscribers as all_subscribers
from tests.conftest import queued_site, smtp_on_loopback
from tests.relays import FaultyRelay
from tests.web_support import raw, running

SYNDICATE = [sys.executable, "-m", "syndicate"]


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request) -> str:
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else ""


def start(config: Config, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*SYNDICATE, *args, "--quiet", "--config", str(config.root / "config.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def everyone(config: Config, n: int) -> list[str]:
    return sorted([f"r{i:05d}@example.org" for i in range(n)] + ["one@example.org"])


def counts(config: Config) -> dict[str, int]:
    conn = open_db(config)
    try:
        return delivery_counts(conn)
    finally:
        conn.close()


# ---------------------------------------------------------------- kill -9

KILLS = 4


@pytest.mark.parametrize("command", ["run", "deliver"])
def test_kill_9_during_smtp_delivery_resends_at_most_the_message_in_flight(
    tmp_path: Path, state_url: str, command: str
):
    n = 240
    handler = FaultyRelay(delay=0.004)
    rng = random.Random(19)
    with smtp_on_loopback(handler) as port:
        config = queued_site(tmp_path, f"method = 'smtp'\nsmtp_port = {port}", n, state_url)
        for _kill in range(KILLS):
            target = len(handler.accepted) + rng.randrange(10, 40)
            proc = start(config, command)
            deadline = time.monotonic() + 60
            while len(handler.accepted) < target and proc.poll() is None:
                assert time.monotonic() < deadline, "delivery did not go on"
                time.sleep(0.002)
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        final = start(config, command)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, out + err
    received = Counter(handler.delivered_to())
    assert sorted(received) == everyone(config, n)  # nobody lost
    duplicates = sum(c - 1 for c in received.values())
    assert duplicates <= KILLS  # one connection: at most the message in flight per kill
    assert counts(config) == {"sent": n + 1}


def test_kill_9_during_maildir_delivery_loses_and_doubles_nothing(tmp_path: Path, state_url: str):
    n = 3000
    config = queued_site(tmp_path, "method = 'maildir'", n, state_url)
    new = config.path("outbox") / "new"
    rng = random.Random(12)
    for _kill in range(KILLS):
        target = (len(os.listdir(new)) if new.is_dir() else 0) + rng.randrange(100, 600)
        proc = start(config, "run")
        deadline = time.monotonic() + 60
        while proc.poll() is None and (len(os.listdir(new)) if new.is_dir() else 0) < target:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    final = start(config, "run")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, out + err
    names = os.listdir(new)
    keys = sorted(name.split(".")[1] for name in names)
    assert keys == sorted(subscriber_key(e) for e in everyone(config, n))
    assert os.listdir(config.path("outbox") / "tmp") == []  # the killed runs' temp files went
    assert counts(config) == {"sent": n + 1}


# ---------------------------------------------------------------- unsubscribes race a delivery


@pytest.mark.parametrize("command", ["run", "deliver"])
def test_no_copy_begins_after_an_unsubscribe_committed(
    tmp_path: Path, state_url: str, command: str
):
    """While a worker delivers (in address order) to a relay taking 10 ms a message, people
    leave: most by the one-click POST of the real service, one in six with `subscribers
    remove` (a process of its own: slower to start than the delivery is to go on).
    Each leaves a little ahead of where the delivery is. When each call returns, its
    unsubscribe has committed; the relay notes when each copy's MAIL FROM came. No copy to
    anyone who left may begin after that."""
    n = 500
    handler = FaultyRelay(delay=0.01)
    with smtp_on_loopback(handler) as port:
        config = queued_site(tmp_path, f"method = 'smtp'\nsmtp_port = {port}", n, state_url)
        conn = open_db(config)
        tokens = {s.email: s.token for s in all_subscribers(conn)}
        conn.close()
        left: dict[str, float] = {}  # address → when its unsubscribe had committed
        with running(config) as web:
            proc = start(config, command)
            rng = random.Random(7)
            while proc.poll() is None and len(left) < 30:
                done = len(handler.accepted)
                if done >= n - 10:
                    break
                target = f"r{min(n - 1, done + rng.randrange(1, 6)):05d}@example.org"
                if target in left:
                    time.sleep(0.001)  # the relay runs in this process: leave it the GIL
                    continue
                if len(left) % 6:
                    status, _headers, _body = raw(
                        web.port,
                        "POST",
                        f"/unsubscribe/{tokens[target]}",
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        b"List-Unsubscribe=One-Click",
                    )
                    assert status == 200
                else:
                    removed = subprocess.run(
                        [*SYNDICATE, "subscribers", "remove", target, "--config",
                         str(config.root / "config.toml")],
                        capture_output=True, text=True,
                    )  # fmt: skip
                    assert removed.returncode == 0, removed.stderr
                left[target] = time.monotonic()
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, out + err
    assert len(left) >= 15
    late = [a for a, at in left.items() if any(t > at for t in handler.started.get(a, []))]
    assert late == []
    got = set(handler.delivered_to())
    assert any(a not in got for a in left)  # some left before their turn: they got nothing
    assert set(everyone(config, n)) - set(left) <= got  # everyone else got theirs


# ---------------------------------------------------------------- a backup from mid-delivery


def _pg_env() -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": os.environ["SYNDICATE_STATE_PASSWORD"]}


def backup_mid_delivery(config: Config, target: Path) -> None:
    """A copy of the state as it is right now, as an operator makes it: `state backup` for
    SQLite, pg_dump for PostgreSQL."""
    if not config.state.url:
        done = subprocess.run(
            [*SYNDICATE, "state", "backup", str(target),
             "--config", str(config.root / "config.toml")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return
    from tests.pg_cluster import find_bin

    done = subprocess.run(
        [str(find_bin() / "pg_dump"), "--format=custom", "--file", str(target), config.state.url],
        capture_output=True, text=True, env=_pg_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def restore(config: Config, backup: Path, pg_cluster) -> Config:
    """Put the backup back as the README says: `state restore` for SQLite (which adopts);
    pg_restore into a fresh database, then `state adopt`, for PostgreSQL."""
    cfg = config.root / "config.toml"
    if not config.state.url:
        done = subprocess.run(
            [*SYNDICATE, "state", "restore", str(backup), "--config", str(cfg)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return config
    from tests.pg_cluster import find_bin

    fresh = pg_cluster.create_database()
    done = subprocess.run(
        [str(find_bin() / "pg_restore"), "--no-owner", "--dbname", fresh, str(backup)],
        capture_output=True, text=True, env=_pg_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cfg.write_text(cfg.read_text().replace(config.state.url, fresh))
    done = subprocess.run(
        [*SYNDICATE, "state", "adopt", "--config", str(cfg)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return load_config(cfg)


def test_a_backup_taken_mid_delivery_and_restored_after_it_resends_nothing(
    tmp_path: Path, state_url: str, request
):
    n = 200
    handler = FaultyRelay(delay=0.01)
    site = tmp_path / "site"
    site.mkdir()
    with smtp_on_loopback(handler) as port:
        config = queued_site(site, f"method = 'smtp'\nsmtp_port = {port}", n, state_url)
        proc = start(config, "run")
        while len(handler.accepted) < n // 3:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)
        backup = tmp_path / "mid-delivery.backup"
        backup_mid_delivery(config, backup)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        assert len(handler.accepted) == n + 1
        pg_cluster = request.getfixturevalue("pg_cluster") if state_url else None
        config = restore(config, backup, pg_cluster)
        again = start(config, "run")
        out, err = again.communicate(timeout=120)
        held = open_db(config)
        try:
            in_doubt = delivery_counts(held).get("in_doubt", 0)
        finally:
            held.close()
    assert len(handler.accepted) == n + 1  # nothing resent
    assert Counter(handler.delivered_to()).most_common(1)[0][1] == 1
    assert in_doubt > 0 and again.returncode == 4  # held for the operator, and said so
