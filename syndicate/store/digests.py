"""Digests and their per-recipient deliveries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.store.articles import article_from_json, mark_articles_changed
from syndicate.store.db import Database, iso, to_dt, transaction
from syndicate.store.schema import PENDING_WHERE

if TYPE_CHECKING:
    from syndicate.model import Article


@dataclass(frozen=True)
class Delivery:
    digest_id: str
    email: str
    status: str
    attempts: int
    detail: str


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


MAX_ATTEMPTS = 5  # after that a failed delivery waits for the operator (`status` lists it)


def open_deliveries(conn: Database) -> list[Delivery]:
    """Deliveries not yet sent (pending, or failed fewer than MAX_ATTEMPTS times) to
    subscribers still active."""
    rows = conn.execute(
        "SELECT d.* FROM deliveries d JOIN subscribers s ON s.email = d.email"
        " WHERE d.status IN ('pending', 'failed') AND d.attempts < ? AND s.status = 'active'"
        " ORDER BY d.digest_id, d.email",
        (MAX_ATTEMPTS,),
    ).fetchall()
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def mark_delivery(
    conn: Database,
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
        ("sent" if sent else "failed", iso(now), detail, digest_id, email),
    )


def failed_deliveries(conn: Database, limit: int = 20) -> list[Delivery]:
    rows = conn.execute(
        "SELECT * FROM deliveries WHERE status = 'failed' ORDER BY at DESC, email LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def requeue_failed(conn: Database) -> int:
    """Give failed deliveries a fresh set of attempts, and send those held in doubt again
    (the operator's call: the same Message-ID lets receivers drop a duplicate); return how
    many."""
    cur = conn.execute(
        "UPDATE deliveries SET status = 'failed', attempts = 0, next_attempt = NULL"
        " WHERE status IN ('failed', 'in_doubt')"
    )
    return cur.rowcount


def delivery_counts(conn: Database) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


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


# ---------------------------------------------------------------- the delivery queue
# Workers (the run itself, `syndicate deliver` processes) claim deliveries in batches with a
# lease; a worker that dies leaves its claims to expire, and another takes them over. Times
# here are epoch seconds (REAL), which compare correctly whatever the zone.


def claim_deliveries(
    conn: Database,
    worker: str,
    *,
    limit: int,
    now: float,
    lease: float,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Delivery]:
    """Claim up to `limit` due deliveries (pending, or failed and past their backoff; to an
    active subscriber; not leased by a live worker) for `worker`, for `lease` seconds."""
    skip_locked = " FOR UPDATE OF d SKIP LOCKED" if conn.dialect == "postgresql" else ""
    with transaction(conn):
        rows = conn.execute(
            "SELECT d.digest_id, d.email, d.status, d.attempts, d.detail FROM deliveries d"
            " JOIN subscribers s ON s.email = d.email"
            " WHERE d.status IN ('pending', 'failed') AND d.attempts < ?"
            " AND s.status = 'active'"
            " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
            " AND (d.lease_until IS NULL OR d.lease_until < ?)"
            # In the order of the deliveries_queue index: no sort of the whole queue.
            " ORDER BY d.status, d.digest_id, d.email LIMIT ?" + skip_locked,
            (max_attempts, now, now, limit),
        ).fetchall()
        conn.executemany(
            "UPDATE deliveries SET claimed_by = ?, lease_until = ?"
            " WHERE digest_id = ? AND email = ?",
            [(worker, now + lease, r["digest_id"], r["email"]) for r in rows],
        )
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def still_wanted(conn: Database, digest_id: str, email: str) -> bool:
    """Right before handing a claimed message over: is it still queued and the subscriber
    still active? (An unsubscribe commits between claim and send: nothing more goes out.)"""
    row = conn.execute(
        "SELECT 1 FROM deliveries d JOIN subscribers s ON s.email = d.email"
        " WHERE d.digest_id = ? AND d.email = ? AND d.status IN ('pending', 'failed')"
        " AND s.status = 'active'",
        (digest_id, email),
    ).fetchone()
    return row is not None


def finish_delivery(
    conn: Database,
    digest_id: str,
    email: str,
    *,
    status: str,
    now: datetime,
    detail: str = "",
    next_attempt: float | None = None,
) -> None:
    """Record the outcome of one attempt and release the claim. `status`: sent; failed
    (temporary: retried after `next_attempt`); dropped (permanent, never retried);
    in_doubt (the relay may have taken it: held for the operator)."""
    conn.execute(
        "UPDATE deliveries SET status = ?, attempts = attempts + 1, at = ?, detail = ?,"
        " next_attempt = ?, claimed_by = NULL, lease_until = NULL"
        " WHERE digest_id = ? AND email = ?",
        (status, iso(now), detail, next_attempt, digest_id, email),
    )


def hold_delivery(conn: Database, digest_id: str, email: str, worker: str, now: float) -> bool:
    """Inside the transaction that sends one message: is it still queued, still claimed by
    `worker` (its lease not taken over), and the subscriber still active? On PostgreSQL the
    delivery row stays locked until that transaction ends, so an unsubscribe (which drops
    queued deliveries) waits for the send to be recorded and commits after it: nothing goes
    out after an unsubscribe commits. SQLite's write lock (BEGIN IMMEDIATE) does the same."""
    lock = " FOR UPDATE OF d" if conn.dialect == "postgresql" else ""
    row = conn.execute(
        "SELECT d.claimed_by, d.lease_until FROM deliveries d"
        " WHERE d.digest_id = ? AND d.email = ? AND d.status IN ('pending', 'failed')" + lock,
        (digest_id, email),
    ).fetchone()
    if row is None or row["claimed_by"] != worker or (row["lease_until"] or 0) < now:
        return False
    active = conn.execute(
        "SELECT 1 FROM subscribers WHERE email = ? AND status = 'active'", (email,)
    ).fetchone()
    return active is not None


def count_open(conn: Database, now: float, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Deliveries a worker must wait for before it may call the queue empty: due now (pending,
    or failed past their backoff) to active subscribers, claimed by someone or not."""
    return conn.execute(
        "SELECT COUNT(*) AS n FROM deliveries d JOIN subscribers s ON s.email = d.email"
        " WHERE d.status IN ('pending', 'failed') AND d.attempts < ? AND s.status = 'active'"
        " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)",
        (max_attempts, now),
    ).fetchone()["n"]
