"""One run: ingest the inbox → publish feeds and pages → (when due) build the digest →
deliver what is queued.

Idempotent: a second run with nothing new reads no file twice, writes no byte, creates no
digest and sends nothing. A digest keeps its own cadence (cadence.py): `digest="due"` makes
one only when the schedule says so, `"now"` regardless, `"never"` not at all (`publish`).
The CLI and the service call `run` (here), `preview` (preview.py), `inspect` and the
operator actions in control.py; nothing else writes state.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from syndicate import state, store
from syndicate.config import Config
from syndicate.files import naming
from syndicate.ingest import ingest
from syndicate.publish import announce, publish
from syndicate.report import Progress, RunReport
from syndicate.roster import sync_config_subscribers

if TYPE_CHECKING:
    from syndicate.early_listing import EarlyListing

# "skip" (`syndicate digest skip`): read and publish, then mark every waiting article as
# digested without sending anything.
DigestMode = Literal["due", "now", "never", "skip"]
DIGEST_MODES: tuple[DigestMode, ...] = ("due", "now", "never")  # what a run may be asked for
# A first run over this many articles mentions `syndicate digest skip` in its report.
BACKLOG_HINT = 20


class RunInProgress(Exception):
    """Another run (manual or scheduled) holds the lock."""


# ---------------------------------------------------------------- lock


@contextmanager
def run_lock(config: Config, *, wait: float = 0, dry_run: bool = False) -> Iterator[None]:
    """One run at a time across processes (CLI, service, HTTP trigger): an flock on a file in
    the state folder, released by the kernel even if the process dies.

    `wait` > 0 polls for that many seconds first. Only the scheduler uses it: its publish and
    digest jobs often fall on the same minute (07:00), and the digest must not be skipped for
    a day because the 15-minute publish got there first. People and HTTP get a refusal now.
    A dry run takes the lock too (so it reads a state no run is changing) but writes nothing:
    not even the lock file when there is none yet. With the state in PostgreSQL the lock is
    an advisory lock on its server instead (state.postgresql_run_lock): runs on several
    hosts exclude each other the same way.
    """
    if config.state.url:
        with state.postgresql_run_lock(config, wait=wait):
            yield
        return
    state_dir = config.path("state")
    lock_path = state_dir / "run.lock"
    if dry_run and not lock_path.exists():
        yield
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise RunInProgress(
                        f"another syndicate run holds {lock_path}; try again when it ends"
                    ) from None
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        if not dry_run:
            with naming(lock_path):  # a full disk fails here first: say which one
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- state


@contextmanager
def open_state(config: Config, *, dry_run: bool = False) -> Iterator[store.Database]:
    """The state database; for a dry run, a scratch copy that is thrown away afterwards
    (PostgreSQL: one transaction, rolled back). A missing SQLite state beside outputs that
    show there was one is refused (state.StateMismatch) rather than created afresh."""
    state.check_missing(config)
    if not dry_run or config.state.url:
        conn = state.open_db(config)
        try:
            if dry_run:
                conn.execute("BEGIN")
                conn.depth = 1
            yield conn
        finally:
            if dry_run:
                conn.execute("ROLLBACK")
            conn.close()
        return
    import shutil  # a dry run's alone (with tempfile: ~5 ms of every run's start)
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="syndicate-dry-run-"))
    try:
        copy = scratch / "syndicate.db"
        if config.db_path.exists():
            _copy_read_only(config.db_path, copy)
        conn = store.open_store(copy)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _copy_read_only(source: Path, target: Path) -> None:
    # Without a -wal file nobody has the database open: read it as immutable, which creates
    # no -shm/-wal files next to it. Otherwise a plain read-only connection (the files exist).
    wal = source.with_name(source.name + "-wal")
    flags = "mode=ro" if wal.exists() else "immutable=1"
    src = sqlite3.connect(f"{source.resolve().as_uri()}?{flags}", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


# ---------------------------------------------------------------- digest


# "Not due before": the cadence's verdict, kept until the schedule's next firing. Between
# firings the period does not change, so neither does the verdict while the schedule, the
# zone and the latest digest are the same; a run asking again reads it instead of reading
# the cron expression, whose library (APScheduler's CronTrigger) costs ~50 ms to import:
# half of a no-op run, on every run of a day whose articles wait for tomorrow's digest.
NOT_DUE_KEY = "digest_not_due"


def digest_due(
    conn: store.Database, config: Config, now: datetime, *, remember: bool = False
) -> tuple[bool, str]:
    """(due, why) by the cadence rule, pending articles included. `remember`: keep a "not
    due" verdict until the schedule's next firing (a run; `status` only reads it)."""
    pending = store.count_pending(conn)
    if not pending:
        return False, "no new articles since the last digest"
    last = store.last_digest(conn)
    expr, tz = config.schedule.digest, config.site.tz
    marker = f"{expr}|{config.site.timezone}|{last[0] if last else ''}"
    kept = store.meta_value(conn, NOT_DUE_KEY)
    if kept is not None:
        kept_marker, _bar, until = kept.rpartition("|")
        upcoming = datetime.fromisoformat(until)
        if kept_marker == marker and now.astimezone(UTC) < upcoming:
            from syndicate.cadence import not_due_reason

            return False, not_due_reason(expr, upcoming.astimezone(tz))
    from syndicate.cadence import digest_is_due, next_firing

    due, why = digest_is_due(expr, tz, now, last[1] if last else None)
    if remember and not due and (upcoming := next_firing(expr, tz, now)) is not None:
        store.set_meta_value(conn, NOT_DUE_KEY, f"{marker}|{upcoming.astimezone(UTC).isoformat()}")
    return due, why


