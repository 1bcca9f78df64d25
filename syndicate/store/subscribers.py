"""Subscribers: who gets the digest, and who must never get it again."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from syndicate.model import Subscriber
from syndicate.store.db import Database, iso, transaction


def subscriber_key(email: str) -> str:
    """Short stable hash of an address: names files and Message-IDs without leaking it."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:16]


def add_subscriber(
    conn: Database, email: str, name: str, now: datetime, *, resubscribe: bool
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
                (email, name, secrets.token_urlsafe(24), iso(now), iso(now)),
            )
            return "added"
        if row["status"] == "active":
            return "exists"
        if not resubscribe:
            return "unsubscribed"
        conn.execute(
            "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
            (iso(now), email),
        )
        return "resubscribed"


def unsubscribe(
    conn: Database, now: datetime, *, email: str | None = None, token: str | None = None
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
            (iso(now), row["email"]),
        )
        return row["email"]


def subscribers(conn: Database, *, active_only: bool = False) -> list[Subscriber]:
    sql = "SELECT email, name, token, status FROM subscribers"
    if active_only:
        sql += " WHERE status = 'active'"
    rows = conn.execute(sql + " ORDER BY email").fetchall()
    return [Subscriber(r["email"], r["name"], r["token"]) for r in rows]


def subscriber_statuses(conn: Database) -> dict[str, str]:
    return {r["email"]: r["status"] for r in conn.execute("SELECT email, status FROM subscribers")}


def get_subscriber(conn: Database, email: str) -> Subscriber | None:
    row = conn.execute(
        "SELECT email, name, token FROM subscribers WHERE email = ?", (email.lower(),)
    ).fetchone()
    return Subscriber(row["email"], row["name"], row["token"]) if row else None
