"""`syndicate deliver`: a delivery worker. Any number of them, on any hosts (PostgreSQL state),
claim queued deliveries in batches and send them (syndicate/delivery/worker.py).

A worker works until the queue is empty and exits. "Empty" means nothing is left to wait for:
no delivery due (claimed by a live worker or not: a killed worker's claims come back when
its lease runs out, and someone must be there to take them), and no run in progress (it may
be queueing a digest right now). `--follow` keeps waiting for new work instead: woken by
the run's NOTIFY on PostgreSQL, polling on SQLite.

With SQLite (one machine) a worker takes the run lock while it sends, since a run walks the
queue without claims; use PostgreSQL for parallel workers.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from syndicate.cli.common import EXIT_DELIVERY_FAILED, EXIT_OK, CommandError, progress, say

if TYPE_CHECKING:
    from syndicate.config import Config

# Defaults of syndicate/delivery/worker.py, repeated here so that building the parser does not
# import the delivery engine (jinja2, premailer) on every command.
DEFAULT_LEASE = 30.0
DEFAULT_BATCH = 50
WAIT_STEP = 1.0  # seconds between looks while others hold claims or a run is going
FOLLOW_POLL = 30.0  # --follow: look anyway this often (retries due after a backoff)
SQLITE_POLL = 5.0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "deliver",
        parents=[common],
        help="a delivery worker: send queued digests until the queue is empty",
        description="Claim queued deliveries in batches and send them, until nothing is left"
        " to send (or, with --follow, until stopped). Run several, on several hosts, with the"
        " state in PostgreSQL.",
    )
    p.add_argument("--follow", action="store_true", help="keep waiting for new work")
    p.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help=f"claim size (default {DEFAULT_BATCH})"
    )
    p.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE,
        help=f"seconds a claim lasts; a dead worker's claims are taken over after it"
        f" (default {DEFAULT_LEASE:g})",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing unless something failed")
    p.set_defaults(func=cmd_deliver)


def cmd_deliver(args: argparse.Namespace, config: Config) -> int:
    import signal
    import threading  # here: every command imports this module (cli/__init__.py)

    from syndicate import state, store
    from syndicate.delivery.worker import deliver_claimed, worker_name
    from syndicate.report import RunReport

    if args.batch < 1 or args.lease < 5:
        raise CommandError("--batch must be at least 1 and --lease at least 5 seconds")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # finish the message in hand, then stop
    report = RunReport()
    name = worker_name()
    postgresql = bool(config.state.url)
    if not postgresql:
        state.check_missing(config)
    conn = state.open_db(config)
    listener = None
    try:
        guard = state.Guard.checked(conn, config)
        if postgresql and args.follow:
            listener = state.open_db(config)
            store.listen_queued(listener)

        def work() -> None:
            deliver_claimed(
                conn,
                config,
                report,
                worker=name,
                lease=args.lease,
                batch=args.batch,
                progress=progress,
                before_send=lambda: guard.touch("outbox"),
                stop=stop,
            )

        while not stop.is_set():
            if postgresql:
                work()
                if store.count_open(conn, time.time()) or store.advisory_lock_held(
                    conn, store.RUN_LOCK
                ):
                    stop.wait(WAIT_STEP)  # others' claims may expire; a run may queue more
                    continue
            else:
                from syndicate.pipeline import run_lock

                with run_lock(config, wait=600):
                    work()
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
    if not args.quiet or report.failed:
        say(f"syndicate deliver ({name}): {report.sent} sent, {len(report.failed)} failed")
        for line in report.failed[:8]:
            say(f"      {line}")
    return EXIT_DELIVERY_FAILED if report.failed else EXIT_OK
