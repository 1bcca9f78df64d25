"""One run: ingest the inbox → publish feeds and pages → (when due) build the digest
(next_digest.py) → deliver what is queued.

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
from datetime import datetime
from pathlib import Path

from syndicate import store
from syndicate.config import Config
from syndicate.core.files import naming
from syndicate.core.report import Progress, RunReport
from syndicate.digest.make import DIGEST_MODES, DigestMode, make_digest
from syndicate.ingest import ingest
from syndicate.ops.roster import sync_config_subscribers
from syndicate.run import guard as state
from syndicate.site.publish import announce, publish


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
    on_start: Callable[[int], None] | None = None,
) -> RunReport:
    """One whole run under the lock. Raises RunInProgress if another run holds it (after
    `wait_for_lock` seconds). A dry run works on a scratch copy of the state, compares
    outputs instead of writing them and delivers nothing: it reports what a run would do.
    `should_stop` (the service's SIGTERM) ends deliveries after the current recipient.
    `on_start` gets the run's id (its row in the runs table, the one id
    the CLI, `status` and the run API show) as soon as it has one; a dry run has none."""
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
            if not dry_run:
                report.run_id = run_id
                if on_start is not None:
                    on_start(run_id)
            sync_config_subscribers(conn, config, now)
            if retry_failed:
                store.requeue_failed(conn)
            ingest(conn, config, now, report, progress)
            outputs = guard.outputs(config.path("feeds"), dry_run=dry_run)
            publish(
                conn,
                config,
                report,
                outputs,
                changed_ids=[a.id for a in report.new + report.updated],
            )
            rendered: dict = {}
            make_digest(conn, config, now, report, digest, rendered)
            if report.new or first_run or report.digest_id:
                report.notes += config.sample_leftovers()
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
    """Whether a run holds the lock right now, asked without waiting (the service answers
    409 at once instead of accepting a run that would be refused a moment later; a
    `deliver` worker waits for a run that may still queue a digest)."""
    if config.state.url:
        conn = state.open_db(config)
        try:
            return store.advisory_lock_held(conn, store.RUN_LOCK)
        finally:
            conn.close()
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
    reading the inbox or making a digest: the service's resumer. None when nothing is due
    that no other worker holds. RunInProgress if a run holds the lock: it delivers the
    queue itself."""
    with run_lock(config):
        now = now or datetime.now(config.site.tz)
        with open_state(config) as conn:
            if not store.count_due(conn, now.timestamp(), unclaimed_only=True):
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
    """Deliver what is queued, through the one engine (delivery/engine.py). `syndicate
    deliver` workers may be sending from the same queue right now; a NOTIFY wakes those that
    wait for work (PostgreSQL)."""
    from syndicate.delivery.claims import worker_id
    from syndicate.delivery.engine import deliver

    if report.digest_id and not dry_run:
        store.notify_queued(conn)
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
