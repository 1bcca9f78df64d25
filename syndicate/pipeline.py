"""One run: ingest the inbox → enrich → store → publish feeds → build and deliver the digest.

Idempotent: a second run with nothing new reads no file twice, writes no feed byte, creates no
digest and sends nothing. The CLI and the service only call `run`, `preview` and `inspect`.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate import store
from syndicate.config import Config, parse_mailbox
from syndicate.delivery import DeliveryError, Transport, make_transport
from syndicate.digest import RenderedDigest, render_article_page, render_digest
from syndicate.feeds import ping_hub, render_feeds
from syndicate.files import write_atomic
from syndicate.mail import build_message, message_id_for, write_preview
from syndicate.model import Article, Digest, Rejection, Subscriber
from syndicate.readers import (
    ArticleChanging,
    ArticleError,
    is_candidate,
    read_article,
    sidecar_path,
)
from syndicate.text import summarize

Progress = Callable[[str], None]


class RunInProgress(Exception):
    """Another run (manual or scheduled) holds the lock."""


@dataclass
class RunReport:
    """What one run did, for the operator's one-screen report and the runs table."""

    new: list[Article] = field(default_factory=list)
    updated: list[Article] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)  # newly rejected this run
    still_rejected: list[Rejection] = field(default_factory=list)  # unchanged since rejected
    waiting: list[Rejection] = field(default_factory=list)  # being written; next run
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old, new) file names
    feeds_written: list[str] = field(default_factory=list)
    digest_id: str | None = None
    digest_articles: int = 0
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int | str | None]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "moved": len(self.moved),
            "rejected": len(self.rejected),
            "still_rejected": len(self.still_rejected),
            "waiting": len(self.waiting),
            "feeds_written": len(self.feeds_written),
            "digest": self.digest_id,
            "sent": self.sent,
            "failed": len(self.failed),
        }


# ---------------------------------------------------------------- lock


@contextmanager
def run_lock(config: Config, *, wait: float = 0) -> Iterator[None]:
    """One run at a time across processes (CLI, service, HTTP trigger): an flock on a file in
    the state folder, released by the kernel even if the process dies.

    `wait` > 0 polls for that many seconds first. Only the scheduler uses it: its publish and
    digest jobs often fall on the same minute (07:00), and the digest must not be skipped for
    a day because the 15-minute publish got there first. People and HTTP get a refusal now.
    """
    state = config.path("state")
    state.mkdir(parents=True, exist_ok=True)
    fd = os.open(state / "run.lock", os.O_RDWR | os.O_CREAT, 0o644)
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
                        f"another syndicate run holds {state / 'run.lock'}; try again when it ends"
                    ) from None
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- ingest


def inbox_files(inbox: Path) -> list[Path]:
    """Candidate files under the inbox, in a stable order; hidden folders are skipped."""
    if not inbox.is_dir():
        return []
    found = []
    for path in inbox.rglob("*"):
        rel = path.relative_to(inbox)
        if any(part.startswith(".") for part in rel.parts[:-1]):
            continue
        if (path.is_file() or path.is_symlink()) and is_candidate(path):
            found.append(path)
    return sorted(found)


def source_name(path: Path, inbox: Path) -> str:
    return path.relative_to(inbox).as_posix()


def _fingerprint(path: Path, max_bytes: int) -> tuple[str, os.stat_result]:
    """sha256 of the file, or a size/mtime stand-in for files too big to read at all."""
    st = path.stat()
    if st.st_size > max_bytes:
        return f"oversize:{st.st_size}:{st.st_mtime_ns}", st
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if (sidecar := sidecar_path(path)) is not None:
        # An editor's NAME.meta.toml is part of the article: editing it is editing the article.
        # Files without one keep their plain sha256, so stored fingerprints stay valid.
        digest = hashlib.sha256(
            f"{digest}:{hashlib.sha256(sidecar.read_bytes()).hexdigest()}".encode()
        ).hexdigest()
    return digest, st


