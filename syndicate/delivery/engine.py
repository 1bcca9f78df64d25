"""The one delivery engine: every message to a subscriber — sent by `run`, by the service's
resumer or by any number of `syndicate deliver` workers, with the state in SQLite or in
PostgreSQL — goes through `deliver` below. There is no other loop.

One pass: claim due deliveries with a lease (store/queue.py) → build each copy from the
digest's template (copies.py) → ask right before each hand-over whether it is still wanted
→ hand it over → record what happened → claim more, until nothing is due, the circuit
breaker trips, or the caller asks to stop. What is left is released untried.

How each promise is kept:
- **A crash resends at most the message in flight on each connection.** Relay outcomes are
  committed as soon as the relay answered, before that connection gets its next copy. The
  database work stays on the calling thread; each relay connection is a thread that only
  talks to the relay and waits for its outcome to be recorded. Outcomes that arrive together
  from several connections share one commit (group commit), which widens nothing: no
  connection is ever more than one message ahead of the state. Folder transports record a
  batch at once: their names are deterministic and `link()` never overwrites, so a batch a
  crash left unrecorded is recognised by name (folders.py) and nothing is written twice.
- **Unsubscribes win.** A copy is checked right before its hand-over begins, so none whose
  hand-over starts after an unsubscribe, a suppression or an erasure committed goes out.
  Folders make that exact: the batch is staged on disk first, then one transaction asks which
  copies are still wanted, links those and records the batch, and while it runs no
  unsubscribe can commit (SQLite's write lock; the subscribers' rows locked on PostgreSQL).
  Relays cannot hold a lock for a whole SMTP exchange, so the gate asks right before the
  copy goes to its connection: on SQLite that costs nothing while nothing changed (`PRAGMA
  data_version` moves only when another connection commits, and only then is the rest of
  the batch looked up again); PostgreSQL has no such counter, and there it is one
  primary-key lookup per copy.
- **What the relay says decides what happens next**: sent; temporary → `failed` with a
  backoff (`delivery.retry_seconds`, doubled per attempt) until MAX_ATTEMPTS, then failed for
  good; permanent → `dropped` with the relay's reply, never retried; in doubt → `in_doubt`,
  held for the operator (`delivery.in_doubt = "hold"`) or sent again after the backoff with the
  same Message-ID (`"resend"`); untried (the relay was down, the run was stopped) → released
  as it was, no attempt spent. `delivery.relay_failures` relay failures in a row trip the
  circuit breaker: delivery stops and the rest stays queued.
- **Restores never resend**: `stamp_outbox` (the state guard) bumps the state's generation and
  stamps the outbox before the first copy of every claim and once more at the end, so any
  backup taken while messages went out is older than the outbox's stamp. A run refuses such
  a state, and `state restore`/`state adopt` hold its queued relay deliveries in doubt.
- **Claims**: a worker renews its lease while it lives; one killed on this host has its
  claims released by the next worker at once (its pid is gone), one on another host after
  the lease. A worker whose lease ran out before it could renew drops what it still holds
  and claims afresh, so it never sends a copy another worker may have taken over.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from syndicate import store
from syndicate.config import Config
from syndicate.delivery.claims import AudienceGate, worker_alive, worker_id
from syndicate.delivery.copies import CopyBuilder
from syndicate.delivery.outcomes import outcome_of
from syndicate.delivery.transports import (
    CircuitBreaker,
    Copy,
    Folder,
    Relay,
    Result,
    is_relay,
    open_transport,
)
from syndicate.digest import RenderedDigest
from syndicate.report import Progress, RunReport

# Deliveries claimed at a time. A relay takes one copy at a time per connection, so a small
# claim costs little (one short transaction per few dozen messages) and leaves the rest of
# the queue to other workers; a folder batch shares one flush to disk, so it is large.
RELAY_CLAIM_PER_CONNECTION = 25
FOLDER_BATCH = 500  # copies per Maildir/.eml batch: one flush to disk, one transaction
LEASE = 60.0  # seconds a claim lasts unless renewed (renewed when half of it is gone)

Pending = tuple[store.Delivery, Copy]


def _clock(now: datetime) -> Callable[[], float]:
    """Epoch seconds that start at the run's `now` and move with real time (tests and the
    resumer pass a `now` of their own; backoffs are computed from it)."""
    start, zero = now.timestamp(), time.monotonic()
    return lambda: start + time.monotonic() - zero


def deliver(
    conn: store.Database,
    config: Config,
    report: RunReport,
    *,
    now: datetime | None = None,
    worker: str | None = None,
    rendered: dict[str, RenderedDigest] | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    stamp_outbox: Callable[[], None] | None = None,
    lease: float = LEASE,
    batch: int | None = None,
    dry_run: bool = False,
) -> None:
    """Send every due delivery this worker can claim. `should_stop` is asked before each
    copy (a SIGTERM: the copies in flight finish, the rest stays queued); `stamp_outbox`
    advances the state's generation and the outbox stamp (state.Guard.advance);
    `rendered` holds digests this run already rendered."""
    clock = _clock(now or datetime.now(config.site.tz))
    if dry_run:
        report.sent = store.count_due(conn, clock())  # "would deliver"
        return
    if store.has_due(conn, clock()):
        _Pass(
            conn,
            config,
            report,
            clock,
            worker=worker or worker_id(),
            rendered=rendered if rendered is not None else {},
            progress=progress or (lambda _message: None),
            should_stop=should_stop or (lambda: False),
            stamp_outbox=stamp_outbox or (lambda: None),
            lease=lease,
            batch=batch,
        ).run()
    report.unresolved = store.count_failed_for_good(conn)


class _Pass:
    """One call of `deliver`: the claims, the copies waiting to go, the outcomes."""

    def __init__(
        self,
        conn: store.Database,
        config: Config,
        report: RunReport,
        clock: Callable[[], float],
        *,
        worker: str,
        rendered: dict[str, RenderedDigest],
        progress: Progress,
        should_stop: Callable[[], bool],
        stamp_outbox: Callable[[], None],
        lease: float,
        batch: int | None,
    ) -> None:
        self.conn, self.config, self.report, self.clock = conn, config, report, clock
        self.worker, self.progress, self.should_stop = worker, progress, should_stop
        self.stamp_outbox, self.lease = stamp_outbox, lease
        self.transport = open_transport(config)
        self.relay = is_relay(self.transport)
        if batch is None and self.relay:
            batch = RELAY_CLAIM_PER_CONNECTION * self.transport.connections  # type: ignore[union-attr]
        self.batch = batch or FOLDER_BATCH
        rate = config.delivery.rate_limit
        if rate > 0:  # a batch goes out within about a minute
            self.batch = max(1, min(self.batch, int(rate * 60)))
        self.builder = CopyBuilder(conn, config, rendered, dot_stuffed=self.transport.dot_stuffed)
        self.gate = AudienceGate(conn)
        self.breaker = CircuitBreaker(config.delivery.relay_failures)
        self.todo: deque[Pending] = deque()
        self.held_until = 0.0  # our claims' lease, as last claimed or renewed
        self.stamp_due = False  # the next copy is the first of a claim
        self.handed_over = False  # anything went out (or may have) in this pass
        self.done = 0
        self.total = 0

    # ------------------------------------------------------------ the pass

    def run(self) -> None:
        store.release_dead_claims(self.conn, self.clock(), worker_alive)
        self.total = store.count_due(self.conn, self.clock(), unclaimed_only=True)
        try:
            if self.relay:
                self._relay_loop(self.transport)  # type: ignore[arg-type]
            else:
                self._folder_loop(self.transport)  # type: ignore[arg-type]
        finally:
            # Whatever this worker still holds (withdrawn, untried, never reached) goes back
            # as it was; then one last stamp covers every message since the previous one.
            store.release_claims(self.conn, self.worker)
            if self.handed_over:
                self.stamp_outbox()
        if self.breaker.reason:
            self.report.delivery_stopped = self.breaker.reason
        elif self.should_stop():
            self.report.warnings.append("delivery was asked to stop; the rest stays queued")

    def _stopping(self) -> bool:
        return bool(self.breaker.reason) or self.should_stop()

    def _claim(self) -> bool:
        """Claim the next batch into `todo`; False when nothing is left to claim."""
        if self._stopping():
            return False
        self.gate.before_claim()
        claimed = store.claim_deliveries(
            self.conn, self.worker, limit=self.batch, now=self.clock(), lease=self.lease
        )
        self.held_until = self.clock() + self.lease
        if not claimed:
            return False
        subscribers = store.subscribers_by_email(self.conn, [d.email for d in claimed])
        refused: list[store.Outcome] = []
        for delivery in claimed:
            subscriber = subscribers.get(delivery.email)
            if subscriber is None or subscriber.status != "active":
                continue  # left since the claim's query: released at the end
            try:
                self.todo.append((delivery, self.builder.copy(delivery.digest_id, subscriber)))
            except ValueError as exc:  # an address no message can carry
                detail = f"cannot address a message to it: {exc}"
                refused.append(store.Outcome(delivery.digest_id, delivery.email, "dropped", detail))
                self.report.failed_for_good.append(f"{delivery.email}: {detail}")
        self._store(refused)
        self.stamp_due = True
        return True

    def _renew(self) -> None:
        """Keep our claims: renew when half the lease is gone. If it ran out before we
        could, another worker may have taken them over: drop them, claim afresh."""
        now = self.clock()
        if now < self.held_until - self.lease / 2:
            return
        if now >= self.held_until:
            self.todo.clear()
            store.release_claims(self.conn, self.worker)
            self.held_until = now
            return
        store.renew_claims(self.conn, self.worker, now, self.lease)
        self.held_until = now + self.lease

    def _next(self) -> Pending | None:
        """The next copy to hand over, still wanted; None when there is nothing more."""
        while True:
            self._renew()
            if self._stopping() or (not self.todo and not self._claim()):
                return None
            delivery, copy = self.todo.popleft()
            if self.gate.wanted(copy.key, partial(self._unsent, copy.key)):
                self._before_hand_over()
                return delivery, copy

    def _unsent(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        return [key, *(c.key for _d, c in self.todo)]

    def _before_hand_over(self) -> None:
        if self.stamp_due:
            self.stamp_outbox()
            self.stamp_due = False
        self.handed_over = True

    # ------------------------------------------------------------ relays: one thread a connection

    def _relay_loop(self, relay: Relay) -> None:
        """The calling thread owns the database; each connection's thread asks for a copy,
        sends it and reports the result with its next request, so every result is recorded
        before that connection sends again."""
        requests: queue.SimpleQueue = queue.SimpleQueue()
        inboxes: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(relay.connections)]
        threads = [
            threading.Thread(
                target=_connection_thread,
                args=(relay, i, requests, inboxes[i]),
                name=f"delivery-{i}",
                daemon=True,
            )
            for i in range(relay.connections)
        ]
        for thread in threads:
            thread.start()
        working = set(range(len(threads)))
        try:
            while working:
                try:
                    asked = [requests.get(timeout=max(0.5, self.lease / 4))]
                except queue.Empty:
                    self._renew()
                    continue
                while True:  # whoever else is waiting: their outcomes share one commit
                    try:
                        asked.append(requests.get_nowait())
                    except queue.Empty:
                        break
                self._record([done for _i, done in asked if done is not None], retry=True)
                for i, _done in asked:
                    item = self._next()
                    inboxes[i].put(item)
                    if item is None:
                        working.discard(i)
        except BaseException:
            # Ctrl-C, a database error: the connections finish the copy in hand and stop;
            # what they report is recorded if the state still takes it.
            for i in working:
                inboxes[i].put(None)
            for thread in threads:
                thread.join(timeout=self.config.delivery.smtp_timeout + 5)
            late = []
            while True:
                try:
                    late.append(requests.get_nowait()[1])
                except queue.Empty:
                    break
            with contextlib.suppress(Exception):
                self._record([done for done in late if done is not None])
            raise
        for thread in threads:
            thread.join()

    # ------------------------------------------------------------ folders: a batch at a time

    def _folder_loop(self, folder: Folder) -> None:
        """Stage a claimed batch durably, then in one transaction: ask which copies are
        still wanted, put those in place, record the batch. No unsubscribe can commit
        between the question and the link (module docstring of folders.py)."""
        while self._claim():
            pending = list(self.todo)
            self.todo.clear()
            self._renew()
            self._before_hand_over()  # the stamp is committed before the transaction below
            staged = folder.stage([c for _d, c in pending])
            try:
                with store.transaction(self.conn):
                    wanted = store.still_wanted(self.conn, [c.key for _d, c in pending], hold=True)
                    results = folder.place(staged, partial(_among, wanted))
                    self._record([(d, c, r) for (d, c), r in zip(pending, results, strict=True)])
            finally:
                folder.discard(staged)

    # ------------------------------------------------------------ outcomes

    def _record(
        self, done: Sequence[tuple[store.Delivery, Copy, Result]], *, retry: bool = False
    ) -> None:
        """Record outcomes in one transaction. With `retry` (a relay's results), a copy that
        was never tried (a connection the relay closed, a 421) goes back to the front of the
        queue for the next free connection: we still hold its claim, and the breaker bounds
        how often that can happen in a row."""
        outcomes = []
        for delivery, copy, result in done:
            self.breaker.record(result)
            outcome = outcome_of(delivery, result, self.config, self.clock(), self.report)
            if outcome is not None:
                outcomes.append(outcome)
                self.done += 1
            elif retry and not self._stopping():
                self.todo.appendleft((delivery, copy))
        self._store(outcomes)
        if outcomes and self.total > self.batch:
            self.progress(f"delivering: {self.done}/{self.total}")

    def _store(self, outcomes: Sequence[store.Outcome]) -> None:
        if outcomes:
            store.record_outcomes(self.conn, outcomes, datetime.now(self.config.site.tz))


def _among(keys: set[tuple[str, str]], copy: Copy) -> bool:
    return copy.key in keys


def _connection_thread(
    relay: Relay, index: int, requests: queue.SimpleQueue, inbox: queue.SimpleQueue
) -> None:
    """One relay connection: ask for a copy (handing in the last result), send it, repeat."""
    connection = relay.connect()
    done = None
    try:
        while True:
            requests.put((index, done))
            done = None
            item = inbox.get()
            if item is None:
                return
            delivery, copy = item
            relay.rate.wait()
            try:
                result = connection.send(copy)
            except Exception as exc:  # a bug must not hang the engine, nor pass for "sent"
                result = Result("in_doubt", f"{relay.where}: internal error: {exc!r}")
            done = (delivery, copy, result)
    finally:
        connection.close()
