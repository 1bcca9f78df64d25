"""Subscribers: who gets the digest, and who must never get it again.

A subscriber's choice always wins over lists: the config's `digest.subscribers` and CSV
imports add new addresses but never re-activate one that unsubscribed, bounced or was
erased. Erasing deletes the address and keeps only its hash in `suppressions`, so the
personal data is gone and the address still cannot be re-added by a list.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from syndicate.model import Subscriber
from syndicate.store.db import Database, iso, transaction

STATUSES = ("active", "pending", "unsubscribed", "bounced", "complained")


def subscriber_key(email: str) -> str:
    """Short stable hash of an address: names files and Message-IDs without leaking it."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:16]


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(row["email"], row["name"], row["token"], row["status"], row["language"])


def is_suppressed(conn: Database, email: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM suppressions WHERE hash = ?", (subscriber_key(email),)
    ).fetchone()
    return row is not None


def add_subscriber(
    conn: Database,
    email: str,
    name: str,
    now: datetime,
    *,
    resubscribe: bool,
    language: str = "",
    status: str = "active",
) -> str:
    """Add an address; return "added", "exists", "updated", "resubscribed", or the status
    ("unsubscribed", "bounced", "suppressed" …) that kept it from being re-activated.

    With resubscribe=False (config lists, CSV imports) someone who left stays out. With
    resubscribe=True (an operator's explicit `subscribers add`) they are re-activated and a
    suppression is lifted.
    """
    email = email.lower()
    with transaction(conn):
        row = conn.execute(
            "SELECT name, status, language FROM subscribers WHERE email = ?", (email,)
        ).fetchone()
        suppressed = is_suppressed(conn, email)
        if row is None:
            if suppressed and not resubscribe:
                return "suppressed"
            conn.execute("DELETE FROM suppressions WHERE hash = ?", (subscriber_key(email),))
            conn.execute(
                "INSERT INTO subscribers (email, name, token, status, language, added, changed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (email, name, secrets.token_urlsafe(24), status, language, iso(now), iso(now)),
            )
            return "added" if status == "active" else f"added as {status}"
        current = row["status"]
        if status == "unsubscribed":  # leaving always wins, whoever says so
            if current in ("active", "pending"):
                unsubscribe(conn, now, email=email, in_transaction=True)
                return "unsubscribed"
            return "exists" if current == "unsubscribed" else current
        if current == "active":
            if (name and name != row["name"]) or (language and language != row["language"]):
                conn.execute(
                    "UPDATE subscribers SET name = ?, language = ?, changed = ? WHERE email = ?",
                    (name or row["name"], language or row["language"], iso(now), email),
                )
                return "updated"
            return "exists"
        if not resubscribe:
            return current  # why it was not re-activated: "unsubscribed", "bounced" …
        conn.execute(
            "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
            (iso(now), email),
        )
        return "resubscribed"


def unsubscribe(
    conn: Database,
    now: datetime,
    *,
    email: str | None = None,
    token: str | None = None,
    status: str = "unsubscribed",
    in_transaction: bool = False,
) -> str | None:
    """Mark a subscriber unsubscribed (or bounced, complained) by address or token; return
    the address, or None. Queued deliveries to it are dropped in the same transaction, so a
    digest being delivered right now sends it nothing more."""
    if not in_transaction:
        with transaction(conn):
            return unsubscribe(
                conn, now, email=email, token=token, status=status, in_transaction=True
            )
    if token is not None:
        row = conn.execute("SELECT email FROM subscribers WHERE token = ?", (token,)).fetchone()
    else:
        row = conn.execute(
            "SELECT email FROM subscribers WHERE email = ?", ((email or "").lower(),)
        ).fetchone()
    if row is None:
        return None
    conn.execute(
        "UPDATE subscribers SET status = ?, changed = ? WHERE email = ?",
        (status, iso(now), row["email"]),
    )
    conn.execute(
        "UPDATE deliveries SET status = 'dropped', detail = ?, at = ?"
        " WHERE email = ? AND status IN ('pending', 'failed')",
        (status, iso(now), row["email"]),
    )
    return row["email"]


def erase_subscriber(conn: Database, email: str, now: datetime) -> bool:
    """Delete everything personal about an address; keep its hash so it stays suppressed.

    Delivery records keep their counts but lose the address (replaced by its hash)."""
    email = email.lower()
    key = subscriber_key(email)
    with transaction(conn):
        cur = conn.execute("DELETE FROM subscribers WHERE email = ?", (email,))
        found = cur.rowcount > 0
        conn.execute(
            "UPDATE deliveries SET email = ?, status = CASE WHEN status IN ('pending', 'failed')"
            " THEN 'dropped' ELSE status END WHERE email = ?",
            (f"erased:{key}", email),
        )
        conn.execute("UPDATE resends SET email = ? WHERE email = ?", (f"erased:{key}", email))
        conn.execute(
            "INSERT INTO suppressions (hash, reason, at) VALUES (?, 'erased', ?)"
            " ON CONFLICT (hash) DO NOTHING",
            (key, iso(now)),
        )
    return found


def subscribers(conn: Database, *, active_only: bool = False) -> list[Subscriber]:
    sql = "SELECT email, name, token, status, language FROM subscribers"
    if active_only:
        sql += " WHERE status = 'active'"
    rows = conn.execute(sql + " ORDER BY email").fetchall()
    return [_subscriber(r) for r in rows]


def subscriber_statuses(conn: Database) -> dict[str, str]:
    return {r["email"]: r["status"] for r in conn.execute("SELECT email, status FROM subscribers")}


def subscriber_counts(conn: Database) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for r in conn.execute("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status"):
        counts[r["status"]] = r["n"]
    counts["erased"] = conn.execute("SELECT COUNT(*) AS n FROM suppressions").fetchone()["n"]
    return counts


def get_subscriber(conn: Database, email: str) -> Subscriber | None:
    row = conn.execute(
        "SELECT email, name, token, status, language FROM subscribers WHERE email = ?",
        (email.lower(),),
    ).fetchone()
    return _subscriber(row) if row else None
