"""Delivery workers against an SMTP relay that takes its time, on SQLite and on PostgreSQL:
`syndicate deliver` (1 and 4 processes) against raw smtplib on one persistent connection, in
the same run of this script, on the same machine.

Each case: a fresh site, N subscribers, one digest queued (`create_digest`, as `run`
queues it), then the timed part: the `syndicate deliver` processes that send it to the relay
(bench/smtp_sink.py with `--delay`), from spawn to exit. Every case is run twice, to N and to
1 subscriber, and the rate is the marginal one, (N − 1) / (time to N − time to 1): raw
smtplib's figure leaves out its interpreter's start and the digest's rendering too. A
throwaway PostgreSQL server with fsync on (as SQLite runs with synchronous=FULL) is started
here, as the tests do (tests/pg_cluster.py). Subscribers are seeded through `store`.

    python bench/workers.py [SUBSCRIBERS] [--delay SECONDS] [--json]

`--json` prints the results as one JSON line (what `python bench/run.py` reads).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syndicate.config import load_config
from syndicate.store.connection import open_db
from syndicate.store.deliveries import delivery_counts
from tests.conftest import queued_site
from tests.pg_cluster import PASSWORD, Cluster, find_bin

SYNDICATE = [sys.executable, "-m", "syndicate"]
CASES = [  # (label, store, deliver processes)
    ("SQLite, 1 × deliver", "sqlite", 1),
    ("SQLite, 4 × deliver", "sqlite", 4),
    ("PostgreSQL, 1 × deliver", "postgresql", 1),
    ("PostgreSQL, 4 × deliver", "postgresql", 4),
]


def make_site(root: Path, n: int, port: int, url: str = "") -> Path:
    """A fresh site under `root` whose digest is queued for n subscribers (the config's own
    reader included)."""
    site = Path(tempfile.mkdtemp(dir=root))
    queued_site(site, f"method = 'smtp'\nsmtp_port = {port}", n - 1, url)
    return site


def timed(site: Path, processes: int, env: dict) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*SYNDICATE, "deliver", "--quiet", "--config", str(site / "config.toml")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for p in procs:
        _out, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{p.args}: exit {p.returncode}: {err.decode()[-500:]}")
    return time.perf_counter() - start


def sent(site: Path) -> int:
    config = load_config(site / "config.toml")
    conn = open_db(config)
    try:
        return delivery_counts(conn).get("sent", 0)
    finally:
        conn.close()


def raw_smtplib(port: int, n: int, message: Path) -> float:
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.smtp_clients",
            "smtplib",
            str(port),
            str(n),
            "1",
            str(message),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(child.stdout)
    return found["count"] / found["seconds"]


def sample_message(root: Path, port: int, env: dict) -> Path:
    """One subscriber's digest as syndicate sends it: the raw client's payload."""
    site = make_site(root, 1, port)
    config = load_config(site / "config.toml")
    config_text = (site / "config.toml").read_text().replace("method = 'smtp'", "method = 'eml'")
    (site / "config.toml").write_text(config_text)
    timed(site, 1, env)
    [message] = config.path("outbox").glob("*.eml")
    return message


def measure(n: int, delay: float) -> dict:
    root = Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    cluster = Cluster(find_bin(), durable=True)
    cluster.start()
    env = dict(os.environ, SYNDICATE_STATE_PASSWORD=PASSWORD, PYTHONPATH=str(REPO))
    os.environ["SYNDICATE_STATE_PASSWORD"] = PASSWORD
    sink_argv = [str(REPO / "bench" / "smtp_sink.py"), "0", "--workers", "2", "--delay", str(delay)]
    sink = subprocess.Popen(
        [sys.executable, *sink_argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(sink.stdout.readline())  # type: ignore[union-attr]
        message = sample_message(root, port, env)
        results = {"messages": n, "delay": delay, "raw": raw_smtplib(port, n, message)}
        for label, kind, processes in CASES:
            times = {}
            for count in (1, n):
                url = cluster.create_database() if kind == "postgresql" else ""
                site = make_site(root, count, port, url)
                times[count] = timed(site, processes, env)
                assert sent(site) == count, (label, count, sent(site))
            results[label] = {
                "seconds": times[n],
                "rate": (n - 1) / max(1e-9, times[n] - times[1]),
            }
    finally:
        sink.terminate()
        sink.wait()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("subscribers", nargs="?", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.01, help="the relay's seconds a message")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.subscribers, args.delay)
    if args.json:
        print(json.dumps(results))
        return
    raw = results["raw"]
    print(
        f"{args.subscribers} messages to a relay taking {args.delay * 1000:.0f} ms each;"
        f" {os.cpu_count()} CPUs; raw smtplib, 1 persistent connection: {raw:,.0f} msg/s"
    )
    print(f"{'case':<28}{'seconds':>9}{'msg/s':>9}{'× raw':>8}")
    for label, _kind, _processes in CASES:
        case = results[label]
        print(f"{label:<28}{case['seconds']:>9.2f}{case['rate']:>9.0f}{case['rate'] / raw:>8.2f}")


if __name__ == "__main__":
    main()