def enrich(article: Article, config: Config) -> Article:
    """Add what readers leave to us: language fallback, summary and key bullets."""
    language = article.language or config.site.language
    if article.summary and article.key_bullets:
        return article.with_(language=language)
    summary = summarize(article.text, language)
    return article.with_(
        language=language,
        summary=article.summary or summary.summary,
        key_bullets=article.key_bullets or tuple(summary.bullets),
    )


def understand(path: Path, config: Config, *, discovered: os.stat_result | None = None) -> Article:
    """Read and enrich one file. Touches no state, so `inspect` and `preview` use it too.

    `discovered` is the file's stat when the run listed it: the reader raises ArticleChanging
    if the file moved on since (a publisher still writing it).
    """
    inbox = config.path("inbox")
    if not path.resolve().is_relative_to(inbox.resolve()):
        inbox = path.parent
    article = read_article(
        path,
        inbox=inbox,
        max_bytes=config.limits.max_article_bytes,
        readers_config=config.readers,
        default_tz=config.site.tz,
        language_hint=config.site.language,
        discovered=discovered,
    )
    return enrich(article, config)


def _ingest(
    conn: sqlite3.Connection, config: Config, now: datetime, report: RunReport, progress: Progress
) -> None:
    inbox = config.path("inbox")
    if not inbox.is_dir():
        report.warnings.append(f"inbox {inbox} does not exist (paths.inbox in the config)")
    files = inbox_files(inbox)
    for i, path in enumerate(files, 1):
        source = source_name(path, inbox)
        if len(files) > 20 and i % 20 == 0:
            progress(f"reading inbox: {i}/{len(files)}")
        try:
            file_hash, before = _fingerprint(path, config.limits.max_article_bytes)
        except OSError as exc:
            report.waiting.append(Rejection(source, f"cannot read yet ({exc.strerror})"))
            continue
        known = store.stored_file(conn, source)
        if known and known.file_hash == file_hash:
            if known.rejected_reason:
                report.still_rejected.append(Rejection(source, known.rejected_reason))
            else:
                report.unchanged += 1
            continue
        if known is None:
            # The very bytes of an article whose file is gone: a rename or a move into a
            # subfolder. It keeps its id, so readers do not see it twice.
            moved_from = next(
                (s for s in store.sources_with_hash(conn, file_hash) if not (inbox / s).exists()),
                None,
            )
            if moved_from is not None:
                store.move_article(conn, moved_from, source)
                report.moved.append((moved_from, source))
                continue
        try:
            article = understand(path, config, discovered=before)
        except ArticleChanging as exc:  # still being written: not a rejection
            report.waiting.append(Rejection(source, f"{exc}; read again next run"))
            continue
        except ArticleError as exc:
            store.record_rejection(conn, source, file_hash, str(exc), now)
            report.rejected.append(Rejection(source, str(exc)))
            continue
        except Exception as exc:  # one bad file must never stop the others
            reason = (
                f"could not be read ({type(exc).__name__}: {exc}); this is a bug in"
                " syndicate, please report it with the file"
            )
            traceback.print_exc()
            store.record_rejection(conn, source, file_hash, reason, now)
            report.rejected.append(Rejection(source, reason))
            continue
        owner = store.source_of(conn, article.url) if article.url else None
        if owner and owner != source and (inbox / owner).exists():
            # Two files claiming one canonical URL would take turns overwriting one entry on
            # every run. A file whose URL's owner is gone is a rename, and takes it over.
            reason = (
                f"same canonical URL as {owner} ({article.url}); one file per article:"
                " remove one, or give it its own url"
            )
            store.record_rejection(conn, source, file_hash, reason, now)
            report.rejected.append(Rejection(source, reason))
            continue
        outcome, stored = store.save_article(
            conn, article, file_hash=file_hash, now=now, domain=config.site.domain
        )
        if outcome == "new":
            report.new.append(stored)
        elif outcome == "updated":
            report.updated.append(stored)
        else:
            report.unchanged += 1


# ---------------------------------------------------------------- publish


