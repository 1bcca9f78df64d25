"""`syndicate deliver`: a delivery worker (delivery/worker.py) — any number of them, beside
a run and each other, on one machine with SQLite or on any hosts with PostgreSQL. The exit
status is `run`'s: 4 when a delivery failed for good (refused, out of attempts, in doubt and
held) or the relay's circuit breaker stopped delivery.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import TYPE_CHECKING

from syndicate.cli.common import delivery_exit_code, progress, say
from syndicate.cli.exits import CommandError
from syndicate.delivery.worker import work

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_deliver(args: argparse.Namespace, config: Config) -> int:
    if (args.batch is not None and args.batch < 1) or args.lease < 5:
        raise CommandError("--batch must be at least 1 and --lease at least 5 seconds")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # finish the messages in hand, then stop
    name, report = work(
        config,
        stop,
        follow=args.follow,
        batch=args.batch,
        lease=args.lease,
        progress=progress,
    )
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
