"""Which queued deliveries are due now: pending, or failed and past the backoff the delivery
engine set in `deliveries.next_attempt`.

The service's resumer asks `due_deliveries` every few minutes, so deliveries left by a crash
or by a relay outage go out without waiting for the next digest; the backoff keeps it from
hammering an address a relay keeps refusing (each attempt counts toward MAX_ATTEMPTS).
"""

from __future__ import annotations

from syndicate.store.db import Database
from syndicate.store.digests import MAX_ATTEMPTS


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
