"""The delivery queue: every SQL statement the one delivery engine (delivery/engine.py) runs,
for SQLite and PostgreSQL alike.

A delivery is one (digest, subscriber) row. A worker — a `run`, the service's resumer, any
number of `syndicate deliver` processes — claims due rows with a lease, hands each copy over,
and records what the relay said right away:

- claims: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers get disjoint rows
  without waiting; on SQLite the claim runs under the write lock (BEGIN IMMEDIATE), which
  serializes claims the same way. A claim lasts `lease` seconds and is renewed while the
  worker lives; a worker on this host whose process is gone has its claims released at once,
  one on another host when the lease runs out.
- outcomes are recorded as soon as they are known (the engine commits a connection's
  outcome before that connection gets its next copy), so a crash resends at most the message
  each connection had in flight.
- "still wanted" is asked again right before a copy is handed over: an unsubscribe, a
  suppression or an erasure that committed after the claim withdraws it (engine.AudienceGate
  decides how often the question must really be put to the database).

Times here are epoch seconds (REAL), which compare correctly whatever the zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from syndicate.store.db import Database, iso, new_secret, transaction
from syndicate.store.subscribers import SUBSCRIBER_COLUMNS, subscriber_from_row

if TYPE_CHECKING:
    from syndicate.core.model import Subscriber

MAX_ATTEMPTS = 5  # after that a failed delivery waits for the operator (`status` lists it)

DeliveryKey = tuple[str, str]  # (digest id, email)


@dataclass(frozen=True)
class Delivery:
    digest_id: str
    email: str
    status: str
    attempts: int
    detail: str

    @property
    def key(self) -> DeliveryKey:
        return (self.digest_id, self.email)


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: status sent, failed (temporary: tried again after
    `next_attempt`), dropped (permanent) or in_doubt (the relay may have taken it)."""

    digest_id: str
    email: str
    status: str
    detail: str = ""
    next_attempt: float | None = None


def _chunks(items: Sequence, size: int = 400) -> Iterable[Sequence]:
    # SQLite builds before 3.32 allow 999 parameters per statement.
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _delivery(row) -> Delivery:
    return Delivery(row["digest_id"], row["email"], row["status"], row["attempts"], row["detail"])


# Due: pending, or failed and past its backoff, fewer than MAX_ATTEMPTS tries, to a subscriber
# still active. The one definition every count and the claim share.
_DUE = (
    " FROM deliveries d JOIN subscribers s ON s.email = d.email"
    " WHERE d.status IN ('pending', 'failed') AND d.attempts < ? AND s.status = 'active'"
    " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
)
_UNCLAIMED = " AND (d.lease_until IS NULL OR d.lease_until < ?)"


# In the order of the deliveries_queue index: a claim walks the index and stops after
# `limit` rows, never sorting the whole queue (on PostgreSQL only with the planner's
# statistics up to date: store/digests.refresh_queue_statistics; a test pins both plans).
CLAIM_SQL = (
    "SELECT d.digest_id, d.email, d.status, d.attempts, d.detail"
    + _DUE
    + _UNCLAIMED
    + " ORDER BY d.status, d.digest_id, d.email LIMIT ?"
)


def count_due(conn: Database, now: float, *, unclaimed_only: bool = False) -> int:
    """Deliveries that are due at epoch `now`; with `unclaimed_only`, only those no live
    worker holds (what a new worker could take right away)."""
    sql = "SELECT COUNT(*) AS n" + _DUE + (_UNCLAIMED if unclaimed_only else "")
    params = (MAX_ATTEMPTS, now, now) if unclaimed_only else (MAX_ATTEMPTS, now)
    return conn.execute(sql, params).fetchone()["n"]


def has_due(conn: Database, now: float) -> bool:
    return (
        conn.execute("SELECT 1 AS x" + _DUE + " LIMIT 1", (MAX_ATTEMPTS, now)).fetchone()
        is not None
    )


def claim_deliveries(
    conn: Database, worker: str, *, limit: int, now: float, lease: float
) -> list[Delivery]:
    """Claim up to `limit` due deliveries that no live worker holds, for `lease` seconds."""
    skip_locked = " FOR UPDATE OF d SKIP LOCKED" if conn.dialect == "postgresql" else ""
    with transaction(conn):
        rows = conn.execute(CLAIM_SQL + skip_locked, (MAX_ATTEMPTS, now, now, limit)).fetchall()
        conn.executemany(
            "UPDATE deliveries SET claimed_by = ?, lease_until = ?"
            " WHERE digest_id = ? AND email = ?",
            [(worker, now + lease, r["digest_id"], r["email"]) for r in rows],
        )
    return [_delivery(r) for r in rows]


