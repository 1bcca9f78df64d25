"""SQLite state: articles, rejections, runs, digests, subscribers, deliveries.

The only SQL in the tree. Every write is its own short transaction so that a crash loses at
most the step in flight: delivery state in particular is committed per recipient.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from syndicate.model import Article, Author, Block, RelatedLink, Subscriber

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id           TEXT PRIMARY KEY,      -- feed guid/id; never changes once written
    source       TEXT NOT NULL UNIQUE,  -- inbox path, forward slashes
    slug         TEXT NOT NULL UNIQUE,
    file_hash    TEXT NOT NULL,         -- sha256 of the file's bytes: skip unchanged files fast
    content_hash TEXT NOT NULL,         -- Article.content_hash(): what readers see
    first_seen   TEXT NOT NULL,
    published    TEXT NOT NULL,
    updated      TEXT NOT NULL,
    data         TEXT NOT NULL,         -- the Article as JSON
    digest_id    TEXT                   -- the digest that announced it; NULL = not yet
);
CREATE TABLE IF NOT EXISTS rejections (
    source    TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,            -- not retried until the file changes
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id        INTEGER PRIMARY KEY,
    started   TEXT NOT NULL,
    finished  TEXT,
    trigger   TEXT NOT NULL,
    summary   TEXT                      -- JSON counts
);
CREATE TABLE IF NOT EXISTS digests (
    id       TEXT PRIMARY KEY,
    created  TEXT NOT NULL,
    articles TEXT NOT NULL              -- JSON list of article ids, newest first
);
CREATE TABLE IF NOT EXISTS subscribers (
    email   TEXT PRIMARY KEY,           -- lower-cased address
    name    TEXT NOT NULL DEFAULT '',
    token   TEXT NOT NULL UNIQUE,       -- unsubscribe secret
    status  TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
    added   TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    digest_id TEXT NOT NULL REFERENCES digests(id),
    email     TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts  INTEGER NOT NULL DEFAULT 0,
    at        TEXT,
    detail    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (digest_id, email)
);
"""


@dataclass(frozen=True)
class StoredFile:
    """What the store remembers of an inbox file, to decide if it needs reading again."""

    article_id: str | None
    file_hash: str
    rejected_reason: str | None


@dataclass(frozen=True)
class Delivery:
    digest_id: str
    email: str
    status: str
    attempts: int
    detail: str


def open_store(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # delivery state must survive power loss
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- articles


def article_to_json(article: Article) -> str:
    data = asdict(article)
    for key in ("published", "updated", "first_seen"):
        data[key] = _iso(data[key]) if data[key] else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data["blocks"] = tuple(Block(**b) for b in data["blocks"])
    data["author"] = Author(**data["author"]) if data["author"] else None
    data["related"] = tuple(RelatedLink(**r) for r in data["related"])
    data["tags"] = tuple(data["tags"])
    data["key_bullets"] = tuple(data["key_bullets"])
    for key in ("published", "updated", "first_seen"):
        data[key] = _dt(data[key])
    return Article(**data)


def stored_file(conn: sqlite3.Connection, source: str) -> StoredFile | None:
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


def _unique_slug(conn: sqlite3.Connection, base: str) -> str:
    slug, n = base, 1
    while conn.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone():
        n += 1
        slug = f"{base}-{n}"
    return slug


def tag_uri(domain: str, when: datetime, slug: str) -> str:
    """RFC 4151 tag: URI. Minted once; later changes of host or scheme do not touch it."""
    return f"tag:{domain},{when.date().isoformat()}:{slug}"


def save_article(
    conn: sqlite3.Connection,
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
                    _iso(now),
                    _iso(published),
                    _iso(stored.updated),
                    article_to_json(stored),
                ),
            )
            return "new", stored

        first_seen = _dt(row["first_seen"])
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
                _iso(stored.published),
                _iso(stored.updated),
                article_to_json(stored),
                row["id"],
            ),
        )
        return ("updated" if changed else "unchanged"), stored


def sources_with_hash(conn: sqlite3.Connection, file_hash: str) -> list[str]:
    rows = conn.execute(
        "SELECT source FROM articles WHERE file_hash = ? ORDER BY source", (file_hash,)
    ).fetchall()
    return [r["source"] for r in rows]


