"""Digests: making one (and queueing its deliveries), reading one back, and resends.

A digest is one newsletter's (config/newsletters.py): its articles come from that
newsletter's pending set (store/newsletters.py) and its deliveries go to those who hold it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from syndicate.store.articles import article_from_json, mark_articles_changed
from syndicate.store.db import Database, iso, to_dt, transaction
from syndicate.store.newsletters import PENDING_SQL, holders_where

if TYPE_CHECKING:
    from syndicate.config.newsletters import Newsletter
    from syndicate.core.model import Article


def undigested_articles(conn: Database, newsletter: str = "") -> list[Article]:
    """Articles waiting for `newsletter`'s next digest (not skipped, not retracted), newest
    first ("": the one digest of a config without [[newsletters]])."""
    rows = conn.execute(PENDING_SQL, (newsletter,)).fetchall()
    return [article_from_json(r["data"]) for r in rows]


def last_digest(conn: Database, newsletter: str | None = "") -> tuple[str, datetime] | None:
    """The most recently created digest of `newsletter` (None: of any): (id, created)."""
    where, params = ("", ()) if newsletter is None else (" WHERE newsletter = ?", (newsletter,))
    row = conn.execute(
        f"SELECT id, created FROM digests{where} ORDER BY created DESC, id DESC LIMIT 1", params
    ).fetchone()
    return (row["id"], to_dt(row["created"])) if row else None  # type: ignore[return-value]


def create_digest(
    conn: Database,
    articles: Sequence[Article],
    now: datetime,
    tz_date: str,
    newsletter: Newsletter | None = None,
) -> str:
    """Record a digest of `newsletter` (None: the one digest of a config without
    [[newsletters]]), claim its articles and queue one delivery per active subscriber who
    holds it (store/newsletters.holders_where).

    One transaction: either the digest exists with all its recipients queued, or nothing.
    """
    ident = newsletter.id if newsletter is not None else ""
    prefix = f"{ident}-" if ident else ""
    with transaction(conn):
        mark_articles_changed(conn)
        # The highest number of the day plus one, never a count: a digest id (and so its file
        # names and Message-IDs) is never reused, even when `state adopt` recovered only some.
        taken = [
            r["id"].rsplit("-", 1)[-1]
            for r in conn.execute(
                "SELECT id FROM digests WHERE newsletter = ? AND id LIKE ?",
                (ident, f"{prefix}{tz_date}-%"),
            )
        ]
        n = max((int(t) for t in taken if t.isdigit()), default=0)
        digest_id = f"{prefix}{tz_date}-{n + 1:03d}"
        ids = [a.id for a in articles]
        conn.execute(
            "INSERT INTO digests (id, created, articles, newsletter) VALUES (?, ?, ?, ?)",
            (digest_id, iso(now), json.dumps(ids), ident),
        )
        conn.executemany(
            "INSERT INTO newsletter_articles (newsletter, article_id, digest_id) VALUES (?, ?, ?)"
            " ON CONFLICT (newsletter, article_id) DO UPDATE SET digest_id = excluded.digest_id",
            [(ident, i, digest_id) for i in ids],
        )
        where, params = holders_where(newsletter)
        conn.execute(
            "INSERT INTO deliveries (digest_id, email, status)"
            f" SELECT ?, email, 'pending' FROM subscribers WHERE {where}",
            (digest_id, *params),
        )
        if conn.dialect == "postgresql":
            refresh_queue_statistics(conn)
    return digest_id


def refresh_queue_statistics(conn: Database) -> None:
    """PostgreSQL: bring the planner's statistics of the queue up to date, in the
    transaction that just filled it. The queue grows by a whole audience at once, usually
    from nothing, and autovacuum's ANALYZE comes a minute later at best; meanwhile the
    planner takes both tables for empty and plans every claim (store/deliveries.py) as a walk
    over all active subscribers and a sort of the whole queue. Measured per claim of 25
    without → with: 16 → 2 ms at 500 subscribers, 65 → 1 ms at 20,000, 360–650 → 2.5 ms at
    100,000 (4,000 claims: half an hour). ANALYZE samples at most 30,000 rows a table
    (default_statistics_target): 135 ms at 100,000, once per digest. A role that does not
    own the tables gets a warning from the server, not an error. SQLite's planner picks the
    index walk without statistics; tests pin both plans."""
    conn.execute("ANALYZE deliveries, subscribers")


class StoredDigest(NamedTuple):
    created: datetime
    articles: list[Article]  # as shown, newest first; retracted ones left out
    newsletter: str  # whose digest it is ("": the one digest of a config without any)


def digest_articles(conn: Database, digest_id: str) -> StoredDigest | None:
    """A digest's creation time, its articles as shown, newest first (retracted articles
    are left out of resends and of the web version too) and its newsletter. None if there
    is no such digest."""
    row = conn.execute(
        "SELECT created, articles, newsletter FROM digests WHERE id = ?", (digest_id,)
    ).fetchone()
    if row is None:
        return None
    by_id = {
        r["id"]: article_from_json(r["data"])
        for r in conn.execute(
            "SELECT a.id, a.data FROM newsletter_articles n JOIN articles a ON a.id = n.article_id"
            " WHERE n.digest_id = ? AND a.retracted_at IS NULL",
            (digest_id,),
        )
    }
    ids = json.loads(row["articles"])
    shown = [by_id[i] for i in ids if i in by_id]
    return StoredDigest(to_dt(row["created"]), shown, row["newsletter"])  # type: ignore[arg-type]


def digests(conn: Database, limit: int = 10) -> list[tuple[str, datetime, int, str]]:
    """The newest `limit` digests: (id, created, articles, newsletter id), newest first."""
    rows = conn.execute(
        # By id after the newsletter's prefix: the local date plus a number that only grows,
        # so this is the order they were made in, and it survives a state rebuilt from the
        # outputs (whose creation times are only known to the second).
        "SELECT id, created, articles, newsletter FROM digests ORDER BY"
        " substr(id, length(newsletter) + CASE WHEN newsletter = '' THEN 1 ELSE 2 END) DESC,"
        " created DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        (r["id"], to_dt(r["created"]), len(json.loads(r["articles"])), r["newsletter"])  # type: ignore[misc]
        for r in rows
    ]


def digest_members(conn: Database) -> dict[str, list[tuple[str, str, str | None]]]:
    """digest id → (article id, data hash, retracted) of each of its articles: what its web
    version is rendered from, read without decoding any article."""
    out: dict[str, list[tuple[str, str, str | None]]] = {
        r["id"]: [] for r in conn.execute("SELECT id FROM digests")
    }
    rows = conn.execute(
        "SELECT n.digest_id, a.id, a.data_hash, a.retracted_at FROM newsletter_articles n"
        " JOIN articles a ON a.id = n.article_id WHERE n.digest_id IS NOT NULL"
        " ORDER BY n.digest_id, a.id"
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
