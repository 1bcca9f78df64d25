"""One run: ingest the inbox → publish feeds and pages → (when due) build the digest →
deliver what is queued.

Idempotent: a second run with nothing new reads no file twice, writes no byte, creates no
digest and sends nothing. A digest keeps its own cadence (cadence.py): `digest="due"` makes
one only when the schedule says so, `"now"` regardless, `"never"` not at all (`publish`).
The CLI and the service call `run`, `preview`, `inspect` and the operator actions in
control.py; nothing else writes state.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

from syndicate import store
from syndicate.config import Config
from syndicate.ingest import inbox_files, ingest, source_name, understand
from syndicate.model import Article, capped_digest, digest_page
from syndicate.publish import Outputs, announce, publish
from syndicate.report import Progress, RunReport

DigestMode = Literal["due", "now", "never"]
DIGEST_MODES: tuple[DigestMode, ...] = ("due", "now", "never")
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
    not even the lock file when there is none yet.
    """
    state = config.path("state")
    lock_path = state / "run.lock"
    if dry_run and not lock_path.exists():
        yield
        return
    state.mkdir(parents=True, exist_ok=True)
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
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- state


@contextmanager
def open_state(config: Config, *, dry_run: bool = False) -> Iterator[store.Database]:
    """The state database; for a dry run, a scratch copy that is thrown away afterwards."""
    if not dry_run:
        conn = store.open_store(config.db_path)
        try:
            yield conn
        finally:
            conn.close()
        return
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


def sync_config_subscribers(conn: store.Database, config: Config, now: datetime) -> None:
    from syndicate.config import split_mailbox  # the config checked them at load

    for mailbox in config.digest.subscribers:
        name, addr = split_mailbox(mailbox)
        store.add_subscriber(conn, addr, name, now, resubscribe=False)


def digest_due(conn: store.Database, config: Config, now: datetime) -> tuple[bool, str]:
    """(due, why) by the cadence rule, pending articles included."""
    pending = store.count_pending(conn)
    if not pending:
        return False, "no new articles since the last digest"
    from syndicate.cadence import digest_is_due

    last = store.last_digest(conn)
    return digest_is_due(config.schedule.digest, config.site.tz, now, last[1] if last else None)


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
    articles = store.undigested_articles(conn)
    if not articles:
        report.digest_note = "none (no new articles since the last digest)"
        return
    if mode == "due":
        due, why = digest_due(conn, config, now)
        if not due:
            report.digest_note = f"none now: {why}"
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
) -> RunReport:
    """One whole run under the lock. Raises RunInProgress if another run holds it (after
    `wait_for_lock` seconds). A dry run works on a scratch copy of the state, compares
    outputs instead of writing them and delivers nothing: it reports what a run would do."""
    if digest not in DIGEST_MODES:
        raise ValueError(f"digest must be one of {', '.join(DIGEST_MODES)}, not {digest!r}")
    progress = progress or (lambda _msg: None)
    report = RunReport(dry_run=dry_run)
    with run_lock(config, wait=wait_for_lock, dry_run=dry_run):
        now = now or datetime.now(config.site.tz)  # after any wait for the lock
        with open_state(config, dry_run=dry_run) as conn:
            first_run = store.count_articles(conn) == 0 and store.last_digest(conn) is None
            run_id = store.start_run(conn, trigger, now)
            sync_config_subscribers(conn, config, now)
            if retry_failed:
                store.requeue_failed(conn)
            ingest(conn, config, now, report, progress)
            outputs = Outputs(config.path("feeds"), dry_run=dry_run)
            publish(
                conn,
                config,
                report,
                outputs,
                changed_ids=[a.id for a in report.new + report.updated],
            )
            if first_run and len(report.new) >= BACKLOG_HINT and digest != "never":
                report.warnings.append(
                    f"first run over {len(report.new)} articles: to start without mailing"
                    " them all, run `syndicate digest skip` before the first digest"
                    " (`syndicate publish` publishes the feeds only)"
                )
            rendered: dict = {}
            _make_digest(conn, config, now, report, digest, rendered)
            if report.digest_id:
                # The web version exists before any message links to it.
                publish(conn, config, report, outputs, rendered_digests=rendered)
            announce(config, report)
            if digest != "never":  # `publish` never touches the outbox
                from syndicate.delivery.engine import deliver_queued

                deliver_queued(conn, config, now, report, progress, rendered, dry_run=dry_run)
            store.finish_run(
                conn, run_id, datetime.now(config.site.tz), report.counts(), report.details()
            )
    return report


# ---------------------------------------------------------------- preview


def preview(config: Config, paths: list[Path], out_dir: Path) -> list[Path]:
    """Render the digest for the given files (or the pending ones) into out_dir.

    Touches no state: articles not yet stored get provisional ids and slugs.
    """
    from syndicate.mail import write_preview

    now = datetime.now(config.site.tz)
    articles = pending_articles(config, now) if not paths else []
    articles += [_provisional(understand(p, config), now) for p in paths]
    if not articles:
        return []
    digest = capped_digest("preview", now, articles, config.digest.max_articles)
    web_url = config.site.base_url + digest_page("preview")
    return write_preview(digest, config, out_dir, web_url=web_url)


def pending_articles(config: Config, now: datetime) -> list[Article]:
    """What the next digest would hold: stored articles waiting for one, plus inbox files not
    stored yet (with provisional ids). Reads the state, changes nothing."""
    inbox = config.path("inbox")
    fresh = inbox_files(inbox)
    articles: list[Article] = []
    if config.db_path.exists():
        conn = store.open_store(config.db_path)
        try:
            articles = store.undigested_articles(conn)
            stored = {p: store.stored_file(conn, source_name(p, inbox)) for p in fresh}
            fresh = [p for p in fresh if not stored[p]]
        finally:
            conn.close()
    from syndicate.readers import ArticleError

    for path in fresh:
        try:
            articles.append(_provisional(understand(path, config), now))
        except ArticleError:
            continue
    return articles


def _provisional(article: Article, now: datetime) -> Article:
    slug = store.slugify(Path(article.source).stem)
    return article.with_(
        id=article.url or f"preview:{slug}",
        slug=slug,
        first_seen=now,
        published=article.published or now,
        updated=article.updated or article.published or now,
    )
