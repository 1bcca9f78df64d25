"""Retrying deliveries: which queued deliveries are due now, and when a failed one may be
tried again (exponential backoff per delivery, from the `deliveries.next_attempt` column).

The service's resumer asks `due_deliveries` every few minutes, so deliveries left by a crash
or by a relay outage go out without waiting for the next digest; the backoff keeps it from
hammering an address a relay keeps refusing (each attempt counts toward MAX_ATTEMPTS).
"""

from __future__ import annotations

from datetime import datetime

from syndicate.store.db import Database, iso, transaction
from syndicate.store.digests import MAX_ATTEMPTS

RETRY_CAP = 3600.0  # the longest wait between two attempts


def retry_delay(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `base`, then doubled after
    every failure, up to RETRY_CAP."""
    return min(RETRY_CAP, base * 2 ** max(0, attempts - 1))


def due_deliveries(conn: Database, now: float) -> int:
    """How many queued deliveries could be attempted at epoch `now`: pending, or failed
    fewer than MAX_ATTEMPTS times and past their backoff; to an active subscriber; not
    claimed by a live worker."""
    return conn.execute(
        "SELECT COUNT(*) AS n FROM deliveries d JOIN subscribers s ON s.email = d.email"
        " WHERE d.status IN ('pending', 'failed') AND d.attempts < ? AND s.status = 'active'"
        " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
        " AND (d.lease_until IS NULL OR d.lease_until < ?)",
        (MAX_ATTEMPTS, now, now),
    ).fetchone()["n"]


def back_off_failed(conn: Database, when: datetime, base: float) -> int:
    """Give every delivery that failed in the attempt made at `when` its next attempt time,
    `retry_delay(attempts, base)` later (unless the delivery engine already set a later
    one). Return how many."""
    stamp = when.timestamp()
    with transaction(conn):
        rows = conn.execute(
            "SELECT digest_id, email, attempts FROM deliveries WHERE status = 'failed'"
            " AND at = ? AND (next_attempt IS NULL OR next_attempt <= ?)",
            (iso(when), stamp),
        ).fetchall()
        conn.executemany(
            "UPDATE deliveries SET next_attempt = ? WHERE digest_id = ? AND email = ?",
            [(stamp + retry_delay(r["attempts"], base), r["digest_id"], r["email"]) for r in rows],
        )
    return len(rows)
