"""Delivering through the claim API: the loop of `syndicate deliver` workers, and of `run`
when the state is in PostgreSQL (so a run and any number of workers share one queue).

A worker claims a batch of due deliveries with a lease (store.claim_deliveries: `FOR UPDATE
SKIP LOCKED` on PostgreSQL, so concurrent workers get disjoint batches), then sends each in a
transaction of its own: store.hold_delivery re-checks — row locked — that the delivery is
still queued, still this worker's, and the subscriber still active; the message is handed
over; store.finish_delivery records the outcome. So:
- an unsubscribe that commits before that check is seen and nothing is sent; one that comes
  during the send waits for the row lock and commits after the message went out — nothing
  is ever sent after an unsubscribe commits;
- a worker killed mid-batch leaves its claims to expire after the lease; another worker
  takes them over. A message it had already handed over is found by the Maildir and .eml
  transports under its deterministic name ("already there") and not written twice; over
  SMTP the same Message-ID goes out again, which receivers de-duplicate;
- a batch is small (50) next to the lease (30 s): a worker that still holds claims when its
  lease ran out skips them (another worker may have them now) instead of racing it.

This is a small claim-based loop written next to the engine (whose `deliver_queued` walks
`store.open_deliveries` without claims) until the engine itself claims; it reuses the
engine's `hand_over` and `render_stored_digest`, so messages are the same bytes either way.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from syndicate import store
from syndicate.config import Config
from syndicate.delivery.engine import hand_over, render_stored_digest
from syndicate.delivery.transports import DeliveryError, Transport, make_transport
from syndicate.digest import RenderedDigest
from syndicate.report import Progress, RunReport

DEFAULT_LEASE = 30.0  # seconds a claim lasts: how long a dead worker's messages wait
DEFAULT_BATCH = 50
RETRY_BASE = 60.0  # first retry after a temporary failure; doubles, up to RETRY_MAX
RETRY_MAX = 6 * 3600.0


def worker_name(role: str = "deliver") -> str:
    """Who holds a claim: host, process and a random part (pids repeat across hosts)."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def retry_after(attempts: int) -> float:
    return min(RETRY_BASE * 2 ** max(attempts, 0), RETRY_MAX)


def deliver_claimed(
    conn: store.Database,
    config: Config,
    report: RunReport,
    *,
    worker: str,
    lease: float = DEFAULT_LEASE,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    before_send: object = None,
    stop: threading.Event | None = None,
) -> int:
    """Claim and send until nothing is claimable; return how many were sent. `before_send`
    is called once before the first message (the state guard stamps the outbox)."""
    transport: Transport | None = None
    rendered: dict[str, RenderedDigest] = {}
    sent = 0
    while not (stop and stop.is_set()):
        claims = store.claim_deliveries(conn, worker, limit=batch, now=time.time(), lease=lease)
        if not claims:
            break
        if transport is None:
            if callable(before_send):
                before_send()
            transport = make_transport(config.delivery, config.path("outbox"), config.root)
        for delivery in claims:
            if stop and stop.is_set():
                break
            if _send_one(conn, config, report, delivery, worker, transport, rendered):
                sent += 1
                if progress and sent % 100 == 0:
                    progress(f"delivering: {sent} sent")
    return sent


def _send_one(
    conn: store.Database,
    config: Config,
    report: RunReport,
    delivery: store.Delivery,
    worker: str,
    transport: Transport,
    rendered: dict[str, RenderedDigest],
) -> bool:
    digest = rendered.get(delivery.digest_id)
    if digest is None:
        digest = rendered[delivery.digest_id] = render_stored_digest(
            conn, config, delivery.digest_id
        )
    subscriber = store.get_subscriber(conn, delivery.email)
    if subscriber is None:
        return False
    name = f"{delivery.digest_id}.{store.subscriber_key(subscriber.email)}.syndicate"
    built: list = []
    error = None
    try:  # build outside the transaction: the lock is held only while the message moves
        hand_over(digest, subscriber, delivery.digest_id, config, _keep(built), name)
    except DeliveryError as exc:
        error = exc
    with store.transaction(conn):
        if not store.hold_delivery(conn, delivery.digest_id, delivery.email, worker, time.time()):
            return False
        now = datetime.now(UTC)
        try:
            if error is not None:
                raise error
            transport(built[0], name)
        except DeliveryError as exc:
            store.finish_delivery(
                conn,
                delivery.digest_id,
                delivery.email,
                status="failed",
                now=now,
                detail=str(exc),
                next_attempt=time.time() + retry_after(delivery.attempts),
            )
            report.failed.append(f"{delivery.email}: {exc}")
            return False
        store.finish_delivery(conn, delivery.digest_id, delivery.email, status="sent", now=now)
    report.sent += 1
    return True


def _keep(into: list) -> Transport:
    """A transport that only keeps the built message, for sending later."""

    def keep(message, name: str) -> str:
        into.append(message)
        return "built"

    return keep
