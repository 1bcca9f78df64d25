"""Articles and rejected inbox files: identity, change detection, retraction."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from syndicate.core.model import Article, Author, Block, RelatedLink
from syndicate.core.topics import article_topics
from syndicate.store.db import Database, iso, new_secret, to_dt, transaction


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers of an inbox file, to decide if it needs reading again."""

    article_id: str | None
    file_hash: str
    rejected_reason: str | None


# Every write to articles (and digests, store/digests.py) gives the state a new "articles
# version", so a publish can tell that nothing it renders from changed without reading a row.
_VERSION_KEY = "articles_version"


def mark_articles_changed(conn: Database) -> None:
    """Call inside the transaction of any write to articles or digests."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_VERSION_KEY, new_secret(8)),
    )


def articles_version(conn: Database) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_VERSION_KEY,)).fetchone()
    return row["value"] if row else ""


def article_to_json(article: Article) -> str:
    data = asdict(article)
    del data["retracted"]  # the store's own column, not part of the article as read
    for key in ("published", "updated", "first_seen"):
        data[key] = iso(data[key]) if data[key] else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _hash(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data.pop("retracted", None)
    data["blocks"] = tuple(Block(**b) for b in data["blocks"])
    data["author"] = Author(**data["author"]) if data["author"] else None
    data["related"] = tuple(RelatedLink(**r) for r in data["related"])
    data["tags"] = tuple(data["tags"])
    data["key_bullets"] = tuple(data["key_bullets"])
    for key in ("published", "updated", "first_seen"):
        data[key] = to_dt(data[key])
    return Article(**data)


def _article(row: Any) -> Article:
    """A stored article from a row holding `data` and `retracted_at`."""
    article = article_from_json(row["data"])
    retracted = to_dt(row["retracted_at"])
    return article.with_(retracted=retracted) if retracted else article


def stored_file(conn: Database, source: str) -> StoredFile | None:
    row = conn.execute("SELECT id, file_hash FROM articles WHERE source = ?", (source,)).fetchone()
    if row:
        return StoredFile(row["id"], row["file_hash"], None)
    row = conn.execute(
        "SELECT file_hash, reason FROM rejections WHERE source = ?", (source,)
    ).fetchone()
    if row:
        return StoredFile(None, row["file_hash"], row["reason"])
    return None


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "article"


# articles/index.html is the list of articles (site/pages.py): no article page may take its name.
_RESERVED_SLUGS = frozenset({"index"})


def _unique_slug(conn: Database, base: str) -> str:
    slug, n = base, 1
    while (
        slug in _RESERVED_SLUGS
        or conn.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone()
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def tag_uri(domain: str, when: datetime, slug: str) -> str:
    """RFC 4151 tag: URI. Minted once; later changes of host or scheme do not touch it."""
    return f"tag:{domain},{when.date().isoformat()}:{slug}"


def save_article(
    conn: Database,
    article: Article,
    *,
    file_hash: str,
    now: datetime,
    domain: str,
    takes: Mapping[str, bool] | None = None,
) -> tuple[str, Article]:
    """Insert or update one article; return ("new" | "updated" | "unchanged", stored article).
    `takes`: which newsletters take it (enroll_article; None: the one digest of a config
    without [[newsletters]]).

    Identity: a file already known keeps its id whatever changed inside it. A new file whose
    canonical URL is already stored is the same article moved or renamed.
    """
    content_hash = article.content_hash()
    topics = article_topics(article.tags, article.language)
    with transaction(conn):
        mark_articles_changed(conn)
        conn.execute("DELETE FROM rejections WHERE source = ?", (article.source,))
        row = conn.execute("SELECT * FROM articles WHERE source = ?", (article.source,)).fetchone()
        if row is None and article.url:
            row = conn.execute("SELECT * FROM articles WHERE id = ?", (article.url,)).fetchone()
        if row is None:
            slug = _unique_slug(conn, slugify(Path(article.source).stem))
            published = article.published or now
            stored = article.with_(
                id=article.url or tag_uri(domain, now, slug),
                slug=slug,
                first_seen=now,
                published=published,
                updated=article.updated or published,
            )
            data = article_to_json(stored)
            conn.execute(
                "INSERT INTO articles (id, source, slug, file_hash, content_hash, first_seen,"
                " published, updated, data, data_hash, topics)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.id,
                    stored.source,
                    slug,
                    file_hash,
                    content_hash,
                    iso(now),
                    iso(published),
                    iso(stored.updated),
                    data,
                    _hash(data),
                    topics,
                ),
            )
            enroll_article(conn, stored.id, {"": True} if takes is None else takes)
            return "new", stored

        first_seen = to_dt(row["first_seen"])
        old = article_from_json(row["data"])
        changed = row["content_hash"] != content_hash
        updated = (article.updated or now) if changed else old.updated
        stored = article.with_(
            id=row["id"],
            slug=row["slug"],
            first_seen=first_seen,
            published=article.published or old.published,
            updated=updated,
            retracted=to_dt(row["retracted_at"]),
        )
        data = article_to_json(stored)
        conn.execute(
            "UPDATE articles SET source = ?, file_hash = ?, content_hash = ?, published = ?,"
            " updated = ?, data = ?, data_hash = ?, topics = ? WHERE id = ?",
            (
                stored.source,
                file_hash,
                content_hash,
                iso(stored.published),
                iso(stored.updated),
                data,
                _hash(data),
                topics,
                row["id"],
            ),
        )
        if changed:  # a new tag may bring it into a newsletter it waits for, or out
            enroll_article(conn, stored.id, {"": True} if takes is None else takes)
        return ("updated" if changed else "unchanged"), stored


def sources_with_hash(conn: Database, file_hash: str) -> list[str]:
    rows = conn.execute(
        "SELECT source FROM articles WHERE file_hash = ? ORDER BY source", (file_hash,)
    ).fetchall()
    return [r["source"] for r in rows]


def move_article(conn: Database, old_source: str, new_source: str) -> None:
    """The article's file was renamed or moved: same article, same id, new file name."""
    with transaction(conn):
        mark_articles_changed(conn)
        conn.execute("DELETE FROM rejections WHERE source = ?", (new_source,))
        row = conn.execute("SELECT data FROM articles WHERE source = ?", (old_source,)).fetchone()
        data = article_to_json(article_from_json(row["data"]).with_(source=new_source))
        conn.execute(
            "UPDATE articles SET source = ?, data = ?, data_hash = ? WHERE source = ?",
            (new_source, data, _hash(data), old_source),
        )


