"""What came back for a delivery: bounces and complaints, matched to the deliveries and
subscribers they are about (`syndicate bounces`)."""

from __future__ import annotations

import hashlib
from typing import Any

from syndicate.store.db import Database, transaction


def subscribers_by_key(conn: Database) -> dict[str, str]:
    """subscriber_key (16 hex) → address, for every subscriber: what VERP addresses and
    Message-IDs carry instead of the address."""
    rows = conn.execute("SELECT email FROM subscribers").fetchall()
    return {
        hashlib.sha256(r["email"].lower().encode("utf-8")).hexdigest()[:16]: r["email"]
        for r in rows
    }


def has_delivery(conn: Database, digest_id: str, email: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM deliveries WHERE digest_id = ? AND email = ?", (digest_id, email)
    ).fetchone()
    return row is not None


def latest_sent_digest(conn: Database, email: str) -> str | None:
    """The digest most recently sent to `email` (what a bounce naming only the address is
    about)."""
    row = conn.execute(
        "SELECT digest_id FROM deliveries WHERE email = ? AND status = 'sent'"
        " ORDER BY digest_id DESC LIMIT 1",
        (email,),
    ).fetchone()
    return row["digest_id"] if row else None


def record_bounce(conn: Database, digest_id: str, email: str, what: str) -> bool:
    """Note what came back for one delivery ("hard 5.1.1", "soft 4.2.2", "complaint abuse");
    False if something was already noted for it (the same report read twice)."""
    cur = conn.execute(
        "UPDATE deliveries SET bounce = ? WHERE digest_id = ? AND email = ? AND bounce IS NULL",
        (what, digest_id, email),
    )
    return cur.rowcount > 0


def soft_bounce_streak(conn: Database, email: str, digest_id: str) -> int:
    """Soft bounces in a row for `email`, counted back from `digest_id` over the digests
    sent to it: a digest that went through without a bounce ends the streak."""
    rows = conn.execute(
        "SELECT bounce FROM deliveries WHERE email = ? AND status = 'sent' AND digest_id <= ?"
        " ORDER BY digest_id DESC",
        (email, digest_id),
    ).fetchall()
    streak = 0
    for r in rows:
        if not (r["bounce"] or "").startswith("soft"):
            break
        streak += 1
    return streak


def set_soft_bounces(conn: Database, email: str, count: int) -> None:
    with transaction(conn):
        conn.execute("UPDATE subscribers SET soft_bounces = ? WHERE email = ?", (count, email))


def subscriber_status(conn: Database, email: str) -> str | None:
    row = conn.execute("SELECT status FROM subscribers WHERE email = ?", (email,)).fetchone()
    return row["status"] if row else None


def recent_returns(conn: Database, limit: int = 100) -> dict[str, list[dict[str, Any]]]:
    """What came back, newest first, for the console's bounces page: deliveries with a
    bounce or complaint noted (`record_bounce`), subscribers suppressed by one (bounced,
    complained), and erased addresses (only their hash is kept)."""
    returned = conn.execute(
        "SELECT digest_id, email, bounce, at FROM deliveries WHERE bounce IS NOT NULL"
        " ORDER BY digest_id DESC, email LIMIT ?",
        (limit,),
    ).fetchall()
    suppressed = conn.execute(
        "SELECT email, name, status, changed, soft_bounces FROM subscribers"
        " WHERE status IN ('bounced', 'complained') ORDER BY changed DESC, email LIMIT ?",
        (limit,),
    ).fetchall()
    erased = conn.execute(
        "SELECT hash, reason, at FROM suppressions ORDER BY at DESC, hash LIMIT ?", (limit,)
    ).fetchall()
    return {
        "returned": [
            {"digest": r["digest_id"], "email": r["email"], "what": r["bounce"], "at": r["at"]}
            for r in returned
        ],
        "suppressed": [
            {k: r[k] for k in ("email", "name", "status", "changed", "soft_bounces")}
            for r in suppressed
        ],
        "erased": [{"hash": r["hash"], "reason": r["reason"], "at": r["at"]} for r in erased],
    }
