"""Inbox → store: read every new or changed file, enrich it, store it under a stable id.

Unchanged files are not even parsed (their bytes' hash is stored); one bad file never stops
the others: it is recorded with the reason and not retried until its bytes change.

Cost per run does not grow with the history: the inbox is listed once (inbox/),
a file whose stat signature is the one recorded with its hash is not read at all (git's
index: the hash stays the truth whenever the signature differs), what the store knows of
every file is loaded in two queries, and when the whole listing is the one the previous run
left fully processed, nothing else is read. Readers, the summarizer and their libraries are
imported only when a file has to be read.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.config import Config
from syndicate.config.newsletters import newsletters_taking
from syndicate.core.report import Progress, Rejection, RunReport, printable
from syndicate.inbox.changes import (
    LISTING_KEY,
    LISTING_WIRE,
    changes_since,
    file_fingerprint,
)
from syndicate.inbox.sources import (
    InboxFile,
    scan_inbox,
)
from syndicate.readers.errors import ArticleChanging, ArticleError
from syndicate.readers.read import read_article
from syndicate.store.articles import (
    StoredFile,
    move_article,
    record_rejection,
    rejections,
    save_article,
    source_of,
    sources_with_hash,
)
from syndicate.store.db import Database
from syndicate.store.inbox_index import (
    inbox_index,
    meta_value,
    set_meta_value,
    stored_files,
    update_inbox_index,
)
from syndicate.text.summary import summarize

if TYPE_CHECKING:
    from syndicate.core.model import Article


def enrich(article: Article, config: Config) -> Article:
    """Add what readers leave to us: language fallback, summary and key bullets."""
    language = article.language or config.site.language
    if article.summary and article.key_bullets:
        return article.with_(language=language)
    summary = summarize(article.text, language, dek=article.dek)
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
    conn: Database,
    config: Config,
    now: datetime,
    report: RunReport,
    progress: Progress,
) -> None:
    """Read every new or changed inbox file into the store; report what happened to each."""
    inbox = config.path("inbox")
    if not inbox.is_dir():
        report.warnings.append(f"inbox {inbox} does not exist (paths.inbox in the config)")
    recorded = meta_value(conn, LISTING_KEY)
    listed_at = time.time_ns()
    listing = scan_inbox(inbox)
    settled = listing.settled(listed_at)
    if settled and recorded == listing.key:
        _nothing_changed(conn, report, len(listing))
        return
    present = listing.article_sources()
    diff = changes_since(conn, recorded, listing)
    if diff is None:  # every file is compared with the index
        files = listing.files
        index = inbox_index(conn)
        known_files = stored_files(conn)
        gone = [s for s in index if s not in present]
    else:  # only the files that changed since the recorded listing
        changed, gone = diff
        rejected = {source: reason for source, reason, _at in rejections(conn)}
        still = sorted(s for s in rejected if s in present and s not in changed)
        report.still_rejected += [Rejection(source, rejected[source]) for source in still]
        report.unchanged += len(present) - len(present & changed) - len(still)
        files = listing.files_among(changed)
        index = inbox_index(conn, changed)
        known_files = stored_files(conn, changed)
    signatures: dict[str, tuple[str, str]] = {}
    complete = True
    report.to_read = len(files)
    for i, f in enumerate(files, 1):
        if len(files) > 20 and i % 20 == 0:
            progress(f"reading inbox: {i}/{len(files)}")
        if not f.source.isascii() and not _utf8_name(f.source):
            # The state keeps names as text: one that is not UTF-8 cannot be stored (nor
            # linked to), so it is reported, escaped, on every run until it is renamed.
            shown = printable(f.source)
            report.rejected.append(Rejection(shown, "the file name is not UTF-8; rename it"))
            complete = False
            continue
        signature = f.signature
        cached = index.get(f.source)
        if signature and cached and cached[0] == signature:
            file_hash, before = cached[1], f.stat
            known = known_files.get(f.source)
            if known is not None and known.file_hash == file_hash:  # the common case, inline
                if known.rejected_reason:
                    report.still_rejected.append(Rejection(f.source, known.rejected_reason))
                else:
                    report.unchanged += 1
                continue
        else:
            try:
                file_hash, before = file_fingerprint(
                    Path(f.location), config.limits.max_article_bytes
                )
            except OSError as exc:
                report.waiting.append(Rejection(f.source, f"cannot read yet ({exc.strerror})"))
                complete = False
                continue
        outcome = _ingest_one(conn, config, now, report, f, file_hash, before, known_files, present)
        if outcome and signature and f.settled(listed_at):
            if cached != (signature, file_hash):
                signatures[f.source] = (signature, file_hash)
        else:
            complete = False
    update_inbox_index(conn, signatures, gone=gone)
    if complete and settled:  # the next run compares with this listing
        import base64

        sources, stats = listing.wire
        wire = f"{base64.b64encode(sources).decode()}.{base64.b64encode(stats).decode()}"
        set_meta_value(conn, LISTING_KEY, listing.key)
        set_meta_value(conn, LISTING_WIRE, wire)
    else:
        set_meta_value(conn, LISTING_KEY, None)
        set_meta_value(conn, LISTING_WIRE, None)


def _utf8_name(source: str) -> bool:
    """False for a name with bytes that are not UTF-8 (kept by os.fsdecode as surrogates)."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _nothing_changed(conn: Database, report: RunReport, listed: int) -> None:
    """The listing is the one the previous run left fully processed."""
    rejected = rejections(conn)  # those files are still in the listing
    report.still_rejected += [Rejection(source, reason) for source, reason, _at in rejected]
    report.unchanged += listed - len(rejected)