def _make_digest(
    conn: store.Database,
    config: Config,
    now: datetime,
    report: RunReport,
    mode: DigestMode,
    rendered: dict,
) -> None:
    if mode == "never":
        report.digest_note = "none (feeds only: --digest never)"
        return
    if mode == "skip":
        report.skipped_articles = store.skip_pending(conn, now)
        report.digest_note = (
            f"none: {report.skipped_articles} waiting article(s) marked as digested, nothing sent"
        )
        return
    if mode == "due":  # asked before the articles are decoded: most runs end here
        due, why = digest_due(conn, config, now, remember=True)
        if not due:
            report.digest_note = f"none now: {why}"
            return
    articles = store.undigested_articles(conn)
    if not articles:
        report.digest_note = "none (no new articles since the last digest)"
        return
    from syndicate.delivery.engine import render_stored_digest

    local_date = now.astimezone(config.site.tz).date().isoformat()
    digest_id = store.create_digest(conn, articles, now, local_date)
    report.digest_id = digest_id
    report.digest_articles = len(articles)
    report.recipients = store.count_queued(conn, digest_id)
    rendered[digest_id] = render_stored_digest(conn, config, digest_id)


# ---------------------------------------------------------------- the run


def run(
    config: Config,
    *,
    digest: DigestMode = "due",
    trigger: str = "manual",
    now: datetime | None = None,
    progress: Progress | None = None,
    wait_for_lock: float = 0,
    retry_failed: bool = False,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    early_listing: EarlyListing | None = None,
) -> RunReport:
    """One whole run under the lock. Raises RunInProgress if another run holds it (after
    `wait_for_lock` seconds). A dry run works on a scratch copy of the state, compares
    outputs instead of writing them and delivers nothing: it reports what a run would do.
    `should_stop` (the service's SIGTERM) ends deliveries after the current recipient.
    `early_listing`: the inbox listed by a child since the command started
    (early_listing.py)."""
    if digest not in (*DIGEST_MODES, "skip"):
        raise ValueError(f"digest must be one of {', '.join(DIGEST_MODES)}, not {digest!r}")
    progress = progress or (lambda _msg: None)
    report = RunReport(dry_run=dry_run)
    with run_lock(config, wait=wait_for_lock, dry_run=dry_run):
        now = now or datetime.now(config.site.tz)  # after any wait for the lock
        with open_state(config, dry_run=dry_run) as conn:
            guard = state.Guard.checked(conn, config, dry_run=dry_run)
            first_run = store.count_articles(conn) == 0 and store.last_digest(conn) is None
            run_id = store.start_run(conn, trigger, now)
            sync_config_subscribers(conn, config, now)
            if retry_failed:
                store.requeue_failed(conn)
            ingest(conn, config, now, report, progress, early_listing)
            outputs = guard.outputs(config.path("feeds"), dry_run=dry_run)
            publish(
                conn,
                config,
                report,
                outputs,
                changed_ids=[a.id for a in report.new + report.updated],
            )
            if first_run and len(report.new) >= BACKLOG_HINT:
                report.notes.append(
                    f"first run over {len(report.new)} articles: to start without mailing"
                    " them all, run `syndicate digest skip` before the first digest"
                    " (`syndicate publish` publishes the feeds only)"
                )
            if config.site.is_placeholder and (report.new or first_run):
                report.notes.append(
                    f"site.base_url is still the example {config.site.base_url}: feed ids are"
                    " minted from it and never change; set your site's address in the config"
                )
            rendered: dict = {}
            _make_digest(conn, config, now, report, digest, rendered)
            if report.digest_id:
                # The web version exists before any message links to it.
                publish(conn, config, report, outputs, rendered_digests=rendered)
            announce(config, report)
            if digest in ("due", "now"):  # `publish` never touches the outbox
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
            store.finish_run(
                conn, run_id, datetime.now(config.site.tz), report.counts(), report.details()
            )
    return report