def renew_claims(conn: Database, worker: str, now: float, lease: float) -> int:
    """Extend every claim `worker` still holds to `now + lease`; return how many it holds."""
    cur = conn.execute(
        "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ?"
        " AND status IN ('pending', 'failed')",
        (now + lease, worker),
    )
    return cur.rowcount


@contextmanager
def relaxed_commits(conn: Database) -> Iterator[None]:
    """Until the block ends, commits on `conn` stop waiting for the disk: they survive a
    crash of this process at once (the operating system has them), a power cut only once
    a later commit waited for the disk, which every `record_outcomes(…, flush=True)` does
    and which makes every earlier commit durable with it (SQLite's WAL is synced as a
    whole; PostgreSQL's flush covers every earlier record of the log). The delivery engine
    records each relay outcome at once, and flushes at least every FLUSH_SECONDS: waiting
    for the disk once per message would cost more than the message (an fsync each)."""
    if conn.dialect == "sqlite":
        conn.execute("PRAGMA synchronous=NORMAL")
    else:
        conn.execute("SET synchronous_commit = off")
    conn.relaxed = True
    try:
        yield
    finally:
        conn.relaxed = False
        if conn.dialect == "sqlite":
            conn.execute("PRAGMA synchronous=FULL")
        else:
            conn.execute("SET synchronous_commit = on")


