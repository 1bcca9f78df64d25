"""`syndicate deliver`: a delivery worker. Any number of them — on one machine with SQLite,
on any hosts with PostgreSQL — claim queued deliveries and send them through the same
engine as `run` (syndicate/delivery/engine.py), alongside a run and each other.

A worker works until the queue is empty and exits. "Empty" means nothing is left to wait for:
no delivery due (claimed by a live worker or not: a killed worker's claims come back when
its lease runs out, and someone must be there to take them), and no run in progress (it may
be queueing a digest right now). `--follow` keeps waiting for new work instead: woken by
the run's NOTIFY on PostgreSQL, polling on SQLite.

The exit status is `run`'s: 4 when a delivery failed for good (refused, out of attempts, in
doubt and held) or the relay's circuit breaker stopped delivery.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from typing import TYPE_CHECKING

from syndicate.cli.common import CommandError, delivery_exit_code, progress, say

if TYPE_CHECKING:
    from syndicate.config import Config

DEFAULT_LEASE = 60.0
WAIT_STEP = 0.25  # seconds between looks while others hold claims or a run is going
FOLLOW_POLL = 30.0  # --follow: look anyway this often (retries due after a backoff)
SQLITE_POLL = 5.0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "deliver",
        parents=[common],
        help="a delivery worker: send queued digests until the queue is empty",
        description="Claim queued deliveries in batches and send them, until nothing is left"
        " to send (or, with --follow, until stopped). Run several at once; with the state in"
        " PostgreSQL, on several hosts.",
    )
    p.add_argument("--follow", action="store_true", help="keep waiting for new work")
    p.add_argument(
        "--batch",
        type=int,
        default=None,
        help="deliveries claimed at a time (default: 25 per SMTP connection, 500 for a"
        " Maildir or .eml folder)",
    )
    p.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE,
        help="seconds a claim lasts unless this worker renews it; another host's worker"
        f" takes over a dead worker's claims after it (default {DEFAULT_LEASE:g})",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing unless something failed")
    p.set_defaults(func=cmd_deliver)


def cmd_deliver(args: argparse.Namespace, config: Config) -> int:
    from syndicate import store
    from syndicate.core.report import RunReport
    from syndicate.delivery.claims import worker_id
    from syndicate.delivery.engine import deliver
    from syndicate.run import guard as state
    from syndicate.run import pipeline

    if (args.batch is not None and args.batch < 1) or args.lease < 5:
        raise CommandError("--batch must be at least 1 and --lease at least 5 seconds")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # finish the messages in hand, then stop
    report = RunReport()
    name = worker_id("deliver")
    postgresql = bool(config.state.url)
    state.check_missing(config)
    conn = state.open_db(config)
    listener = None
    try:
        guard = state.Guard.checked(conn, config)
        if postgresql and args.follow:
            listener = state.open_db(config)
            store.listen_queued(listener)
        while not stop.is_set():
            deliver(
                conn,
                config,
                report,
                worker=name,
                progress=progress,
                should_stop=stop.is_set,
                stamp_outbox=lambda: guard.advance("outbox"),
                lease=args.lease,
                batch=args.batch,
            )
            if report.delivery_stopped:
                break  # the relay failed: the rest waits for the next worker or run
            if store.count_due(conn, time.time()) or pipeline.run_lock_held(config):
                stop.wait(WAIT_STEP)  # others' claims may come back; a run may queue more
                continue
            if not args.follow:
                break
            if listener is not None:
                # In slices: a signal does not interrupt libpq's wait, the stop flag does.
                deadline = time.monotonic() + FOLLOW_POLL
                while not stop.is_set() and time.monotonic() < deadline:
                    if store.wait_for_notify(listener, 1.0):
                        break
            else:
                stop.wait(SQLITE_POLL)
    finally:
        conn.close()
        if listener is not None:
            listener.close()
    trouble = report.failed or report.failed_for_good or report.delivery_stopped
    if not args.quiet or trouble:
        say(
            f"syndicate deliver ({name}): {report.sent} sent, {len(report.failed)} failed"
            f" (retried later), {len(report.failed_for_good)} failed for good"
        )
        for line in (report.failed_for_good + report.failed)[:8]:
            say(f"      {line}")
        if report.delivery_stopped:
            say(f"      stopped: {report.delivery_stopped}")
    return delivery_exit_code(report)