def run_lock_held(config: Config) -> bool:
    """Whether a run holds the lock right now (asked without waiting: the service answers
    409 at once instead of accepting a run that would be refused a moment later). With the
    state in PostgreSQL the advisory lock is only known by trying: False, and a refused run
    reports RunInProgress itself."""
    if config.state.url:
        return False
    lock_path = config.path("state") / "run.lock"
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)  # releases the probe's own shared lock
    return False


def deliver_pending(
    config: Config,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunReport | None:
    """Deliver what earlier runs left queued (a crash, a relay that was down) without
    reading the inbox or making a digest (`publish` never touches the outbox, so a run with
    digest="never" would not). None when nothing is due. RunInProgress if a run holds the
    lock: that run delivers the queue itself."""
    with run_lock(config):
        now = now or datetime.now(config.site.tz)
        with open_state(config) as conn:
            if not store.due_deliveries(conn, now.timestamp()):
                return None
            guard = state.Guard.checked(conn, config)
            report = RunReport()
            run_id = store.start_run(conn, "resume", now)
            _deliver(conn, config, now, report, lambda _m: None, {}, guard, should_stop=should_stop)
            store.finish_run(
                conn, run_id, datetime.now(config.site.tz), report.counts(), report.details()
            )
    return report


def _deliver(
    conn: store.Database,
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
    """Deliver what is queued. With PostgreSQL the run claims like `syndicate deliver`
    workers do (they may be sending from the same queue right now); with SQLite the engine
    walks the queue (one run at a time, under the lock, and `deliver` takes that lock too)."""
    if dry_run or not config.state.url:
        if not dry_run and store.open_deliveries(conn):
            guard.touch("outbox")
        from syndicate.delivery import deliver_queued

        deliver_queued(
            conn,
            config,
            now,
            report,
            progress,
            rendered,
            dry_run=dry_run,
            should_stop=should_stop,
        )
        return
    from syndicate.delivery.worker import deliver_claimed, worker_name

    if report.digest_id:
        store.notify_queued(conn)  # wake `deliver --follow` workers
    deliver_claimed(
        conn,
        config,
        report,
        worker=worker_name("run"),
        progress=progress,
        before_send=lambda: guard.touch("outbox"),
    )
