"""PostgreSQL, one relay connection: the next copy's last check is asked while the relay
works on the current one (delivery/claims.AskedAhead). What that must keep: the next
subscriber stays held until its copy's envelope is out, so an unsubscribe either stops the
copy or commits after it began; and a transaction that unsubscribes several subscribers at
once (a batch of bounces) is never deadlocked with it. Every path: run, deliver, serve."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from syndicate.config import Config
from syndicate.store.connection import open_db
from syndicate.store.db import transaction
from syndicate.store.subscribers import get_subscriber, unsubscribe
from tests.conftest import smtp_on_loopback
from tests.pg_cluster import PASSWORD
from tests.relays import FaultyRelay
from tests.test_delivery_promises import deliveries, queue_digest, send, smtp_site

__all__ = ["send"]  # the fixture: run, deliver, serve

FIRST, SECOND = "a1@example.org", "a2@example.org"  # claimed first and second: in order
OTHERS = ("b1@example.org", "b2@example.org")


class WhileTheFirstIsHandled(FaultyRelay):
    """A relay that runs `meanwhile` in a thread of its own while it works on the first copy
    (between its last byte and its reply, `pause` seconds) — or, with `before_body`, before
    it answers the first copy's RCPT, once `meanwhile` says (`ready`) it holds what it holds:
    that is before the sender writes the body, so before it could ask about the next copy."""

    def __init__(self, meanwhile, pause: float = 0.0, before_body: bool = False) -> None:
        super().__init__()
        self.meanwhile, self.pause, self.before_body = meanwhile, pause, before_body
        self.thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.config: Config | None = None  # the site's, set by send_through

    def _start(self) -> None:
        self.thread = threading.Thread(target=self.meanwhile, daemon=True)
        self.thread.start()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == FIRST and self.before_body and self.thread is None:
            self._start()
            await asyncio.get_running_loop().run_in_executor(None, self.ready.wait, 10)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if envelope.rcpt_tos == [FIRST] and not self.before_body and self.thread is None:
            await asyncio.sleep(0.2)  # the sender has asked about the next copy by now
            self._start()
            await asyncio.sleep(self.pause)
        return await super().handle_DATA(server, session, envelope)


def send_through(handler: FaultyRelay, site: Path, pg_url: str, send) -> Config:
    """The digest queued for FIRST, SECOND, OTHERS (and the config's own reader) and sent by
    `send` through a relay with `handler`, which is given the site's config first (and whose
    thread, if it started one, is waited for). The site's config."""
    with smtp_on_loopback(handler) as port:
        config = smtp_site(site, pg_url, port)
        handler.config = config  # type: ignore[attr-defined]
        queue_digest(config, FIRST, SECOND, *OTHERS)
        assert send(config) == 0
    thread = getattr(handler, "thread", None)
    if thread is not None:
        thread.join(10)
    return config


def raw(url: str) -> psycopg.Connection:
    return psycopg.connect(url, password=PASSWORD, autocommit=True)


def test_the_next_subscriber_is_held_and_an_unsubscribe_commits_after_its_copy_began(
    site, pg_url, send
):
    seen: dict[str, object] = {}

    def probe_then_leave() -> None:
        with raw(pg_url) as other:
            try:  # the next subscriber's row is held by the sender: NOWAIT fails at once
                other.execute(
                    "SELECT 1 FROM subscribers WHERE email = %s FOR UPDATE NOWAIT", (SECOND,)
                )
                seen["held"] = False
            except psycopg.errors.LockNotAvailable:
                seen["held"] = True
        config = handler.config
        conn = open_db(config)
        try:  # waits for the sender's commit, which comes once the copy's envelope is out
            unsubscribe(conn, datetime.now(config.site.tz), email=SECOND)
            seen["left"] = time.monotonic()
        finally:
            conn.close()

    handler = WhileTheFirstIsHandled(probe_then_leave, pause=0.3)
    config = send_through(handler, site, pg_url, send)
    assert seen["held"] is True
    # The copy began (its MAIL FROM) before the unsubscribe committed, so it went, once,
    # and is recorded as sent; nothing of that digest follows the unsubscribe.
    assert handler.delivered_to().count(SECOND) == 1
    assert handler.started[SECOND][0] < seen["left"]  # type: ignore[operator]
    assert deliveries(config)[SECOND] == ("sent", 1)
    conn = open_db(config)
    try:
        assert get_subscriber(conn, SECOND).status == "unsubscribed"  # type: ignore[union-attr]
    finally:
        conn.close()
    assert sorted(handler.delivered_to()) == sorted([FIRST, SECOND, *OTHERS, "one@example.org"])