def _publish(conn: sqlite3.Connection, config: Config, report: RunReport) -> None:
    feeds_dir = config.path("feeds")
    articles = store.all_articles(conn)
    documents = render_feeds(articles, config)
    for name, data in sorted(documents.items()):
        if write_atomic(feeds_dir / name, data):
            report.feeds_written.append(name)
    # Archive pages that the current settings no longer produce (archive_page_size changed)
    # would sit there unlinked and stale: remove them.
    archive = feeds_dir / "archive"
    if archive.is_dir():
        for path in sorted(archive.iterdir()):
            if path.is_file() and f"archive/{path.name}" not in documents:
                path.unlink()
                report.warnings.append(f"removed stale archive page {path}")
    changed = {a.id for a in report.new + report.updated}
    for article in articles:
        page = feeds_dir / "articles" / f"{article.slug}.html"
        if article.id in changed or not page.exists():
            html = render_article_page(article, config)
            write_atomic(page, html.encode("utf-8"))
    if config.feed.hub and report.feeds_written:
        topics = [config.site.base_url + n for n in report.feeds_written if "/" not in n]
        try:
            ping_hub(config.feed.hub, topics)
        except Exception as exc:  # the feeds are published; a hub outage is only a warning
            report.warnings.append(f"WebSub hub {config.feed.hub}: {exc}")


# ---------------------------------------------------------------- digest


def sync_config_subscribers(conn: sqlite3.Connection, config: Config, now: datetime) -> None:
    for mailbox in config.digest.subscribers:
        name, addr = parse_mailbox(mailbox)
        store.add_subscriber(conn, addr, name, now, resubscribe=False)


def digest_web_url(config: Config, digest_id: str) -> str:
    return f"{config.site.base_url}digests/{digest_id}.html"


def capped_digest(
    config: Config, digest_id: str, created: datetime, articles: list[Article]
) -> Digest:
    """The digest as subscribers see it: the newest `digest.max_articles`, the rest counted."""
    shown = tuple(articles[: config.digest.max_articles])
    return Digest(digest_id, created, shown, omitted=len(articles) - len(shown))


def unsubscribe_url(config: Config, token: str) -> str:
    return f"{config.site.base_url}unsubscribe/{token}"


def _deliver(
    conn: sqlite3.Connection,
    config: Config,
    now: datetime,
    report: RunReport,
    progress: Progress,
    rendered_by_digest: dict[str, RenderedDigest],
) -> None:
    """Send every queued delivery: this run's digest and anything an earlier run left.

    Digests are rendered (and CSS-inlined) once each, never once per subscriber.
    """
    pending = store.open_deliveries(conn)
    if not pending:
        return
    transport = make_transport(config.delivery, config.path("outbox"), config.root)
    for n, delivery in enumerate(pending, 1):
        if len(pending) > 10 and n % 10 == 0:
            progress(f"delivering: {n}/{len(pending)}")
        rendered = rendered_by_digest.get(delivery.digest_id)
        if rendered is None:
            created, articles = store.digest_articles(conn, delivery.digest_id)
            digest = capped_digest(config, delivery.digest_id, created, articles)
            rendered = render_digest(
                digest, config, web_url=digest_web_url(config, delivery.digest_id)
            )
            rendered_by_digest[delivery.digest_id] = rendered
            _write_web_version(config, delivery.digest_id, rendered)  # if an earlier run failed
        subscriber = store.get_subscriber(conn, delivery.email)
        if subscriber is None:
            continue
        try:
            _hand_over(rendered, subscriber, delivery.digest_id, config, transport)
        except DeliveryError as exc:
            store.mark_delivery(
                conn, delivery.digest_id, delivery.email, sent=False, now=now, detail=str(exc)
            )
            report.failed.append(f"{delivery.email}: {exc}")
            continue
        store.mark_delivery(conn, delivery.digest_id, delivery.email, sent=True, now=now)
        report.sent += 1


