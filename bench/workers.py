"""Delivery throughput: one `syndicate run` on SQLite (the baseline) against `syndicate deliver`
workers on PostgreSQL (1, 3, 4 processes), in the same run of this script, on the same machine.

Each case: a fresh site, N subscribers, one digest queued (store.create_digest), then the
timed part: the processes that deliver it into a Maildir, from start to exit. A throwaway
PostgreSQL server with fsync on (as SQLite runs with synchronous=FULL) is started here, as
the tests do (tests/pg_cluster.py). Subscribers are seeded through `store.add_subscriber`.

    python bench/workers.py [SUBSCRIBERS] [--json]

`--json` prints the results as one JSON line (what `python bench/run.py --with workers` reads).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syndicate import pipeline, state, store  # noqa: E402
from syndicate.config import load_config  # noqa: E402
from tests.conftest import SAMPLE, write_config  # noqa: E402
from tests.pg_cluster import PASSWORD, Cluster, find_bin  # noqa: E402

SYNDICATE = [sys.executable, "-m", "syndicate"]


def make_site(root: Path, n: int, url: str = "") -> Path:
    site = Path(tempfile.mkdtemp(dir=root))
    write_config(site, f'\n[state]\nurl = "{url}"\n' if url else "")
    shutil.copy(SAMPLE, site / "articles")
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    conn = state.open_db(config)
    try:
        # Seeding only: one commit per subscriber need not wait for the disk here.
        conn.execute("SET synchronous_commit = off" if url else "PRAGMA synchronous=OFF")
        now = datetime.now(UTC)
        for i in range(n):
            email, name = f"r{i:05d}@example.org", f"Reader {i}"
            store.add_subscriber(conn, email, name, now, resubscribe=True)
        store.create_digest(conn, store.undigested_articles(conn), datetime.now(UTC), "2026-01-01")
    finally:
        conn.close()
    return site


def timed(site: Path, commands: list[list[str]], env: dict) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*SYNDICATE, *c, "--config", str(site / "config.toml")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for c in commands
    ]
    for p in procs:
        _out, err = p.communicate()
        if p.returncode not in (0,):
            raise SystemExit(f"{p.args}: exit {p.returncode}: {err.decode()[-500:]}")
    return time.perf_counter() - start


def measure(n: int) -> list[tuple[str, float, float]]:
    """(case, seconds, messages per second) of each case, the SQLite baseline first."""
    root = Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    cluster = Cluster(find_bin(), durable=True)
    cluster.start()
    env = dict(os.environ, SYNDICATE_STATE_PASSWORD=PASSWORD, PYTHONPATH=str(REPO))
    os.environ["SYNDICATE_STATE_PASSWORD"] = PASSWORD
    results = []
    try:
        cases = [
            ("SQLite, 1 × run (baseline)", "", [["run", "--quiet"]]),
            ("PostgreSQL, 1 × run", "pg", [["run", "--quiet"]]),
            ("PostgreSQL, 1 × deliver", "pg", [["deliver", "--quiet"]]),
            ("PostgreSQL, 3 × deliver", "pg", [["deliver", "--quiet"]] * 3),
            ("PostgreSQL, 4 × deliver", "pg", [["deliver", "--quiet"]] * 4),
        ]
        for label, engine, commands in cases:
            url = cluster.create_database() if engine else ""
            site = make_site(root, n, url)
            seconds = timed(site, commands, env)
            sent = len(os.listdir(site / "outbox" / "new"))
            assert sent == n + 1, (label, sent)
            results.append((label, seconds, sent / seconds))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return results


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--json"]
    n = int(args[0]) if args else 2000
    results = measure(n)
    if "--json" in sys.argv[1:]:
        print(json.dumps({"messages": n + 1, "cases": results}))
        return
    base = results[0][2]
    print(f"{n + 1} messages each into a Maildir; {os.cpu_count()} CPUs")
    print(f"{'case':<32}{'seconds':>9}{'msg/s':>9}{'× baseline':>12}")
    for label, seconds, rate in results:
        print(f"{label:<32}{seconds:>9.2f}{rate:>9.0f}{rate / base:>12.2f}")


if __name__ == "__main__":
    main()
