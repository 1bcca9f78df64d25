"""One run: ingest the inbox → publish feeds and pages → (when due) build the digest
(digest/make.py) → deliver what is queued (delivery/engine.py).

Idempotent: a second run with nothing new reads no file twice, writes no byte, creates no
digest and sends nothing. A digest keeps its own cadence (digest/due.py): `digest="due"` makes
one only when the schedule says so, `"now"` regardless, `"never"` not at all (`publish`).
The CLI and the service call `run` (here), `preview` and the operator actions in ops/, `inspect`
(ingest.understand); nothing else writes state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from syndicate.config import Config
from syndicate.core.report import Progress, RunReport
from syndicate.delivery.claims import worker_id
from syndicate.delivery.engine import deliver
from syndicate.digest.make import DIGEST_MODES, DigestMode, make_digest
from syndicate.ingest import ingest
from syndicate.ops.roster import sync_config_subscribers
from syndicate.run import guard as state
from syndicate.run.lock import run_lock
from syndicate.run.state import open_state
from syndicate.site.publish import announce, publish
from syndicate.store.articles import count_articles
from syndicate.store.db import Database
from syndicate.store.deliveries import count_due, requeue_failed
from syndicate.store.digests import last_digest
from syndicate.store.postgresql import notify_queued
from syndicate.store.runs import finish_run, start_run

# ---------------------------------------------------------------- the run


def run(
    config: Config,
    *,
    digest: DigestMode = "due",
    newsletter: str | None = None,
    trigger: str = "manual",
    now: datetime | None = None,
    progress: Progress | None = None,
    wait_for_lock: float = 0,
    retry_failed: bool = False,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    on_start: Callable[[int], None] | None = None,
    report: RunReport | None = None,
    admin: str | None = None,
) -> RunReport:
    """One whole run under the lock. `newsletter`: the digest step for that newsletter's id only
    (None: every newsletter, each by its own cadence). Raises RunInProgress if another run
    holds it (after `wait_for_lock` seconds). A dry run works on a scratch copy of the state,
    compares outputs instead of writing them and delivers nothing: it reports what a run
    would do. `should_stop` (the service's SIGTERM) ends deliveries after the current
    recipient. `on_start` gets the run's id (its row in the runs table, the one id the CLI,
    `status` and the run API show) as soon as it has one; a dry run has none. `report`: the
    report to fill in, for a caller that follows the run as it goes (the console reads its
    counts and `stage` live); `admin`: the console account that started it, recorded with
    the run."""
    if digest not in (*DIGEST_MODES, "skip"):
        raise ValueError(f"digest must be one of {', '.join(DIGEST_MODES)}, not {digest!r}")
    progress = progress or (lambda _msg: None)
    report = report or RunReport()
    report.dry_run = dry_run
    with run_lock(config, wait=wait_for_lock, dry_run=dry_run):
        now = now or datetime.now(config.site.tz)  # after any wait for the lock
        with open_state(config, dry_run=dry_run) as conn:
            guard = state.Guard.checked(conn, config, dry_run=dry_run)
            first_run = count_articles(conn) == 0 and last_digest(conn, None) is None
            run_id = start_run(conn, trigger, now, admin)
            if not dry_run:
                report.run_id = run_id
                if on_start is not None:
                    on_start(run_id)
            sync_config_subscribers(conn, config, now)
            if retry_failed:
                requeue_failed(conn)
            report.stage = "reading"
            ingest(conn, config, now, report, progress)
            report.stage = "publishing"
            outputs = guard.outputs(config.path("feeds"), dry_run=dry_run)
            publish(
                conn,
                config,
                report,
                outputs,
                changed_ids=[a.id for a in report.new + report.updated],
            )
            rendered: dict = {}
            report.stage = "digest"
            make_digest(conn, config, now, report, digest, rendered, newsletter)
            if report.new or first_run or report.digest_id:
                report.notes += config.sample_leftovers()
            if report.digest_id:
                # The web version exists before any message links to it.
                publish(conn, config, report, outputs, rendered_digests=rendered)
            announce(config, report)
            if digest in ("due", "now"):  # `publish` never touches the outbox
                report.stage = "delivering"
                _deliver(
                    conn,
                    config,
                    now,
                    report,
                    progress,
                    rendered,
                    guard,
                    dry_run=dry_run,
                    should_stop=should_stop,
                )
            finish_run(
                conn, run_id, datetime.now(config.site.tz), report.counts(), report.details()
            )
            report.stage = ""
    return report


def deliver_pending(
    config: Config,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport | None:
    """Deliver what earlier runs left queued (a crash, a relay that was down) without
    reading the inbox or making a digest: the service's resumer. None when nothing is due
    that no other worker holds. RunInProgress if a run holds the lock: it delivers the
    queue itself."""
    with run_lock(config):
        now = now or datetime.now(config.site.tz)
        with open_state(config) as conn:
            if not count_due(conn, now.timestamp(), unclaimed_only=True):
                return None
            guard = state.Guard.checked(conn, config)
            report = RunReport()
            run_id = start_run(conn, "resume", now)
            _deliver(conn, config, now, report, lambda _m: None, {}, guard, should_stop=should_stop)
            finish_run(
                conn, run_id, datetime.now(config.site.tz), report.counts(), report.details()
            )
    return report


def _deliver(
    conn: Database,
    config: Config,
    now: datetime,
    report: RunReport,
    progress: Progress,
    rendered: dict,
    guard: state.Guard,
    *,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Deliver what is queued, through the one engine (delivery/engine.py). `syndicate
    deliver` workers may be sending from the same queue right now; a NOTIFY wakes those that
    wait for work (PostgreSQL)."""
    if report.digest_id and not dry_run:
        notify_queued(conn)
    deliver(
        conn,
        config,
        report,
        now=now,
        worker=worker_id("run"),
        rendered=rendered,
        progress=progress,
        should_stop=should_stop,
        stamp_outbox=lambda: guard.advance("outbox"),
        dry_run=dry_run,
    )
