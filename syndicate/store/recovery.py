"""`state adopt`: writing back into the state what the outputs show (syndicate/adopt/ reads
them). Every write here keeps what the state already knows and only adds or completes:
adopting twice, or adopting into a restored backup, never loses a fact."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.core.topics import article_topics
from syndicate.store.articles import (
    article_to_json,
    enroll_article,
    mark_articles_changed,
    write_retraction,
)
from syndicate.store.db import Database, iso, new_token
from syndicate.store.subscribers import is_suppressed

if TYPE_CHECKING:
    from syndicate.core.model import Article


def adopt_article(
    conn: Database,
    stored: Article,
    *,
    file_hash: str,
    content_hash: str,
    retracted_at: datetime | None = None,
    takes: Mapping[str, bool] | None = None,
) -> str:
    """Store an article with the identity and dates the feeds show (id, slug, first seen,
    published, updated), waiting for the newsletters that take it (`takes`, as
    articles.save_article) unless a digest the outputs show had it (adopt_digest). Returns
    "added", "updated" (an edit the feeds show but the state missed) or "conflict" (its
    file or slug belongs to another stored article)."""
    mark_articles_changed(conn)  # what the pages are rendered from changed
    data = article_to_json(stored)
    data_hash = hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
    row = conn.execute("SELECT id FROM articles WHERE id = ?", (stored.id,)).fetchone()
    clash = conn.execute(
        "SELECT id FROM articles WHERE (source = ? OR slug = ?) AND id <> ?",
        (stored.source, stored.slug, stored.id),
    ).fetchone()
    if clash is not None:
        return "conflict"
    values = (
        stored.source,
        stored.slug,
        file_hash,
        content_hash,
        iso(stored.published),  # type: ignore[arg-type]
        iso(stored.updated),  # type: ignore[arg-type]
        data,
        data_hash,
        iso(retracted_at) if retracted_at else None,
        article_topics(stored.tags, stored.language),
    )
    enroll_article(conn, stored.id, {"": True} if takes is None else takes)
    if row is None:
        conn.execute(
            "INSERT INTO articles (source, slug, file_hash, content_hash, published, updated,"
            " data, data_hash, retracted_at, topics, retract_reason, id, first_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *values,
                "retracted (reason not recoverable: adopted from the feeds)"
                if retracted_at
                else None,
                stored.id,
                iso(stored.first_seen),  # type: ignore[arg-type]
            ),
        )
        return "added"
    conn.execute(
        "UPDATE articles SET source = ?, slug = ?, file_hash = ?, content_hash = ?,"
        " published = ?, updated = ?, data = ?, data_hash = ?, retracted_at = ?, topics = ?,"
        " retract_reason = CASE WHEN CAST(? AS TEXT) IS NULL THEN NULL ELSE retract_reason END"
        " WHERE id = ?",
        (*values, iso(retracted_at) if retracted_at else None, stored.id),
    )
    return "updated"


def set_retraction(conn: Database, article_id: str, retracted_at: datetime | None) -> bool:
    """Make a stored article's retraction match the feeds; True if it changed."""
    return write_retraction(
        conn,
        article_id,
        retracted_at,
        "retracted (reason not recoverable: adopted from the feeds)",
    )


def stored_identities(conn: Database) -> dict[str, tuple[str, str, str]]:
    """id → (source, slug, file hash) of every stored article."""
    return {
        r["id"]: (r["source"], r["slug"], r["file_hash"])
        for r in conn.execute("SELECT id, source, slug, file_hash FROM articles")
    }


def digest_ids(conn: Database) -> set[str]:
    return {r["id"] for r in conn.execute("SELECT id FROM digests")}


def adopt_digest(
    conn: Database,
    digest_id: str,
    created: datetime,
    article_ids: Sequence[str],
    newsletter: str = "",
) -> bool:
    """Record a digest of `newsletter` the outputs show (its id is then never minted again)
    and mark its articles as announced by it. False if the state knew it already."""
    mark_articles_changed(conn)  # what the pages are rendered from changed
    cur = conn.execute(
        "INSERT INTO digests (id, created, articles, newsletter) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (digest_id, iso(created), json.dumps(list(article_ids)), newsletter),
    )
    added = cur.rowcount > 0
    conn.executemany(
        "INSERT INTO newsletter_articles (newsletter, article_id, digest_id) VALUES (?, ?, ?)"
        " ON CONFLICT (newsletter, article_id) DO UPDATE SET digest_id = excluded.digest_id"
        " WHERE newsletter_articles.digest_id IS NULL",
        [(newsletter, i, digest_id) for i in article_ids],
    )
    return added


def adopt_subscriber(conn: Database, email: str, name: str, token: str, now: datetime) -> bool:
    """Add an address seen in the outbox, with the unsubscribe token its messages carry (so
    the links in them keep working). Never changes a known subscriber, never re-adds an
    erased one; True if added."""
    email = email.lower()
    if is_suppressed(conn, email):
        return False
    if conn.execute("SELECT 1 FROM subscribers WHERE email = ?", (email,)).fetchone():
        return False
    if conn.execute("SELECT 1 FROM subscribers WHERE token = ?", (token,)).fetchone():
        token = new_token()
    conn.execute(
        "INSERT INTO subscribers (email, name, token, status, added, changed)"
        " VALUES (?, ?, ?, 'active', ?, ?)",
        (email, name, token, iso(now), iso(now)),
    )
    return True


def adopt_delivery(conn: Database, digest_id: str, email: str, at: datetime, detail: str) -> bool:
    """The outbox holds this message: the delivery is done, whatever the state thought.
    True if that changed anything."""
    cur = conn.execute(
        "INSERT INTO deliveries (digest_id, email, status, attempts, at, detail)"
        " VALUES (?, ?, 'sent', 1, ?, ?) ON CONFLICT (digest_id, email) DO UPDATE"
        " SET status = 'sent', at = excluded.at, detail = excluded.detail,"
        " claimed_by = NULL, lease_until = NULL WHERE deliveries.status <> 'sent'",
        (digest_id, email.lower(), iso(at), detail),
    )
    return cur.rowcount > 0


def adopt_resends(
    conn: Database, digest_id: str, email: str, count: int, at: datetime, detail: str
) -> int:
    """Make the state count at least `count` resends of this digest to this address (their
    Message-IDs are numbered: the next resend must not reuse one). Returns rows added."""
    have = conn.execute(
        "SELECT COUNT(*) AS n FROM resends WHERE digest_id = ? AND email = ?",
        (digest_id, email.lower()),
    ).fetchone()["n"]
    for _ in range(have, count):
        conn.execute(
            "INSERT INTO resends (digest_id, email, at, detail) VALUES (?, ?, ?, ?)",
            (digest_id, email.lower(), iso(at), detail),
        )
    return max(count - have, 0)


def hold_open_deliveries(conn: Database, detail: str) -> int:
    """Queued deliveries of a restored state whose fate no local output can tell (SMTP):
    held for the operator (`in_doubt`) instead of being sent a second time."""
    cur = conn.execute(
        "UPDATE deliveries SET status = 'in_doubt', detail = ?, claimed_by = NULL,"
        " lease_until = NULL WHERE status IN ('pending', 'failed')",
        (detail,),
    )
    return cur.rowcount
