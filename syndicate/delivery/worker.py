"""The loop of a `syndicate deliver` worker. Any number of them — on one machine with SQLite,
on any hosts with PostgreSQL — claim queued deliveries and send them through the same
engine as `run` (engine.py), alongside a run and each other.

A worker works until the queue is empty and exits. "Empty" means nothing is left to wait for:
no delivery due (claimed by a live worker or not: a killed worker's claims come back when
its lease runs out, and someone must be there to take them), and no run in progress (it may
be queueing a digest right now). `--follow` keeps waiting for new work instead: woken by
the run's NOTIFY on PostgreSQL, polling on SQLite.
"""

from __future__ import annotations

import threading
import time

from syndicate.config import Config
from syndicate.core.report import Progress, RunReport
from syndicate.delivery.claims import worker_id
from syndicate.delivery.engine import deliver
from syndicate.run.guard import Guard, check_missing
from syndicate.run.lock import run_lock_held
from syndicate.store.connection import open_db
from syndicate.store.deliveries import count_due
from syndicate.store.postgresql import listen_queued, wait_for_notify

WAIT_STEP = 0.25  # seconds between looks while others hold claims or a run is going
FOLLOW_POLL = 30.0  # --follow: look anyway this often (retries due after a backoff)
SQLITE_POLL = 5.0


def work(
    config: Config,
    stop: threading.Event,
    *,
    follow: bool,
    batch: int | None,
    lease: float,
    progress: Progress,
) -> tuple[str, RunReport]:
    """Deliver until nothing is left to wait for (or, with `follow`, until `stop` is set):
    the worker's name (its claims carry it) and what it sent and what failed."""
    name = worker_id("deliver")
    postgresql = bool(config.state.url)
    report = RunReport()
    check_missing(config)
    conn = open_db(config)
    listener = None
    try:
        guard = Guard.checked(conn, config)
        if postgresql and follow:
            listener = open_db(config)
            listen_queued(listener)
        while not stop.is_set():
            deliver(
                conn,
                config,
                report,
                worker=name,
                progress=progress,
                should_stop=stop.is_set,
                stamp_outbox=lambda: guard.advance("outbox"),
                lease=lease,
                batch=batch,
            )
            if report.delivery_stopped:
                break  # the relay failed: the rest waits for the next worker or run
            if count_due(conn, time.time()) or run_lock_held(config):
                stop.wait(WAIT_STEP)  # others' claims may come back; a run may queue more
                continue
            if not follow:
                break
            if listener is not None:
                # In slices: a signal does not interrupt libpq's wait, the stop flag does.
                deadline = time.monotonic() + FOLLOW_POLL
                while not stop.is_set() and time.monotonic() < deadline:
                    if wait_for_notify(listener, 1.0):
                        break
            else:
                stop.wait(SQLITE_POLL)
    finally:
        conn.close()
        if listener is not None:
            listener.close()
    return name, report
