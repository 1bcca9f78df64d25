"""Inbox → store: read every new or changed file, enrich it, store it under a stable id.

Unchanged files are not even parsed (their bytes' hash is stored); one bad file never stops
the others: it is recorded with the reason and not retried until its bytes change.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from datetime import datetime
from pathlib import Path

from syndicate import store
from syndicate.config import Config
from syndicate.model import Article, Rejection
from syndicate.readers import (
    ArticleChanging,
    ArticleError,
    is_candidate,
    read_article,
    sidecar_path,
)
from syndicate.report import Progress, RunReport
from syndicate.text import summarize


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


def ingest(
    conn: store.Database, config: Config, now: datetime, report: RunReport, progress: Progress
) -> None:
    """Read every new or changed inbox file into the store; report what happened to each."""
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