class OutcomeWriter:
    """Outcomes recorded as they come inside `relaxed_commits`, each commit at once, and
    one of them waiting for the disk at least every FLUSH_SECONDS: a crash of the process
    loses none of them, a power cut at most that much, whose messages then go again with
    their Message-IDs."""

    FLUSH_SECONDS = 0.5

    def __init__(self, conn: Database, tz: tzinfo) -> None:
        self.conn, self.tz = conn, tz
        self.flushed = time.monotonic()  # the last commit that waited for the disk

    def write(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        now = time.monotonic()
        flush = now - self.flushed >= self.FLUSH_SECONDS
        record_outcomes(self.conn, outcomes, datetime.now(self.tz), flush=flush)
        if flush:
            self.flushed = now


def record_outcomes(
    conn: Database, outcomes: Sequence[Outcome], now: datetime, *, flush: bool = True
) -> None:
    """Record attempts and release their claims, in one transaction. A copy that went out is
    recorded sent whatever happened to its row meanwhile (that is what the subscriber has);
    any other outcome only updates a row still queued, so it never reopens a delivery an
    unsubscribe dropped, nor downgrades one another worker sent. `flush` (inside
    `relaxed_commits`): this commit waits for the disk, and with it every earlier one."""
    if not outcomes:
        return
    if flush and conn.relaxed and conn.dialect == "sqlite":
        conn.execute("PRAGMA synchronous=FULL")
        try:
            _record(conn, outcomes, now, flush=False)
        finally:
            conn.execute("PRAGMA synchronous=NORMAL")
        return
    _record(conn, outcomes, now, flush=flush)


def _record(conn: Database, outcomes: Sequence[Outcome], now: datetime, *, flush: bool) -> None:
    at = iso(now)
    statements = []
    sent = [(at, o.digest_id, o.email) for o in outcomes if o.status == "sent"]
    if sent:
        statements.append((_RECORD_SENT, sent))
    other = [
        (o.status, at, o.detail, o.next_attempt, o.digest_id, o.email)
        for o in outcomes
        if o.status != "sent"
    ]
    if other:
        statements.append((_RECORD_OTHER, other))
    strict = flush and conn.dialect == "postgresql" and conn.relaxed
    if len(statements) == 1 and len(statements[0][1]) == 1 and not strict:
        # One connection's outcome, the common case: one statement is its own transaction
        # (a round trip and a commit, where BEGIN … COMMIT would be three round trips).
        sql, (row,) = statements[0]
        conn.execute(sql, row)
        return
    with transaction(conn):
        if strict:
            conn.execute("SET LOCAL synchronous_commit = on")
        for sql, rows in statements:
            conn.executemany(sql, rows)


_RECORD_SENT = (
    "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, at = ?, detail = '',"
    " next_attempt = NULL, claimed_by = NULL, lease_until = NULL"
    " WHERE digest_id = ? AND email = ?"
)
_RECORD_OTHER = (
    "UPDATE deliveries SET status = ?, attempts = attempts + 1, at = ?, detail = ?,"
    " next_attempt = ?, claimed_by = NULL, lease_until = NULL"
    " WHERE digest_id = ? AND email = ? AND status IN ('pending', 'failed')"
)


def release_claims(conn: Database, worker: str) -> int:
    """Give back every claim `worker` holds, untried (no attempt counted); return how many."""
    with transaction(conn):
        cur = conn.execute(
            "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
            (worker,),
        )
        return cur.rowcount


def release_dead_claims(conn: Database, now: float, alive: Callable[[str], bool]) -> int:
    """Release unexpired claims of workers that `alive(worker)` says are gone (a process
    killed mid-delivery), so nobody waits for their leases; return how many."""
    rows = conn.execute(
        "SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL"
        " AND lease_until >= ?",
        (now,),
    ).fetchall()
    return sum(release_claims(conn, r["claimed_by"]) for r in rows if not alive(r["claimed_by"]))


def still_wanted(
    conn: Database, keys: Sequence[DeliveryKey], *, hold: bool = False, nowait: bool = False
) -> set[DeliveryKey]:
    """Of `keys`, those still queued (pending or failed) to a subscriber still active.
    `hold` (inside a transaction): keep those subscribers as they are until it ends — their
    rows locked on PostgreSQL (an unsubscribe waits for the commit); on SQLite the
    transaction's write lock already does that. `nowait` (PostgreSQL): rather than wait for
    a row another transaction holds, fail at once (`gave_way` tells that error)."""
    lock = " FOR SHARE OF s" if hold and conn.dialect == "postgresql" else ""
    lock += " NOWAIT" if lock and nowait else ""
    by_digest: dict[str, list[str]] = {}
    for digest_id, email in keys:
        by_digest.setdefault(digest_id, []).append(email)
    wanted: set[DeliveryKey] = set()
    for digest_id, emails in by_digest.items():
        for part in _chunks(emails):
            rows = conn.execute(
                "SELECT d.email FROM deliveries d JOIN subscribers s ON s.email = d.email"
                " WHERE d.digest_id = ? AND d.status IN ('pending', 'failed')"
                f" AND s.status = 'active' AND d.email IN ({', '.join('?' * len(part))})" + lock,
                (digest_id, *part),
            )
            wanted.update((digest_id, r["email"]) for r in rows)
    return wanted


def hold_for_outcome(conn: Database, key: DeliveryKey) -> None:
    """PostgreSQL, inside a transaction: lock a delivery's row for the outcome this
    transaction will write, failing at once if another transaction holds it (`gave_way`)."""
    conn.execute(
        "SELECT 1 FROM deliveries WHERE digest_id = ? AND email = ? FOR UPDATE NOWAIT", key
    ).fetchall()


def gave_way(exc: BaseException) -> bool:
    """Is this PostgreSQL's answer to NOWAIT when a row was held (lock_not_available)?"""
    return getattr(exc, "sqlstate", None) == "55P03"


def subscribers_by_email(conn: Database, emails: Sequence[str]) -> dict[str, Subscriber]:
    found: dict[str, Subscriber] = {}
    for part in _chunks(list(dict.fromkeys(emails))):
        rows = conn.execute(
            f"SELECT {SUBSCRIBER_COLUMNS} FROM subscribers"
            f" WHERE email IN ({', '.join('?' * len(part))})",
            tuple(part),
        )
        for r in rows:
            found[r["email"]] = subscriber_from_row(r)
    return found


# ---------------------------------------------------------------- what needs the operator

# A delivery has failed for good when nothing will send it again by itself: refused for good
# by the relay (dropped after an attempt; a drop by unsubscribing counts no attempt), out of
# attempts, or in doubt and held. Only those to subscribers still active need the operator.
_FAILED_FOR_GOOD = (
    " FROM deliveries d JOIN subscribers s ON s.email = d.email WHERE s.status = 'active' AND ("
    " d.status = 'in_doubt' OR (d.status = 'dropped' AND d.attempts > 0)"
    " OR (d.status = 'failed' AND d.attempts >= ?))"
)


def count_failed_for_good(conn: Database) -> int:
    return conn.execute("SELECT COUNT(*) AS n" + _FAILED_FOR_GOOD, (MAX_ATTEMPTS,)).fetchone()["n"]


def failed_for_good(conn: Database, limit: int = 20) -> list[Delivery]:
    rows = conn.execute(
        "SELECT d.digest_id, d.email, d.status, d.attempts, d.detail"
        + _FAILED_FOR_GOOD
        + " ORDER BY d.at DESC, d.email LIMIT ?",
        (MAX_ATTEMPTS, limit),
    ).fetchall()
    return [_delivery(r) for r in rows]


def failed_deliveries(conn: Database, limit: int = 20) -> list[Delivery]:
    """Deliveries that failed and wait for a retry (or for the operator), newest first."""
    rows = conn.execute(
        "SELECT digest_id, email, status, attempts, detail FROM deliveries"
        " WHERE status = 'failed' ORDER BY at DESC, email LIMIT ?",
        (limit,),
    ).fetchall()
    return [_delivery(r) for r in rows]


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


def state_secret(conn: Database, purpose: str) -> bytes:
    """A random secret kept in the state for `purpose` (e.g. "verp": the MAC of bounce
    addresses), made on first use and never shown anywhere."""
    key = f"secret:{purpose}"
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        (key, new_secret(32)),
    )
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return bytes.fromhex(row["value"])