def _ingest_one(
    conn: Database,
    config: Config,
    now: datetime,
    report: RunReport,
    f: InboxFile,
    file_hash: str,
    before: os.stat_result | None,
    known_files: dict[str, StoredFile],
    present: set[str],
) -> bool:
    """One listed file; False when it must be looked at again next run (still changing)."""
    source = f.source
    known = known_files.get(source)
    if known and known.file_hash == file_hash:
        if known.rejected_reason:
            report.still_rejected.append(Rejection(source, known.rejected_reason))
        else:
            report.unchanged += 1
        return True
    path, inbox = Path(f.location), config.path("inbox")
    if known is None:
        # The very bytes of an article whose file is gone: a rename or a move into a
        # subfolder. It keeps its id, so readers do not see it twice.
        moved_from = next((s for s in sources_with_hash(conn, file_hash) if s not in present), None)
        if moved_from is not None:
            move_article(conn, moved_from, source)
            report.moved.append((moved_from, source))
            return True
    try:
        article = understand(path, config, discovered=before)
    except ArticleChanging as exc:  # still being written: not a rejection
        report.waiting.append(Rejection(source, f"{exc}; read again next run"))
        return False
    except ArticleError as exc:
        record_rejection(conn, source, file_hash, str(exc), now)
        report.rejected.append(Rejection(source, str(exc)))
        return True
    except Exception as exc:  # one bad file must never stop the others
        reason = (
            f"could not be read ({type(exc).__name__}: {exc}); this is a bug in"
            " syndicate, please report it with the file"
        )
        import traceback  # a bug's alone

        traceback.print_exc()
        record_rejection(conn, source, file_hash, reason, now)
        report.rejected.append(Rejection(source, reason))
        return True
    owner = source_of(conn, article.url) if article.url else None
    if owner and owner != source and (inbox / owner).exists():
        # Two files claiming one canonical URL would take turns overwriting one entry on
        # every run. A file whose URL's owner is gone is a rename, and takes it over.
        reason = (
            f"same canonical URL as {owner} ({article.url}); one file per article:"
            " remove one, or give it its own url"
        )
        record_rejection(conn, source, file_hash, reason, now)
        report.rejected.append(Rejection(source, reason))
        return True
    outcome, stored = save_article(
        conn,
        article,
        file_hash=file_hash,
        now=now,
        domain=config.site.domain,
        takes=newsletters_taking(config, article.tags, article.language),
    )
    if outcome == "new":
        report.new.append(stored)
    elif outcome == "updated":
        report.updated.append(stored)
    else:
        report.unchanged += 1
    return True
