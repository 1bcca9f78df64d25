"""Double opt-in, as the subscribe form asks for it: an address typed into the form gets a
confirmation message, and only the link in it (POSTed, so link scanners do nothing) makes the
subscriber active. Times here are epoch seconds (confirm_sent_at is REAL), which compare
correctly whatever the zone.
"""

from __future__ import annotations

from datetime import datetime

from syndicate.core.model import Subscriber
from syndicate.store.db import Database, iso, new_token, transaction
from syndicate.store.subscribers import SUBSCRIBER_COLUMNS, subscriber_from_row, subscriber_key


def request_confirmation(
    conn: Database,
    email: str,
    name: str,
    now: datetime,
    *,
    min_interval: float,
    newsletters: str = "",
) -> str | None:
    """Record a subscribe request for `newsletters` (their ids as stored; "" the default
    ones); return a fresh confirmation token to mail, or None when no message must go out
    (already active, or one was sent less than `min_interval` seconds ago).

    An unknown address becomes a *pending* subscriber. One that left (unsubscribed, bounced,
    complained, erased) keeps its status until the link is used: a request alone changes
    nothing anybody receives (the newsletters asked for are what the link will confirm).
    """
    email = email.lower()
    stamp = now.timestamp()
    token = new_token()
    with transaction(conn):
        row = conn.execute(
            "SELECT status, confirm_sent_at FROM subscribers WHERE email = ?", (email,)
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO subscribers (email, name, token, status, added, changed,"
                " confirm_token, confirm_sent_at, newsletters)"
                " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                (email, name, new_token(), iso(now), iso(now), token, stamp, newsletters),
            )
            return token
        if row["status"] == "active":
            return None
        sent = row["confirm_sent_at"]
        if sent is not None and stamp - sent < min_interval:
            return None
        conn.execute(
            "UPDATE subscribers SET confirm_token = ?, confirm_sent_at = ?, newsletters = ?"
            " WHERE email = ?",
            (token, stamp, newsletters, email),
        )
        return token


def confirmations_sent_since(conn: Database, since: float) -> list[float]:
    """When the confirmation messages still pending were sent, those after `since` (epoch
    seconds): what the service's hourly limit counts from when it starts again."""
    rows = conn.execute(
        "SELECT confirm_sent_at FROM subscribers WHERE confirm_sent_at >= ?", (since,)
    ).fetchall()
    return [r["confirm_sent_at"] for r in rows]


def confirmation_not_sent(conn: Database, token: str) -> None:
    """The confirmation message could not be handed over: the link in it is void, and the
    address may ask again at once (the hourly limit counts messages that went out). A
    pending address that got nothing is not kept."""
    with transaction(conn):
        conn.execute(
            "DELETE FROM subscribers WHERE confirm_token = ? AND status = 'pending'", (token,)
        )
        conn.execute(
            "UPDATE subscribers SET confirm_token = NULL, confirm_sent_at = NULL"
            " WHERE confirm_token = ?",
            (token,),
        )


def pending_confirmation(conn: Database, token: str, *, not_before: float) -> Subscriber | None:
    """The subscriber a confirmation link belongs to, if it was sent after `not_before`."""
    row = conn.execute(
        f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers"
        " WHERE confirm_token = ? AND confirm_sent_at >= ?",
        (token, not_before),
    ).fetchone()
    return subscriber_from_row(row) if row else None


def confirm_subscription(
    conn: Database, token: str, now: datetime, *, not_before: float
) -> tuple[str, bool] | None:
    """Use a confirmation link: the subscriber becomes active (an erasure's suppression is
    lifted: this is a new, explicit consent). Return the address and whether this made it
    active (the welcome message goes out then), or None for a link that is unknown or
    expired.

    The link stays valid until it expires, so using it again (a double click, a reload)
    finds the subscriber active and changes nothing: the page says "you are subscribed"
    rather than "not valid". Leaving voids it (`unsubscribe`), so an old link never undoes
    an unsubscribe."""
    with transaction(conn):
        row = conn.execute(
            "SELECT email, status FROM subscribers"
            " WHERE confirm_token = ? AND confirm_sent_at >= ?",
            (token, not_before),
        ).fetchone()
        if row is None:
            return None
        email = row["email"]
        if row["status"] == "active":
            return email, False
        conn.execute(
            "UPDATE subscribers SET status = 'active', soft_bounces = 0, changed = ?"
            " WHERE email = ?",
            (iso(now), email),
        )
        conn.execute("DELETE FROM suppressions WHERE hash = ?", (subscriber_key(email),))
    return email, True


def purge_unconfirmed(conn: Database, *, before: float) -> int:
    """Forget confirmation requests older than `before`: pending addresses that came from
    the form and never confirmed are deleted (nobody consented to keeping them); others
    just lose the dead link. Return how many addresses were deleted."""
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM subscribers WHERE status = 'pending' AND confirm_token IS NOT NULL"
            " AND confirm_sent_at < ?",
            (before,),
        )
        conn.execute(
            "UPDATE subscribers SET confirm_token = NULL, confirm_sent_at = NULL"
            " WHERE confirm_token IS NOT NULL AND confirm_sent_at < ?",
            (before,),
        )
    return cur.rowcount
