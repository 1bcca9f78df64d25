"""The delivery queue, a batch at a time: what a worker needs around `claim_deliveries`.

A worker claims a batch, looks its subscribers up in one query, checks right before handing
the batch over that each delivery is still wanted (an unsubscribe may have committed since
the claim), and records every outcome of the batch in one transaction. Deliveries a worker
claimed but never tried (the relay went down, the run was asked to stop) are released as
they were, without counting an attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.store.db import Database, iso, new_secret, transaction
from syndicate.store.digests import MAX_ATTEMPTS, Delivery
from syndicate.store.subscribers import subscriber_from_row

if TYPE_CHECKING:
    from syndicate.model import Subscriber

DeliveryKey = tuple[str, str]  # (digest id, email)


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


def finish_deliveries(conn: Database, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Record a batch of attempts and release their claims, in one transaction."""
    if not outcomes:
        return
    with transaction(conn):
        conn.executemany(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, at = ?, detail = ?,"
            " next_attempt = ?, claimed_by = NULL, lease_until = NULL"
            " WHERE digest_id = ? AND email = ?",
            [
                (o.status, iso(now), o.detail, o.next_attempt, o.digest_id, o.email)
                for o in outcomes
            ],
        )


def release_deliveries(conn: Database, keys: Sequence[DeliveryKey]) -> None:
    """Give claimed deliveries back untried: no attempt counted, status unchanged."""
    if not keys:
        return
    with transaction(conn):
        conn.executemany(
            "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL"
            " WHERE digest_id = ? AND email = ?",
            list(keys),
        )


def wanted_deliveries(conn: Database, keys: Sequence[DeliveryKey]) -> set[DeliveryKey]:
    """`still_wanted` for a batch: the keys still queued to a subscriber still active."""
    by_digest: dict[str, list[str]] = {}
    for digest_id, email in keys:
        by_digest.setdefault(digest_id, []).append(email)
    wanted: set[DeliveryKey] = set()
    for digest_id, emails in by_digest.items():
        for part in _chunks(emails):
            rows = conn.execute(
                "SELECT d.email FROM deliveries d JOIN subscribers s ON s.email = d.email"
                " WHERE d.digest_id = ? AND d.status IN ('pending', 'failed')"
                f" AND s.status = 'active' AND d.email IN ({', '.join('?' * len(part))})",
                (digest_id, *part),
            )
            wanted.update((digest_id, r["email"]) for r in rows)
    return wanted


def subscribers_by_email(conn: Database, emails: Sequence[str]) -> dict[str, Subscriber]:
    found: dict[str, Subscriber] = {}
    for part in _chunks(list(dict.fromkeys(emails))):
        rows = conn.execute(
            "SELECT email, name, token, status, language FROM subscribers"
            f" WHERE email IN ({', '.join('?' * len(part))})",
            tuple(part),
        )
        for r in rows:
            found[r["email"]] = subscriber_from_row(r)
    return found


_DUE = (
    " FROM deliveries d JOIN subscribers s ON s.email = d.email"
    " WHERE d.status IN ('pending', 'failed') AND d.attempts < ? AND s.status = 'active'"
    " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
)


def count_due(conn: Database, now: float, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Deliveries a worker could send now (leased ones included)."""
    return conn.execute("SELECT COUNT(*) AS n" + _DUE, (max_attempts, now)).fetchone()["n"]


def has_due(conn: Database, now: float, max_attempts: int = MAX_ATTEMPTS) -> bool:
    row = conn.execute("SELECT 1 AS x" + _DUE + " LIMIT 1", (max_attempts, now)).fetchone()
    return row is not None


# A delivery has failed for good when nothing will send it again by itself: refused for good
# by the relay (dropped after an attempt; a drop by unsubscribing counts no attempt), out of
# attempts, or in doubt and held. Only those to subscribers still active need the operator.
_FAILED_FOR_GOOD = (
    " FROM deliveries d JOIN subscribers s ON s.email = d.email WHERE s.status = 'active' AND ("
    " d.status = 'in_doubt' OR (d.status = 'dropped' AND d.attempts > 0)"
    " OR (d.status = 'failed' AND d.attempts >= ?))"
)


def count_failed_for_good(conn: Database, max_attempts: int = MAX_ATTEMPTS) -> int:
    return conn.execute("SELECT COUNT(*) AS n" + _FAILED_FOR_GOOD, (max_attempts,)).fetchone()["n"]


def failed_for_good(
    conn: Database, limit: int = 20, max_attempts: int = MAX_ATTEMPTS
) -> list[Delivery]:
    rows = conn.execute(
        "SELECT d.digest_id, d.email, d.status, d.attempts, d.detail"
        + _FAILED_FOR_GOOD
        + " ORDER BY d.at DESC, d.email LIMIT ?",
        (max_attempts, limit),
    ).fetchall()
    return [
        Delivery(r["digest_id"], r["email"], r["status"], r["attempts"], r["detail"]) for r in rows
    ]


def release_dead_claims(conn: Database, now: float, alive: Callable[[str], bool]) -> int:
    """Release unexpired claims of workers that `alive(worker)` says are gone (a run killed
    mid-batch), so the next run need not wait for their leases; return how many."""
    rows = conn.execute(
        "SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL"
        " AND lease_until >= ?",
        (now,),
    ).fetchall()
    dead = [r["claimed_by"] for r in rows if not alive(r["claimed_by"])]
    released = 0
    for worker in dead:
        with transaction(conn):
            cur = conn.execute(
                "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
                (worker,),
            )
            released += cur.rowcount
    return released


def release_worker_claims(conn: Database, worker: str) -> int:
    """Release every claim `worker` holds (it is stopping); return how many."""
    with transaction(conn):
        cur = conn.execute(
            "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
            (worker,),
        )
        return cur.rowcount


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