def source_of(conn: Database, article_id: str) -> str | None:
    """The inbox file an article currently comes from."""
    row = conn.execute("SELECT source FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row["source"] if row else None


def record_rejection(
    conn: Database, source: str, file_hash: str, reason: str, now: datetime
) -> None:
    conn.execute(
        "INSERT INTO rejections (source, file_hash, reason, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(source) DO UPDATE SET file_hash = excluded.file_hash,"
        " reason = excluded.reason, at = excluded.at",
        (source, file_hash, reason, iso(now)),
    )


def rejections(conn: Database) -> list[tuple[str, str, datetime]]:
    rows = conn.execute("SELECT source, reason, at FROM rejections ORDER BY source").fetchall()
    return [(r["source"], r["reason"], to_dt(r["at"])) for r in rows]  # type: ignore[misc]


def all_articles(conn: Database) -> list[Article]:
    """Every stored article, newest publication first (ties broken by id, for stable output)."""
    rows = conn.execute(
        "SELECT data, retracted_at FROM articles ORDER BY published DESC, id"
    ).fetchall()
    return [_article(r) for r in rows]


def articles_by_id(conn: Database, ids: set[str] | list[str]) -> list[Article]:
    """The stored articles with these feed ids (any order), decoded."""
    found: list[Article] = []
    wanted = sorted(ids)
    for i in range(0, len(wanted), 400):  # SQLite < 3.32 takes 999 parameters at most
        part = wanted[i : i + 400]
        rows = conn.execute(
            f"SELECT data, retracted_at FROM articles WHERE id IN ({', '.join('?' * len(part))})",
            tuple(part),
        )
        found += [_article(r) for r in rows]
    return found


def count_articles(conn: Database) -> int:
    return conn.execute("SELECT COUNT(*) AS n FROM articles").fetchone()["n"]


def get_article(conn: Database, ref: str) -> Article | None:
    """A stored article by feed id or by inbox path."""
    row = conn.execute(
        "SELECT data, retracted_at FROM articles WHERE id = ? OR source = ?", (ref, ref)
    ).fetchone()
    return _article(row) if row else None


def set_retracted(conn: Database, article_id: str, reason: str | None, now: datetime) -> bool:
    """Retract (reason given) or restore (reason None) an article; False if unchanged."""
    with transaction(conn):
        return write_retraction(conn, article_id, None if reason is None else now, reason or "")


def write_retraction(conn: Database, article_id: str, at: datetime | None, reason: str) -> bool:
    """Retract the article as of `at` for `reason`, or restore it (`at` None), inside the
    caller's transaction; False if it already was so. Marks the articles changed: what the
    pages are rendered from changed."""
    mark_articles_changed(conn)
    if at is None:
        cur = conn.execute(
            "UPDATE articles SET retracted_at = NULL, retract_reason = NULL"
            " WHERE id = ? AND retracted_at IS NOT NULL",
            (article_id,),
        )
    else:
        cur = conn.execute(
            "UPDATE articles SET retracted_at = ?, retract_reason = ?"
            " WHERE id = ? AND retracted_at IS NULL",
            (iso(at), reason, article_id),
        )
    return cur.rowcount > 0


def enroll_article(conn: Database, article_id: str, takes: Mapping[str, bool]) -> None:
    """Inside the transaction that stores an article: it waits for the next digest of each
    newsletter that takes it (`takes`: newsletter id → whether its filter takes it), once
    (store/newsletters.py); one that no longer does (an edit removed the tag) lets it go
    while it waits."""
    wanted = [(n, article_id) for n, yes in takes.items() if yes]
    unwanted = [(n, article_id) for n, yes in takes.items() if not yes]
    if wanted:
        conn.executemany(
            "INSERT INTO newsletter_articles (newsletter, article_id) VALUES (?, ?)"
            " ON CONFLICT (newsletter, article_id) DO NOTHING",
            wanted,
        )
    if unwanted:
        conn.executemany(
            "DELETE FROM newsletter_articles WHERE newsletter = ? AND article_id = ?"
            " AND digest_id IS NULL AND skipped_at IS NULL",
            unwanted,
        )
