"""Subscribers: who gets the digest, and who must never get it again.

A subscriber's choice always wins over lists: the config's `digest.subscribers` and CSV
imports add new addresses but never re-activate one that unsubscribed, bounced or was
erased. Erasing deletes the address and keeps only its hash in `suppressions`, so the
personal data is gone and the address still cannot be re-added by a list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from syndicate.core.model import Subscriber
from syndicate.store.db import Database, iso, new_token, rows_in, transaction

STATUSES = ("active", "pending", "unsubscribed", "bounced", "complained")


def subscriber_key(email: str) -> str:
    """Short stable hash of an address: names files and Message-IDs without leaking it."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:16]


# What a Subscriber is read from: every query that makes one selects these.
SUBSCRIBER_COLUMNS = "email, name, token, status, language, newsletters"


def subscriber_from_row(row: Any) -> Subscriber:
    """A subscriber from a row holding SUBSCRIBER_COLUMNS."""
    return Subscriber(
        row["email"], row["name"], row["token"], row["status"], row["language"], row["newsletters"]
    )


def is_suppressed(conn: Database, email: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM suppressions WHERE hash = ?", (subscriber_key(email),)
    ).fetchone()
    return row is not None


# (what a subscriber held, what they hold now) → the newsletter ids they no longer get
# (config/newsletters.newsletters_left): their queued deliveries of those are dropped.
LeftNewsletters = Callable[[str, str], Sequence[str]]


def add_subscriber(
    conn: Database,
    email: str,
    name: str,
    now: datetime,
    *,
    resubscribe: bool,
    language: str = "",
    status: str = "active",
    newsletters: str | None = None,
    left: LeftNewsletters | None = None,
) -> str:
    """Add an address; return "added", "exists", "updated", "resubscribed", or the status
    ("unsubscribed", "bounced", "suppressed" …) that kept it from being re-activated.
    `newsletters`: the ids it holds, as stored ("" the default ones; None: as it was).

    With resubscribe=False (config lists, CSV imports) someone who left stays out. With
    resubscribe=True (an operator's explicit `subscribers add`) they are re-activated and a
    suppression is lifted.
    """
    entry = NewSubscriber(email, name, language, status, newsletters)
    return add_subscribers(conn, [entry], now, resubscribe=resubscribe, left=left)[0]


class NewSubscriber(NamedTuple):
    """One address to add (a CSV row, a config entry, `subscribers add`)."""

    email: str
    name: str = ""
    language: str = ""
    status: str = "active"  # or "unsubscribed": leaving always wins
    newsletters: str | None = None  # the ids held ("": the defaults); None: as it was


