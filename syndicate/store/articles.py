"""Articles and rejected inbox files: identity, change detection, retraction."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from syndicate.model import Article, Author, Block, RelatedLink
from syndicate.store.db import Database, iso, to_dt, transaction


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers of an inbox file, to decide if it needs reading again."""

    article_id: str | None
    file_hash: str
    rejected_reason: str | None


def article_to_json(article: Article) -> str:
    data = asdict(article)
    for key in ("published", "updated", "first_seen"):
        data[key] = iso(data[key]) if data[key] else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data["blocks"] = tuple(Block(**b) for b in data["blocks"])
    data["author"] = Author(**data["author"]) if data["author"] else None
    data["related"] = tuple(RelatedLink(**r) for r in data["related"])
    data["tags"] = tuple(data["tags"])
    data["key_bullets"] = tuple(data["key_bullets"])
    for key in ("published", "updated", "first_seen"):
        data[key] = to_dt(data[key])
    return Article(**data)


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


def _unique_slug(conn: Database, base: str) -> str:
    slug, n = base, 1
    while conn.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone():
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
) -> tuple[str, Article]:
    """Insert or update one article; return ("new" | "updated" | "unchanged", stored article).

    Identity: a file already known keeps its id whatever changed inside it. A new file whose
    canonical URL is already stored is the same article moved or renamed.
    """
    content_hash = article.content_hash()
    with transaction(conn):
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
            conn.execute(
                "INSERT INTO articles (id, source, slug, file_hash, content_hash, first_seen,"
                " published, updated, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.id,
                    stored.source,
                    slug,
                    file_hash,
                    content_hash,
                    iso(now),
                    iso(published),
                    iso(stored.updated),
                    article_to_json(stored),
                ),
            )
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
        )
        conn.execute(
            "UPDATE articles SET source = ?, file_hash = ?, content_hash = ?, published = ?,"
            " updated = ?, data = ? WHERE id = ?",
            (
                stored.source,
                file_hash,
                content_hash,
                iso(stored.published),
                iso(stored.updated),
                article_to_json(stored),
                row["id"],
            ),
        )
        return ("updated" if changed else "unchanged"), stored


def sources_with_hash(conn: Database, file_hash: str) -> list[str]:
    rows = conn.execute(
        "SELECT source FROM articles WHERE file_hash = ? ORDER BY source", (file_hash,)
    ).fetchall()
    return [r["source"] for r in rows]


def move_article(conn: Database, old_source: str, new_source: str) -> None:
    """The article's file was renamed or moved: same article, same id, new file name."""
    with transaction(conn):
        conn.execute("DELETE FROM rejections WHERE source = ?", (new_source,))
        row = conn.execute("SELECT data FROM articles WHERE source = ?", (old_source,)).fetchone()
        data = article_to_json(article_from_json(row["data"]).with_(source=new_source))
        conn.execute(
            "UPDATE articles SET source = ?, data = ? WHERE source = ?",
            (new_source, data, old_source),
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
    rows = conn.execute("SELECT data FROM articles ORDER BY published DESC, id").fetchall()
    return [article_from_json(r["data"]) for r in rows]


def count_articles(conn: Database) -> int:
    return conn.execute("SELECT COUNT(*) AS n FROM articles").fetchone()["n"]