def test_a_batch_unsubscribing_the_copy_in_flight_and_the_next_is_not_deadlocked(
    site, pg_url, send
):
    """A batch of bounces in one transaction: the copy in flight's subscriber first (its
    delivery row is what the sender will record), then the next one's (the row the sender
    holds). Had the sender written its outcome waiting for the batch while holding the next
    subscriber, PostgreSQL would cancel one of the two as a deadlock."""
    errors: list[BaseException] = []

    def batch_of_bounces() -> None:
        config = handler.config
        conn = open_db(config)
        try:
            now = datetime.now(config.site.tz)
            with transaction(conn):
                unsubscribe(conn, now, email=FIRST, status="bounced", in_transaction=True)
                unsubscribe(conn, now, email=SECOND, status="bounced", in_transaction=True)
        except BaseException as exc:  # a deadlock would land here (or in the sender)
            errors.append(exc)
        finally:
            conn.close()

    handler = WhileTheFirstIsHandled(batch_of_bounces, pause=0.5)
    config = send_through(handler, site, pg_url, send)
    assert errors == []  # a deadlock cancels one side: this batch, or the sender (exit ≠ 0)
    found = deliveries(config)
    # The first went before the batch; the second began before it committed: both sent once.
    assert handler.delivered_to().count(FIRST) == 1 and found[FIRST] == ("sent", 1)
    assert handler.delivered_to().count(SECOND) == 1 and found[SECOND] == ("sent", 1)
    assert {found[e][0] for e in OTHERS} == {"sent"}


@pytest.mark.parametrize("holder", ["delivery", "subscriber"])
def test_a_row_held_elsewhere_makes_the_sender_ask_at_the_last_moment_instead(
    site, pg_url, send, holder
):
    """Another transaction holds the copy in flight's delivery row, or the next subscriber's,
    from before the sender could ask ahead: asking ahead gives way at once (NOWAIT), and the
    next copy is asked about at the last moment, as without it. The other transaction then
    unsubscribes the next subscriber: its copy does not go."""

    table, email = ("deliveries", FIRST) if holder == "delivery" else ("subscribers", SECOND)

    def hold_then_leave() -> None:
        with raw(pg_url) as other, other.transaction():
            other.execute(f"SELECT 1 FROM {table} WHERE email = %s FOR UPDATE", (email,))
            handler.ready.set()
            time.sleep(0.4)
            other.execute(
                "UPDATE subscribers SET status = 'unsubscribed' WHERE email = %s", (SECOND,)
            )
            other.execute(
                "UPDATE deliveries SET status = 'dropped' WHERE email = %s AND status = 'pending'",
                (SECOND,),
            )

    handler = WhileTheFirstIsHandled(hold_then_leave, before_body=True)
    config = send_through(handler, site, pg_url, send)
    found = deliveries(config)
    assert handler.delivered_to().count(FIRST) == 1 and found[FIRST] == ("sent", 1)
    assert SECOND not in handler.delivered_to() and found[SECOND][0] == "dropped"
    assert {found[e][0] for e in OTHERS} == {"sent"}


def test_each_outcome_is_committed_before_the_next_body_arrives(site, pg_url, send):
    """The crash promise with the outcome written late: when the relay has a copy's body,
    every copy it took before is recorded sent, so a crash resends at most the one in
    flight. Read by the relay itself, from another connection, as each body arrives."""
    seen: dict[str, set[str]] = {}

    class Recording(FaultyRelay):
        async def handle_DATA(self, server, session, envelope):
            with raw(pg_url) as other:
                rows = other.execute("SELECT email FROM deliveries WHERE status = 'sent'")
                seen[envelope.rcpt_tos[0]] = {r[0] for r in rows}
            return await super().handle_DATA(server, session, envelope)

    handler = Recording()
    send_through(handler, site, pg_url, send)
    order = handler.delivered_to()
    assert len(order) == 5
    for i, rcpt in enumerate(order):
        assert set(order[:i]) <= seen[rcpt], (rcpt, order[:i], seen[rcpt])