def add_subscribers(
    conn: Database,
    entries: Sequence[NewSubscriber],
    now: datetime,
    *,
    resubscribe: bool,
    left: LeftNewsletters | None = None,
) -> list[str]:
    """`add_subscriber` for many addresses in one transaction: what each became, in order.
    An address whose newsletters change loses its queued deliveries of those it left
    (`left`), in the same transaction.

    Two reads for the whole batch (its known rows, its suppressed hashes, in chunks) and one
    executemany per kind of write: a 20,000-row import was one transaction (and one fsync)
    per row, 60 s. All or nothing: an I/O error (a full disk) rolls every row back. An
    address given twice is decided against what the batch made of it already."""
    emails = list(dict.fromkeys(e.email.lower() for e in entries))
    with transaction(conn):
        known = {
            r["email"]: (r["name"], r["status"], r["language"], r["newsletters"])
            for r in rows_in(
                conn,
                "SELECT email, name, status, language, newsletters FROM subscribers WHERE",
                "email",
                emails,
            )
        }
        keys = {subscriber_key(email): email for email in emails}
        suppressed = {
            keys[r["hash"]]
            for r in rows_in(conn, "SELECT hash FROM suppressions WHERE", "hash", list(keys))
        }
        stamp = iso(now)
        lifted: list[tuple[str]] = []  # suppressions an explicit `subscribers add` lifts
        inserts: list[tuple] = []
        updates: list[tuple] = []
        reactivated: list[tuple] = []
        leaving: list[str] = []
        moved: list[tuple[str, str, str]] = []  # (email, held before, held now)
        outcomes = []
        for entry in entries:
            email = entry.email.lower()
            before = known.get(email)
            outcome, row = _decide(entry, before, email in suppressed, resubscribe)
            outcomes.append(outcome)
            if row is None:
                continue
            known[email] = row
            if outcome.startswith("added"):
                if email in suppressed:
                    suppressed.discard(email)
                    lifted.append((subscriber_key(email),))
                inserts.append(
                    (email, entry.name, new_token(), row[1], row[2], row[3], stamp, stamp)
                )
            elif outcome == "updated":
                updates.append((row[0], row[2], row[3], stamp, email))
                if before is not None and before[3] != row[3]:
                    moved.append((email, before[3], row[3]))
            elif outcome == "resubscribed":
                reactivated.append((row[3], stamp, email))
            elif outcome == "unsubscribed":
                leaving.append(email)
        for sql, rows in (
            ("DELETE FROM suppressions WHERE hash = ?", lifted),
            (
                "INSERT INTO subscribers (email, name, token, status, language, newsletters,"
                " added, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            ),
            (
                "UPDATE subscribers SET name = ?, language = ?, newsletters = ?, changed = ?"
                " WHERE email = ?",
                updates,
            ),
            (
                "UPDATE subscribers SET status = 'active', newsletters = ?, changed = ?"
                " WHERE email = ?",
                reactivated,
            ),
        ):
            if rows:
                conn.executemany(sql, rows)
        for email, held, holds in moved if left is not None else ():
            drop_deliveries_of(conn, email, left(held, holds), now)  # type: ignore[misc]
        for email in leaving:  # few, and each drops its queued deliveries
            unsubscribe(conn, now, email=email, in_transaction=True)
    return outcomes


Row = tuple[str, str, str, str]  # name, status, language, newsletters


def _decide(
    entry: NewSubscriber, row: Row | None, suppressed: bool, resubscribe: bool
) -> tuple[str, Row | None]:
    """What adding `entry` does to an address now at `row`: the outcome, and the row it
    leaves (None: unchanged)."""
    name, language, status = entry.name, entry.language, entry.status
    if row is None:
        if suppressed and not resubscribe:
            return "suppressed", None
        outcome = "added" if status == "active" else f"added as {status}"
        return outcome, (name, status, language, entry.newsletters or "")
    current = row[1]
    holds = row[3] if entry.newsletters is None else entry.newsletters
    if status == "unsubscribed":  # leaving always wins, whoever says so
        if current in ("active", "pending"):
            return "unsubscribed", (row[0], "unsubscribed", row[2], row[3])
        return ("exists" if current == "unsubscribed" else current), None
    if current == "active":
        if (name and name != row[0]) or (language and language != row[2]) or holds != row[3]:
            return "updated", (name or row[0], "active", language or row[2], holds)
        return "exists", None
    if not resubscribe:
        return current, None  # why it was not re-activated: "unsubscribed", "bounced" …
    return "resubscribed", (row[0], "active", row[2], holds)


def drop_deliveries_of(
    conn: Database, email: str, newsletters: Sequence[str], now: datetime
) -> int:
    """Inside the transaction of a change that takes `newsletters` away from `email`: its
    queued deliveries of their digests are dropped, as an unsubscribe drops all of them, so
    a delivery in progress sends it nothing more of those (the engine's last look,
    store/deliveries.still_wanted, finds them dropped)."""
    if not newsletters:
        return 0
    marks = ", ".join("?" * len(newsletters))
    cur = conn.execute(
        "UPDATE deliveries SET status = 'dropped', detail = ?, at = ?"
        " WHERE email = ? AND status IN ('pending', 'failed')"
        f" AND digest_id IN (SELECT id FROM digests WHERE newsletter IN ({marks}))",
        (f"left {' '.join(newsletters)}", iso(now), email.lower(), *newsletters),
    )
    return cur.rowcount


def change_subscription(
    conn: Database,
    now: datetime,
    *,
    email: str | None = None,
    token: str | None = None,
    name: str | None = None,
    language: str | None = None,
    newsletters: str | None = None,
    left: LeftNewsletters | None = None,
) -> Subscriber | None:
    """Change what a subscriber (by address or token) holds — name, language, newsletters
    (None: as it is) — and drop their queued deliveries of the newsletters they left, in one
    transaction: such a change wins over a delivery in progress as an unsubscribe does.
    `subscribers set` and the preference page. The subscriber as changed, or None."""
    with transaction(conn):
        where, key = ("token", token) if token is not None else ("email", (email or "").lower())
        row = conn.execute(
            f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE {where} = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        before = subscriber_from_row(row)
        after = Subscriber(
            before.email,
            before.name if name is None else name,
            before.token,
            before.status,
            before.language if language is None else language,
            before.newsletters if newsletters is None else newsletters,
        )
        conn.execute(
            "UPDATE subscribers SET name = ?, language = ?, newsletters = ?, changed = ?"
            " WHERE email = ?",
            (after.name, after.language, after.newsletters, iso(now), after.email),
        )
        if left is not None and after.newsletters != before.newsletters:
            drop_deliveries_of(conn, after.email, left(before.newsletters, after.newsletters), now)
    return after


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
    conn.execute(  # and any confirmation link still out there is void
        "UPDATE subscribers SET status = ?, changed = ?, confirm_token = NULL,"
        " confirm_sent_at = NULL WHERE email = ?",
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
    sql = f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers"
    if active_only:
        sql += " WHERE status = 'active'"
    rows = conn.execute(sql + " ORDER BY email").fetchall()
    return [subscriber_from_row(r) for r in rows]


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
        f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE email = ?",
        (email.lower(),),
    ).fetchone()
    return subscriber_from_row(row) if row else None


def subscriber_by_token(conn: Database, token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link (the token in every digest) belongs to."""
    row = conn.execute(
        f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE token = ?", (token,)
    ).fetchone()
    return subscriber_from_row(row) if row else None


def resubscribe_by_token(conn: Database, token: str, now: datetime) -> str | None:
    """Undo an unsubscribe made by mistake: the link that unsubscribed proves the mailbox,
    as a confirmation link does, so it may undo its own unsubscribe. Only an unsubscribe:
    a bounced or complaining address stays out. Return the address, or None."""
    with transaction(conn):
        row = conn.execute(
            "SELECT email FROM subscribers WHERE token = ? AND status = 'unsubscribed'",
            (token,),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
            (iso(now), row["email"]),
        )
    return row["email"]
