"""`state adopt`, step 1: the articles. Each inbox file the state does not know as it is now
is read and matched to the feed entry it became: by canonical URL (= the entry id), by the
slug in its `tag:` id or article page link (the file name's slug, or slug-N), then by title.
It is stored under the entry's id, slug and dates (published, updated from the feeds; first
seen rebuilt to keep the feeds' archival order: the page an entry is on bounds it). Entries
with no inbox file left are kept as stubs from the JSON Feed item, so their ids stay in the
feeds; tombstones in Atom restore retractions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.config import Config
from syndicate.config.newsletters import newsletters_taking
from syndicate.core.model import Article, Author
from syndicate.inbox.changes import file_fingerprint, inbox_files, source_name
from syndicate.ingest import understand
from syndicate.ops.evidence import FeedEntry, canonical_slugs
from syndicate.readers.errors import ArticleError
from syndicate.site.feeds.entries import base_url, plain_text, utc
from syndicate.store.article_rows import article_rows
from syndicate.store.articles import get_article, slugify
from syndicate.store.db import Database
from syndicate.store.recovery import adopt_article, set_retraction

if TYPE_CHECKING:
    from syndicate.ops.adopt import AdoptReport


@dataclass(frozen=True)
class Match:
    article: Article
    entry: FeedEntry
    source: str
    file_hash: str


def match_inbox(
    conn: Database,
    config: Config,
    entries: dict[str, FeedEntry],
    known: dict,
) -> tuple[list[Match], dict[str, str | None]]:
    """The inbox files whose feed entry the state lacks (or shows older than the feeds)."""
    base = base_url(config)
    canonical = canonical_slugs(config.path("feeds"))
    slugs = {i: _slug_of(e, base, canonical) for i, e in entries.items()}
    by_source = {src: (i, h) for i, (src, _slug, h) in known.items()}
    claimed = {i for i, (src, _s, _h) in known.items()}
    found = []
    inbox = config.path("inbox")
    for path in inbox_files(inbox):
        source = source_name(path, inbox)
        try:
            file_hash, _st = file_fingerprint(path, config.limits.max_article_bytes)
        except OSError:
            continue
        stored_id, stored_hash = by_source.get(source, (None, None))
        if stored_hash is not None and stored_hash == file_hash:
            continue
        try:
            article = understand(path, config)
        except (ArticleError, OSError, ValueError):
            continue  # the next run reports it
        entry = _match(article, source, entries, slugs, claimed, stored_id)
        if entry is None:
            continue  # not published yet: the next run ingests it as new (or updated)
        if stored_id is not None and not _feeds_show_edit(conn, entry):
            continue  # the edit is newer than the feeds: the next run publishes it
        claimed.add(entry.id)
        found.append(Match(article, entry, source, file_hash))
    return found, slugs


def first_seen(
    conn: Database, entries: dict[str, FeedEntry], exact: set[str]
) -> dict[str, datetime]:
    """A first-seen time per entry, in the feeds' archival order. Stored ones are as stored;
    an undated article's is its publication time (the store dated it by first sight); a
    dated one's is unknown: no earlier than the entries on earlier archive pages, nor its
    own date. Each is pushed just past the previous entry where that order needs it."""
    stored = {r.id: r.first_seen for r in article_rows(conn)}
    pages: dict[int, list[FeedEntry]] = {}
    for e in entries.values():
        pages.setdefault(e.page, []).append(e)
    result: dict[str, datetime] = {}
    prev: tuple[datetime, str] | None = None
    for number in sorted(pages):
        floor = prev[0] if prev else _EPOCH
        guess = {}
        for e in pages[number]:
            if e.id in stored:
                guess[e.id] = stored[e.id]
            elif e.id in exact and e.published:
                guess[e.id] = e.published
            else:  # a tombstone has no date of its own but its retraction: the floor
                guess[e.id] = max(_sec(e.published or _EPOCH), _sec(floor))
        for e in sorted(pages[number], key=lambda e: (_sec(guess[e.id]), e.id)):
            fs = guess[e.id]
            if e.id not in stored and prev and (_sec(fs), e.id) < (_sec(prev[0]), prev[1]):
                fs = _sec(prev[0]) + timedelta(seconds=1)
            result[e.id] = fs
            prev = (fs, e.id)
    return result


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _sec(dt: datetime) -> datetime:
    return utc(dt)


def _slug_of(entry: FeedEntry, base: str, canonical: dict[str, str]) -> str | None:
    if entry.id.startswith("tag:") and ":" in entry.id[4:]:
        return entry.id.rsplit(":", 1)[1]
    prefix = base + "articles/"
    if entry.link.startswith(prefix) and entry.link.endswith(".html"):
        return entry.link[len(prefix) : -len(".html")]
    return canonical.get(entry.id)


def adopt_articles(
    conn: Database,
    config: Config,
    entries: dict[str, FeedEntry],
    known: dict,
    slugs: dict[str, str | None],
    matches: list[Match],
    first_seen: dict[str, datetime],
    report: AdoptReport,
) -> None:
    for m in matches:
        if m.entry.id in known:
            slug = known[m.entry.id][1]
        else:
            slug = slugs.get(m.entry.id) or slugify(Path(m.source).stem)
        outcome = _store(conn, config, m.article, m.entry, slug, first_seen, m.file_hash)
        report.articles += outcome == "added"
        if outcome == "conflict":
            report.warnings.append(f"{m.source}: matches entry {m.entry.id}, whose slug is taken")
    matched = {m.entry.id for m in matches}
    base = base_url(config)
    for entry in entries.values():
        if entry.id in matched or entry.id in known:
            continue
        slug = slugs.get(entry.id) or slugify(entry.title or entry.id)
        stub = _stub(entry, base, slug)
        hashed = "adopted:" + hashlib.sha256(entry.id.encode()).hexdigest()
        if _store(conn, config, stub, entry, slug, first_seen, hashed) == "added":
            report.stubs += 1
            report.warnings.append(
                f"{entry.id}: no inbox file left; kept from the feeds ({stub.source})"
            )
    for article_id in known:  # retractions made or undone after a restored backup
        if article_id in entries:
            set_retraction(conn, article_id, entries[article_id].retracted)


def _match(article, source, entries, slugs, claimed, stored_id) -> FeedEntry | None:
    if stored_id is not None:
        return entries.get(stored_id)
    if article.url and article.url in entries and article.url not in claimed:
        return entries[article.url]
    free = [e for e in entries.values() if e.id not in claimed]
    base = slugify(Path(source).stem)
    pattern = re.compile(rf"^{re.escape(base)}(-\d+)?$")
    by_slug = [e for e in free if pattern.match(slugs.get(e.id) or "")]
    title = plain_text(article.title)
    for group in (
        [e for e in by_slug if slugs.get(e.id) == base],
        [e for e in by_slug if e.title == title],
        by_slug if len(by_slug) == 1 else [],
        [e for e in free if title and e.title == title],
    ):
        if len(group) == 1:
            return group[0]
    return None


def _feeds_show_edit(conn: Database, entry: FeedEntry) -> bool:
    row = get_article(conn, entry.id)
    if row is None or row.updated is None:
        return True
    return _sec(row.updated) != entry.updated or bool(row.retracted) != bool(entry.retracted)


def _store(conn, config, article, entry, slug, first_seen, file_hash) -> str:
    tz = config.site.tz
    fs = first_seen[entry.id].astimezone(tz)
    published = article.published
    if published is None or entry.published is None or _sec(published) != entry.published:
        published = entry.published.astimezone(tz) if entry.published else fs
    updated = article.updated
    if updated is None or entry.updated is None or _sec(max(updated, published)) != entry.updated:
        updated = entry.updated.astimezone(tz) if entry.updated else published
    stored = article.with_(
        id=entry.id, slug=slug, first_seen=fs, published=published, updated=updated
    )
    return adopt_article(
        conn,
        stored,
        file_hash=file_hash,
        content_hash=article.content_hash(),
        retracted_at=entry.retracted.astimezone(tz) if entry.retracted else None,
        takes=newsletters_taking(config, stored.tags, stored.language),
    )


def _stub(entry: FeedEntry, base: str, slug: str) -> Article:
    item = entry.item
    link = entry.link
    authors = item.get("authors") or []
    return Article(
        source=f".adopted/{slug}",
        title=entry.title,
        blocks=(),
        author=Author(authors[0].get("name", ""), url=authors[0].get("url")) if authors else None,
        language=item.get("language"),
        url=None if link.startswith(base + "articles/") or not link else link,
        tags=tuple(item.get("tags") or ()),
        image=item.get("image"),
        body_html=item.get("content_html") or None,
        summary=item.get("summary", ""),
    )