def move_article(conn: sqlite3.Connection, old_source: str, new_source: str) -> None:
    """The article's file was renamed or moved: same article, same id, new file name."""
    with transaction(conn):
        conn.execute("DELETE FROM rejections WHERE source = ?", (new_source,))
        row = conn.execute("SELECT data FROM articles WHERE source = ?", (old_source,)).fetchone()
        data = article_to_json(article_from_json(row["data"]).with_(source=new_source))
        conn.execute(
            "UPDATE articles SET source = ?, data = ? WHERE source = ?",
            (new_source, data, old_source),
        )


def source_of(conn: sqlite3.Connection, article_id: str) -> str | None:
    """The inbox file an article currently comes from."""
    row = conn.execute("SELECT source FROM articles WHERE id = ?", (article_id,)).fetchone()
    return row["source"] if row else None


def record_rejection(
    conn: sqlite3.Connection, source: str, file_hash: str, reason: str, now: datetime
) -> None:
    conn.execute(
        "INSERT INTO rejections (source, file_hash, reason, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(source) DO UPDATE SET file_hash = excluded.file_hash,"
        " reason = excluded.reason, at = excluded.at",
        (source, file_hash, reason, _iso(now)),
    )


def rejections(conn: sqlite3.Connection) -> list[tuple[str, str, datetime]]:
    rows = conn.execute("SELECT source, reason, at FROM rejections ORDER BY source").fetchall()
    return [(r["source"], r["reason"], _dt(r["at"])) for r in rows]  # type: ignore[misc]


def all_articles(conn: sqlite3.Connection) -> list[Article]:
    """Every stored article, newest publication first (ties broken by id, for stable output)."""
    rows = conn.execute("SELECT data FROM articles ORDER BY published DESC, id").fetchall()
    return [article_from_json(r["data"]) for r in rows]