def _hand_over(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    digest_id: str,
    config: Config,
    transport: Transport,
) -> None:
    """Build one subscriber's message and give it to the transport; DeliveryError if not."""
    try:
        message = build_message(
            rendered,
            subscriber,
            config,
            message_id=message_id_for(digest_id, subscriber.email, config),
            unsubscribe_url=unsubscribe_url(config, subscriber.token),
        )
    except ValueError as exc:  # an address no message can carry (e.g. one needing SMTPUTF8)
        raise DeliveryError(f"cannot address a message to it: {exc}") from None
    transport(message, f"{digest_id}.{store.subscriber_key(subscriber.email)}.syndicate")


def _make_digest(
    conn: sqlite3.Connection, config: Config, now: datetime, report: RunReport
) -> dict[str, RenderedDigest]:
    articles = store.undigested_articles(conn)
    if not articles:
        return {}
    local_date = now.astimezone(config.site.tz).date().isoformat()
    digest_id = store.create_digest(conn, articles, now, local_date)
    report.digest_id = digest_id
    report.digest_articles = len(articles)
    rendered = render_digest(
        capped_digest(config, digest_id, now, articles),
        config,
        web_url=digest_web_url(config, digest_id),
    )
    _write_web_version(config, digest_id, rendered)
    return {digest_id: rendered}


def _write_web_version(config: Config, digest_id: str, rendered: RenderedDigest) -> None:
    path = config.path("feeds") / "digests" / f"{digest_id}.html"
    write_atomic(path, rendered.web_html.encode("utf-8"))


# ---------------------------------------------------------------- the run


def run(
    config: Config,
    *,
    trigger: str = "manual",
    with_digest: bool = True,
    now: datetime | None = None,
    progress: Progress | None = None,
    wait_for_lock: float = 0,
    retry_failed: bool = False,
) -> RunReport:
    """One whole run under the lock. Raises RunInProgress if another run holds it (after
    `wait_for_lock` seconds)."""
    progress = progress or (lambda _msg: None)
    report = RunReport()
    with run_lock(config, wait=wait_for_lock):
        now = now or datetime.now(config.site.tz)  # after any wait for the lock
        conn = store.open_store(config.db_path)
        try:
            run_id = store.start_run(conn, trigger, now)
            sync_config_subscribers(conn, config, now)
            if retry_failed:
                store.requeue_failed(conn)
            _ingest(conn, config, now, report, progress)
            _publish(conn, config, report)
            if with_digest:
                rendered = _make_digest(conn, config, now, report)
                _deliver(conn, config, now, report, progress, rendered)
            store.finish_run(conn, run_id, datetime.now(config.site.tz), report.counts())
        finally:
            conn.close()
    return report


def preview(config: Config, paths: list[Path], out_dir: Path) -> list[Path]:
    """Render the digest for the given files (or the pending ones) into out_dir.

    Touches no state: articles not yet stored get provisional ids and slugs.
    """
    now = datetime.now(config.site.tz)
    articles: list[Article] = []
    if paths:
        articles = [_provisional(understand(p, config), now) for p in paths]
    else:
        inbox = config.path("inbox")
        fresh = inbox_files(inbox)
        if config.db_path.exists():
            conn = store.open_store(config.db_path)
            try:
                articles = store.undigested_articles(conn)
                stored = {p: store.stored_file(conn, source_name(p, inbox)) for p in fresh}
                fresh = [p for p in fresh if not (stored[p] and stored[p].article_id)]
            finally:
                conn.close()
        for path in fresh:
            try:
                articles.append(_provisional(understand(path, config), now))
            except ArticleError:
                continue
    if not articles:
        return []
    digest = capped_digest(config, "preview", now, articles)
    return write_preview(digest, config, out_dir, web_url=digest_web_url(config, "preview"))


def _provisional(article: Article, now: datetime) -> Article:
    slug = store.slugify(Path(article.source).stem)
    return article.with_(
        id=article.url or f"preview:{slug}",
        slug=slug,
        first_seen=now,
        published=article.published or now,
        updated=article.updated or article.published or now,
    )
