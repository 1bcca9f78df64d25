"""Digests: making one (and queueing its deliveries), reading one back, and resends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.store.articles import article_from_json, mark_articles_changed
from syndicate.store.db import Database, iso, to_dt, transaction
from syndicate.store.schema import PENDING_WHERE

if TYPE_CHECKING:
    from syndicate.core.model import Article


_PENDING = PENDING_WHERE  # the words of the partial index articles_pending


def undigested_articles(conn: Database) -> list[Article]:
    """Articles waiting for the next digest (not skipped, not retracted), newest first."""
    rows = conn.execute(
        f"SELECT data FROM articles WHERE {_PENDING} ORDER BY published DESC, id"
    ).fetchall()
    return [article_from_json(r["data"]) for r in rows]


def count_pending(conn: Database) -> int:
    return conn.execute(f"SELECT COUNT(*) AS n FROM articles WHERE {_PENDING}").fetchone()["n"]


def last_digest(conn: Database) -> tuple[str, datetime] | None:
    """The most recently created digest: (id, created)."""
    row = conn.execute(
        "SELECT id, created FROM digests ORDER BY created DESC, id DESC LIMIT 1"
    ).fetchone()
    return (row["id"], to_dt(row["created"])) if row else None  # type: ignore[return-value]


def create_digest(conn: Database, articles: Sequence[Article], now: datetime, tz_date: str) -> str:
    """Record a digest, claim its articles and queue one delivery per active subscriber.

    One transaction: either the digest exists with all its recipients queued, or nothing.
    """
    with transaction(conn):
        mark_articles_changed(conn)
        # The highest number of the day plus one, never a count: a digest id (and so its file
        # names and Message-IDs) is never reused, even when `state adopt` recovered only some.
        taken = [
            r["id"].rsplit("-", 1)[-1]
            for r in conn.execute("SELECT id FROM digests WHERE id LIKE ?", (f"{tz_date}-%",))
        ]
        n = max((int(t) for t in taken if t.isdigit()), default=0)
        digest_id = f"{tz_date}-{n + 1:03d}"
        ids = [a.id for a in articles]
        conn.execute(
            "INSERT INTO digests (id, created, articles) VALUES (?, ?, ?)",
            (digest_id, iso(now), json.dumps(ids)),
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


def digest_articles(conn: Database, digest_id: str) -> tuple[datetime, list[Article]] | None:
    """A digest's creation time and its articles as shown, newest first; retracted articles
    are left out (of resends and of the web version too). None if there is no such digest."""
    row = conn.execute(
        "SELECT created, articles FROM digests WHERE id = ?", (digest_id,)
    ).fetchone()
    if row is None:
        return None
    by_id = {
        r["id"]: article_from_json(r["data"])
        for r in conn.execute(
            "SELECT id, data FROM articles WHERE digest_id = ? AND retracted_at IS NULL",
            (digest_id,),
        )
    }
    ids = json.loads(row["articles"])
    return to_dt(row["created"]), [by_id[i] for i in ids if i in by_id]  # type: ignore[return-value]


def digests(conn: Database, limit: int = 10) -> list[tuple[str, datetime, int]]:
    rows = conn.execute(
        # By id: ids are the local date plus a number that only grows, so this is the order
        # they were made in, and it survives a state rebuilt from the outputs (whose
        # creation times are only known to the second).
        "SELECT id, created, articles FROM digests ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        (r["id"], to_dt(r["created"]), len(json.loads(r["articles"])))  # type: ignore[misc]
        for r in rows
    ]


def digest_members(conn: Database) -> dict[str, list[tuple[str, str, str | None]]]:
    """digest id → (article id, data hash, retracted) of each of its articles: what its web
    version is rendered from, read without decoding any article."""
    out: dict[str, list[tuple[str, str, str | None]]] = {
        r["id"]: [] for r in conn.execute("SELECT id FROM digests")
    }
    rows = conn.execute(
        "SELECT digest_id, id, data_hash, retracted_at FROM articles"
        " WHERE digest_id IS NOT NULL ORDER BY digest_id, id"
    )
    for r in rows:
        out.setdefault(r["digest_id"], []).append(
            (r["id"], r["data_hash"] or "", r["retracted_at"])
        )
    return out


def record_resend(conn: Database, digest_id: str, email: str, now: datetime, detail: str) -> int:
    """Record a resend; return how many times this digest went to this address by resend."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO resends (digest_id, email, at, detail) VALUES (?, ?, ?, ?)",
            (digest_id, email, iso(now), detail),
        )
        return conn.execute(
            "SELECT COUNT(*) AS n FROM resends WHERE digest_id = ? AND email = ?",
            (digest_id, email),
        ).fetchone()["n"]


def count_resends(conn: Database, digest_id: str, email: str) -> int:
    return conn.execute(
        "SELECT COUNT(*) AS n FROM resends WHERE digest_id = ? AND email = ?",
        (digest_id, email),
    ).fetchone()["n"]


def count_queued(conn: Database, digest_id: str) -> int:
    return conn.execute(
        "SELECT COUNT(*) AS n FROM deliveries WHERE digest_id = ?", (digest_id,)
    ).fetchone()["n"]


def count_all_resends(conn: Database) -> int:
    return conn.execute("SELECT COUNT(*) AS n FROM resends").fetchone()["n"]


def deliveries_by_digest(conn: Database, digest_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """digest id → delivery status → count, for the given digests (the console's list)."""
    out: dict[str, dict[str, int]] = {i: {} for i in digest_ids}
    if not digest_ids:
        return out
    marks = ", ".join("?" * len(digest_ids))  # a page of digests: far below any limit
    rows = conn.execute(
        "SELECT digest_id, status, COUNT(*) AS n FROM deliveries"
        f" WHERE digest_id IN ({marks}) GROUP BY digest_id, status",
        list(digest_ids),
    )
    for r in rows:
        out[r["digest_id"]][r["status"]] = r["n"]
    return out