def count_articles(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


# ---------------------------------------------------------------- digests and deliveries


def undigested_articles(conn: sqlite3.Connection) -> list[Article]:
    rows = conn.execute(
        "SELECT data FROM articles WHERE digest_id IS NULL ORDER BY published DESC, id"
    ).fetchall()
    return [article_from_json(r["data"]) for r in rows]


def create_digest(
    conn: sqlite3.Connection, articles: Sequence[Article], now: datetime, tz_date: str
) -> str:
    """Record a digest, claim its articles and queue one delivery per active subscriber.

    One transaction: either the digest exists with all its recipients queued, or nothing.
    """
    with transaction(conn):
        n = conn.execute(
            "SELECT COUNT(*) FROM digests WHERE id LIKE ?", (f"{tz_date}-%",)
        ).fetchone()[0]
        digest_id = f"{tz_date}-{n + 1:03d}"
        ids = [a.id for a in articles]
        conn.execute(
            "INSERT INTO digests (id, created, articles) VALUES (?, ?, ?)",
            (digest_id, _iso(now), json.dumps(ids)),
        )
        conn.executemany(
            "UPDATE articles SET digest_id = ? WHERE id = ?", [(digest_id, i) for i in ids]
        )
        conn.execute(
            "INSERT INTO deliveries (digest_id, email, status)"
            " SELECT ?, email, 'pending' FROM subscribers WHERE status = 'active'",
            (digest_id,),
        )
    return digest_id


def digest_articles(conn: sqlite3.Connection, digest_id: str) -> tuple[datetime, list[Article]]:
    row = conn.execute(
        "SELECT created, articles FROM digests WHERE id = ?", (digest_id,)
    ).fetchone()
    by_id = {
        r["id"]: article_from_json(r["data"])
        for r in conn.execute("SELECT id, data FROM articles WHERE digest_id = ?", (digest_id,))
    }
    ids = json.loads(row["articles"])
    return _dt(row["created"]), [by_id[i] for i in ids if i in by_id]  # type: ignore[return-value]


def digests(conn: sqlite3.Connection, limit: int = 10) -> list[tuple[str, datetime, int]]:
    rows = conn.execute(
        "SELECT id, created, json_array_length(articles) AS n FROM digests"
        " ORDER BY created DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [(r["id"], _dt(r["created"]), r["n"]) for r in rows]  # type: ignore[misc]


MAX_ATTEMPTS = 5  # after that a failed delivery waits for the operator (`status` lists it)


def open_deliveries(conn: sqlite3.Connection) -> list[Delivery]:
    """Deliveries not yet sent (pending, or failed fewer than MAX_ATTEMPTS times) to
    subscribers still active."""
    rows = conn.execute(
        "SELECT d.* FROM deliveries d JOIN subscribers s ON s.email = d.email"
        " WHERE d.status != 'sent' AND d.attempts < ? AND s.status = 'active'"
        " ORDER BY d.digest_id, d.email",
        (MAX_ATTEMPTS,),
    ).fetchall()
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def mark_delivery(
    conn: sqlite3.Connection,
    digest_id: str,
    email: str,
    *,
    sent: bool,
    now: datetime,
    detail: str = "",
) -> None:
    conn.execute(
        "UPDATE deliveries SET status = ?, attempts = attempts + 1, at = ?, detail = ?"
        " WHERE digest_id = ? AND email = ?",
        ("sent" if sent else "failed", _iso(now), detail, digest_id, email),
    )


def failed_deliveries(conn: sqlite3.Connection, limit: int = 20) -> list[Delivery]:
    rows = conn.execute(
        "SELECT * FROM deliveries WHERE status = 'failed' ORDER BY at DESC, email LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def requeue_failed(conn: sqlite3.Connection) -> int:
    """Give deliveries that used up their attempts a fresh set; return how many."""
    cur = conn.execute("UPDATE deliveries SET attempts = 0 WHERE status = 'failed'")
    return cur.rowcount


def delivery_counts(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


# ---------------------------------------------------------------- subscribers


def subscriber_key(email: str) -> str:
    """Short stable hash of an address: names files and Message-IDs without leaking it."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:16]


def add_subscriber(
    conn: sqlite3.Connection, email: str, name: str, now: datetime, *, resubscribe: bool
) -> str:
    """Add an address; return "added", "exists", "resubscribed" or "unsubscribed".

    With resubscribe=False someone who unsubscribed stays unsubscribed: a config list re-read
    at every start must never undo a subscriber's choice.
    """
    email = email.lower()
    with transaction(conn):
        row = conn.execute("SELECT status FROM subscribers WHERE email = ?", (email,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO subscribers (email, name, token, status, added, changed)"
                " VALUES (?, ?, ?, 'active', ?, ?)",
                (email, name, secrets.token_urlsafe(24), _iso(now), _iso(now)),
            )
            return "added"
        if row["status"] == "active":
            return "exists"
        if not resubscribe:
            return "unsubscribed"
        conn.execute(
            "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
            (_iso(now), email),
        )
        return "resubscribed"


def unsubscribe(
    conn: sqlite3.Connection, now: datetime, *, email: str | None = None, token: str | None = None
) -> str | None:
    """Mark a subscriber unsubscribed by address or token; return the address, or None."""
    with transaction(conn):
        if token is not None:
            row = conn.execute("SELECT email FROM subscribers WHERE token = ?", (token,)).fetchone()
        else:
            row = conn.execute(
                "SELECT email FROM subscribers WHERE email = ?", ((email or "").lower(),)
            ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE subscribers SET status = 'unsubscribed', changed = ? WHERE email = ?",
            (_iso(now), row["email"]),
        )
        return row["email"]


def subscribers(conn: sqlite3.Connection, *, active_only: bool = False) -> list[Subscriber]:
    sql = "SELECT email, name, token, status FROM subscribers"
    if active_only:
        sql += " WHERE status = 'active'"
    rows = conn.execute(sql + " ORDER BY email").fetchall()
    return [Subscriber(r["email"], r["name"], r["token"]) for r in rows]


def subscriber_statuses(conn: sqlite3.Connection) -> dict[str, str]:
    return {r["email"]: r["status"] for r in conn.execute("SELECT email, status FROM subscribers")}


def get_subscriber(conn: sqlite3.Connection, email: str) -> Subscriber | None:
    row = conn.execute(
        "SELECT email, name, token FROM subscribers WHERE email = ?", (email.lower(),)
    ).fetchone()
    return Subscriber(row["email"], row["name"], row["token"]) if row else None


# ---------------------------------------------------------------- runs


def start_run(conn: sqlite3.Connection, trigger: str, now: datetime) -> int:
    cur = conn.execute("INSERT INTO runs (started, trigger) VALUES (?, ?)", (_iso(now), trigger))
    return int(cur.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run_id: int, now: datetime, summary: dict) -> None:
    conn.execute(
        "UPDATE runs SET finished = ?, summary = ? WHERE id = ?",
        (_iso(now), json.dumps(summary, ensure_ascii=False, sort_keys=True), run_id),
    )


def recent_runs(conn: sqlite3.Connection, limit: int = 5) -> list[dict]:
    rows = conn.execute(
        "SELECT id, started, finished, trigger, summary FROM runs ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        {
            "id": r["id"],
            "started": r["started"],
            "finished": r["finished"],
            "trigger": r["trigger"],
            "summary": json.loads(r["summary"]) if r["summary"] else None,
        }
        for r in rows
    ]
