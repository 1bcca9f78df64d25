"""The delivery promises at full size, as issue #19 probes them, printing a table: on SQLite
and on a throwaway PostgreSQL server,

- kill -9 of `syndicate run` at random moments during an SMTP delivery (one connection) to a
  relay in this process, then a run to the end: messages lost, duplicates, duplicates per
  kill (the promise: none lost, at most the message in flight per kill); the same into a
  Maildir (none lost, none doubled);
- unsubscribes racing a delivery to a relay taking 10 ms a message, half by the real
  service's one-click POST and half by `syndicate subscribers remove`: copies whose MAIL FROM
  came after the unsubscribe had committed (the promise: none).

    python bench/probe_delivery.py [--messages 2000] [--kills 20] [--unsubscribes 100]

Not part of the test suite (tests/test_delivery_crashes.py runs the same probes, smaller).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syndicate.config import Config
from syndicate.store.connection import open_db
from syndicate.store.subscribers import subscribers
from tests.conftest import queued_site, smtp_on_loopback
from tests.pg_cluster import PASSWORD, Cluster, find_bin
from tests.relays import FaultyRelay
from tests.web_support import raw, running

SYNDICATE = [sys.executable, "-m", "syndicate"]


def make_site(root: Path, url: str, delivery: str, n: int) -> Config:
    """A fresh site under `root` whose digest is queued for n subscribers (the config's own
    reader included)."""
    return queued_site(Path(tempfile.mkdtemp(dir=root)), delivery, n - 1, url)


def start(config: Config, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*SYNDICATE, *args, "--quiet", "--config", str(config.root / "config.toml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_smtp(root: Path, url: str, n: int, kills: int) -> tuple[int, int]:
    """(lost, duplicates) after `kills` kill -9 of `run` during an SMTP delivery."""
    handler = FaultyRelay()
    rng = random.Random(19)
    with smtp_on_loopback(handler) as port:
        config = make_site(root, url, f"method = 'smtp'\nsmtp_port = {port}", n)
        for _ in range(kills):
            target = len(handler.accepted) + rng.randrange(5, max(6, n // kills))
            proc = start(config, "run")
            while len(handler.accepted) < target and proc.poll() is None:
                time.sleep(0.0005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert start(config, "run").wait() in (0, 4)
    received = Counter(handler.delivered_to())
    return n - len(received), sum(c - 1 for c in received.values())


def kill_maildir(root: Path, url: str, n: int, kills: int) -> tuple[int, int]:
    config = make_site(root, url, "method = 'maildir'", n)
    new = config.path("outbox") / "new"
    rng = random.Random(12)
    for _ in range(kills):
        target = (len(os.listdir(new)) if new.is_dir() else 0) + rng.randrange(10, n // kills)
        proc = start(config, "run")
        while proc.poll() is None and (len(os.listdir(new)) if new.is_dir() else 0) < target:
            time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert start(config, "run").wait() == 0
    keys = Counter(name.split(".")[1] for name in os.listdir(new))
    return n - len(keys), sum(c - 1 for c in keys.values())


def race_unsubscribes(root: Path, url: str, n: int, wanted: int) -> tuple[int, int, int]:
    """(unsubscribes by HTTP, by the CLI, copies begun after their unsubscribe committed).
    Two leavers at once, each a little ahead of the delivery: one POSTs the one-click
    unsubscribe to the real service, the other runs `syndicate subscribers remove`."""
    handler = FaultyRelay(delay=0.01)
    left: dict[str, tuple[str, float]] = {}  # address → (how, when its unsubscribe returned)
    lock = threading.Lock()
    with smtp_on_loopback(handler) as port:
        config = make_site(root, url, f"method = 'smtp'\nsmtp_port = {port}", n)
        conn = open_db(config)
        tokens = {s.email: s.token for s in subscribers(conn)}
        conn.close()
        with running(config) as web:
            proc = start(config, "run")

            def leaver(how: str, seed: int) -> None:
                rng = random.Random(seed)
                while proc.poll() is None and len(left) < wanted:
                    done = len(handler.accepted)
                    if done >= n - 20:
                        return
                    target = f"r{min(n - 2, done + rng.randrange(1, 12)):05d}@example.org"
                    with lock:
                        taken = target in left
                        if not taken:
                            left[target] = (how, float("inf"))
                    if taken:
                        time.sleep(0.001)  # let the relay (this process) have the GIL
                        continue
                    if how == "http":
                        status, _h, _b = raw(
                            web.port,
                            "POST",
                            f"/unsubscribe/{tokens[target]}",
                            {"Content-Type": "application/x-www-form-urlencoded"},
                            b"List-Unsubscribe=One-Click",
                        )
                        assert status == 200
                    else:
                        cfg = str(config.root / "config.toml")
                        subprocess.run(
                            [*SYNDICATE, "subscribers", "remove", target, "--config", cfg],
                            check=True,
                            capture_output=True,
                        )
                    with lock:
                        left[target] = (how, time.monotonic())

            threads = [
                threading.Thread(target=leaver, args=("http", 7)),
                threading.Thread(target=leaver, args=("cli", 8)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            proc.wait()
    late = [a for a, (_how, at) in left.items() if any(t > at for t in handler.started.get(a, []))]
    by = Counter(how for how, _at in left.values())
    return by["http"], by["cli"], len(late)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--unsubscribes", type=int, default=100)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="syndicate-probe-"))
    cluster = Cluster(find_bin(), durable=True)
    cluster.start()
    os.environ["SYNDICATE_STATE_PASSWORD"] = PASSWORD
    rows = []
    try:
        for label in ("SQLite", "PostgreSQL"):

            def url(label: str = label) -> str:
                return cluster.create_database() if label == "PostgreSQL" else ""

            n, k = args.messages, args.kills
            lost, dup = kill_smtp(root, url(), n, k)
            rows.append((label, f"kill -9 ×{k}, SMTP, {n:,}", f"{lost} lost, {dup} duplicates"))
            lost, dup = kill_maildir(root, url(), n, k)
            rows.append((label, f"kill -9 ×{k}, Maildir, {n:,}", f"{lost} lost, {dup} doubled"))
            http, cli, late = race_unsubscribes(root, url(), n, args.unsubscribes)
            what = f"{http} HTTP + {cli} CLI unsubscribes during {n:,} at 10 ms"
            rows.append((label, what, f"{late} copies begun after"))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("| store | probe | result |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
