"""The one delivery engine: every message to a subscriber — sent by `run`, by the service's
resumer or by any number of `syndicate deliver` workers, with the state in SQLite or in
PostgreSQL — goes through `deliver` below. There is no other loop.

One pass: claim due deliveries with a lease (store/deliveries.py) → build each copy from the
digest's template (copies.py) → ask right before each hand-over whether it is still wanted
→ hand it over → record what happened → claim more, until nothing is due, the circuit
breaker trips, or the caller asks to stop. What is left is released untried.

How each promise is kept:
- **A crash resends at most the message in flight on each connection.** Relay outcomes are
  committed as soon as the relay answered, before that connection's next copy can be taken:
  each connection (a thread, or the calling thread when there is one) records its outcome
  and takes its next copy under one lock around the state, then sends outside it. (With the
  check asked ahead, claims.AskedAhead, the outcome commits right after the next copy's
  envelope, before its body, which the relay needs before it takes anything.) Folder
  transports record a batch at once: their names are deterministic and `link()` never
  overwrites, so a batch a crash left unrecorded is recognised by name (folders.py).
- **Unsubscribes win.** A copy is checked right before its hand-over begins, inside a
  transaction held until its first bytes are written, so none whose hand-over starts after
  an unsubscribe, a suppression or an erasure committed goes out (how the check is cheap on
  each store: claims.py). Folders make it exact for a batch: staged on disk first, then one
  transaction asks which copies are still wanted, links those and records the batch, and
  no unsubscribe commits meanwhile (SQLite's write lock; the subscribers' rows locked on
  PostgreSQL).
- **What the relay says decides what happens next** (outcomes.py): sent; temporary → retried
  after a backoff; permanent → dropped, never retried; in doubt → held for the operator (or
  resent with the same Message-ID); untried → released, no attempt spent.
  `delivery.relay_failures` relay failures in a row trip the circuit breaker: delivery
  stops and the rest stays queued.
- **Restores never resend**: `stamp_outbox` (the state guard) bumps the state's generation and
  stamps the outbox before the first copy of every claim and once more at the end, so any
  backup taken while messages went out is older than the outbox's stamp. A run refuses such
  a state, and `state restore`/`state adopt` hold its queued relay deliveries in doubt.
- **Claims** are leased and renewed while the worker lives (claims.py says who may take
  them over, and when); one whose lease ran out before it could renew drops what it still
  holds and claims afresh, never sending a copy another worker may have taken over.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial

from syndicate.config import Config
from syndicate.core.report import Progress, RunReport
from syndicate.delivery.claims import LastCheck, worker_alive, worker_id
from syndicate.delivery.copies import CopyBuilder
from syndicate.delivery.folders import FOLDER_BATCH, next_batch
from syndicate.delivery.handover import WITHDRAWN, Copy, Folder, Relay, Result, nothing
from syndicate.delivery.outcomes import CircuitBreaker, outcome_of
from syndicate.delivery.transports import is_relay, open_transport
from syndicate.digest.render import RenderedDigest
from syndicate.store.db import Database, transaction
from syndicate.store.deliveries import (
    Delivery,
    Outcome,
    OutcomeWriter,
    claim_deliveries,
    count_due,
    count_failed_for_good,
    has_due,
    relaxed_commits,
    release_claims,
    release_dead_claims,
    renew_claims,
    still_wanted,
    subscribers_by_email,
)

# Deliveries claimed at a time. A relay takes one copy at a time per connection, so a small
# claim costs little (one short transaction per few dozen messages) and leaves the rest of
# the queue to other workers; a folder batch shares one flush to disk (folders.next_batch).
RELAY_CLAIM_PER_CONNECTION = 25
LEASE = 60.0  # seconds a claim lasts unless renewed (renewed when half of it is gone)

Pending = tuple[Delivery, Copy]


def _clock(now: datetime) -> Callable[[], float]:
    """Epoch seconds that start at the run's `now` and move with real time (tests and the
    resumer pass a `now` of their own; backoffs are computed from it)."""
    start, zero = now.timestamp(), time.monotonic()
    return lambda: start + time.monotonic() - zero


def deliver(
    conn: Database,
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
        report.sent = count_due(conn, clock())  # "would deliver"
        return
    if has_due(conn, clock()):
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
    report.unresolved = count_failed_for_good(conn)


class _Pass:
    """One call of `deliver`: the claims, the copies waiting to go, the outcomes."""

    def __init__(
        self,
        conn: Database,
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
        self.stamp_outbox = stamp_outbox
        self.transport = open_transport(config)
        self.relay = is_relay(self.transport)
        # Claims are renewed between copies: a connection waiting out the relay's timeout
        # must be back well before half the lease is gone.
        self.lease = max(lease, 4 * config.delivery.smtp_timeout) if self.relay else lease
        if batch is None and self.relay:
            batch = RELAY_CLAIM_PER_CONNECTION * self.transport.connections  # type: ignore[union-attr]
        self.batch = batch or FOLDER_BATCH
        rate = config.delivery.rate_limit
        if rate > 0:  # a batch goes out within about a minute
            self.batch = max(1, min(self.batch, int(rate * 60)))
        self.builder = CopyBuilder(conn, config, rendered, dot_stuffed=self.transport.dot_stuffed)
        # Asked ahead (claims.AskedAhead): PostgreSQL, one connection, no rate limit (a copy
        # waiting for its turn would keep its subscriber's row locked meanwhile).
        ahead = self.relay and self.transport.connections == 1 and not rate  # type: ignore[union-attr]
        self.check = LastCheck(conn, ahead=ahead and conn.dialect == "postgresql")
        self.outcomes = OutcomeWriter(conn, config.site.tz)
        self.breaker = CircuitBreaker(config.delivery.relay_failures)
        self.todo: deque[Pending] = deque()
        self.held: set[tuple[str, str]] = set()  # claimed by us, not recorded or released
        self.held_until = 0.0  # our claims' lease, as last claimed or renewed
        self.stamp_due = False  # the next copy is the first of a claim
        self.handed_over = False  # anything went out (or may have) in this pass
        self.aborted = False  # a connection failed or was interrupted: the others stop
        self.failure: BaseException | None = None
        self.done = 0
        self.total = 0

    # ------------------------------------------------------------ the pass

    def run(self) -> None:
        release_dead_claims(self.conn, self.clock(), worker_alive)
        self.total = self.report.to_send = count_due(self.conn, self.clock(), unclaimed_only=True)
        try:
            if self.relay:
                self._relay_loop(self.transport)  # type: ignore[arg-type]
            else:
                self._folder_loop(self.transport)  # type: ignore[arg-type]
        finally:
            # Whatever this worker still holds (withdrawn, untried, never reached) goes back
            # as it was; then one last stamp covers every message since the previous one.
            release_claims(self.conn, self.worker)
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
        self.check.before_claim()
        claimed = claim_deliveries(
            self.conn, self.worker, limit=self.batch, now=self.clock(), lease=self.lease
        )
        self.held_until = self.clock() + self.lease
        if not claimed:
            return False
        subscribers = subscribers_by_email(self.conn, [d.email for d in claimed])
        refused: list[Outcome] = []
        for delivery in claimed:
            subscriber = subscribers.get(delivery.email)
            if subscriber is None or subscriber.status != "active":
                continue  # left since the claim's query: released at the end
            try:
                self.todo.append((delivery, self.builder.copy(delivery.digest_id, subscriber)))
                self.held.add(delivery.key)
            except ValueError as exc:  # an address no message can carry
                detail = f"cannot address a message to it: {exc}"
                refused.append(Outcome(delivery.digest_id, delivery.email, "dropped", detail))
                self.report.failed_for_good.append(f"{delivery.email}: {detail}")
        self.outcomes.write(refused)
        self.stamp_due = True
        return True

    def _renew_due(self) -> bool:
        return self.clock() >= self.held_until - self.lease / 2

    def _renew(self) -> None:
        """Keep our claims: renew when half the lease is gone. If it ran out before we
        could, another worker may have taken them over: drop them, claim afresh."""
        now = self.clock()
        if not self._renew_due():
            return
        if now >= self.held_until:
            self.todo.clear()
            self.held.clear()
            release_claims(self.conn, self.worker)
            self.held_until = now
            return
        renew_claims(self.conn, self.worker, now, self.lease)
        self.held_until = now + self.lease

    def _next(self) -> Pending | None:
        """The next copy to hand over, still wanted; None when there is nothing more."""
        while True:
            if self._renew_due() or not (self.todo and self.check.ahead.key == self.todo[0][1].key):
                self.check.ahead.end()  # no renewal or stamp inside its transaction
            self._renew()
            if self._stopping() or (not self.todo and not self._claim()):
                return None
            delivery, copy = self.todo.popleft()
            self._before_hand_over()  # the stamp is committed before the hand-over
            return delivery, copy

    def _held(self) -> list[tuple[str, str]]:
        return list(self.held)

    def _ask_ahead(self, lock: threading.Lock, current: tuple[str, str]) -> None:
        """While the relay works on `current`: ask about the copy after it (AskedAhead)."""
        with lock:
            if self.todo and not self._stopping() and not self._renew_due():
                following = self.todo[0][1].key
                self.check.ahead.ask(current, following, following in self.held)

    @contextmanager
    def _handing_over(self, lock: threading.Lock, copy: Copy) -> Iterator[bool]:
        """The last question before a copy goes to its relay, asked after any connect or
        wait (or ahead: claims.AskedAhead), and held until the connection has written the
        copy's first bytes: the answer comes inside a transaction (SQLite's write lock; the
        subscriber's row locked on PostgreSQL), so no unsubscribe commits in between."""
        with lock, self.check.handing_over(copy.key, copy.key in self.held, self._held) as ok:
            yield ok

    def _before_hand_over(self) -> None:
        if self.stamp_due:
            self.stamp_outbox()
            self.stamp_due = False
        self.handed_over = True

    # ------------------------------------------------------------ relays: a copy at a time

    def _relay_loop(self, relay: Relay) -> None:
        """Every connection runs the same loop: under the state's lock, record the last
        outcome and take the next copy; then, outside it, send. So each outcome is committed
        before its connection sends another body, and the connections send in parallel. One
        connection runs on the calling thread (no thread at all); more get a thread each."""
        lock = threading.Lock()
        threads = [
            threading.Thread(target=self._connection, args=(relay, lock), daemon=True)
            for _ in range(relay.connections - 1)
        ]
        with relaxed_commits(self.conn):
            for thread in threads:
                thread.start()
            try:
                self._connection(relay, lock)
            except BaseException:
                self.aborted = True  # Ctrl-C, a database error: the others stop after theirs
                raise
            finally:
                for thread in threads:
                    thread.join()
        if self.failure is not None:
            raise self.failure

    def _connection(self, relay: Relay, lock: threading.Lock) -> None:
        connection = relay.connect()
        asks_ahead = self.check.ahead.enabled
        done: tuple[Delivery, Copy, Result] | None = None
        try:
            while True:
                with lock:
                    if done is not None:
                        self._record([done], retry=True)
                        done = None
                    item = None if self.aborted else self._next()
                if item is None:
                    return
                delivery, copy = item
                relay.rate.wait()
                ask = partial(self._ask_ahead, lock, copy.key) if asks_ahead else nothing
                try:
                    result = connection.send(copy, partial(self._handing_over, lock, copy), ask)
                except Exception as exc:  # a bug must not pass for "sent", nor be lost
                    result = Result("in_doubt", f"{relay.where}: internal error: {exc!r}")
                if not connection.is_open:  # no row stays locked while it reconnects
                    with lock:
                        self.check.ahead.end()
                done = (delivery, copy, result)
        except BaseException as exc:
            self.aborted = True
            if threading.current_thread() is not threading.main_thread():
                self.failure = self.failure or exc  # raised again by the calling thread
            else:
                raise
        finally:
            with lock:
                if done is not None:  # interrupted between the send and its record
                    with contextlib.suppress(Exception):
                        self._record([done])
                with contextlib.suppress(Exception):
                    self.check.ahead.end()
            connection.close()

    # ------------------------------------------------------------ folders: a batch at a time

    def _folder_loop(self, folder: Folder) -> None:
        """Stage a claimed batch durably, then in one transaction: ask which copies are
        still wanted, put those in place, record the batch. No unsubscribe can commit
        between the question and the link (module docstring of folders.py)."""
        most = self.batch
        self.batch = next_batch([], most)
        while self._claim():
            pending = list(self.todo)
            self.todo.clear()
            self.batch = next_batch([c for _d, c in pending], most)
            self._renew()
            self._before_hand_over()  # the stamp is committed before the transaction below
            staged = folder.stage([c for _d, c in pending])
            try:
                with transaction(self.conn):
                    wanted = still_wanted(self.conn, [c.key for _d, c in pending], hold=True)
                    results = folder.place(staged, lambda copy, keys=wanted: copy.key in keys)
                    self._record([(d, c, r) for (d, c), r in zip(pending, results, strict=True)])
            finally:
                folder.discard(staged)

    # ------------------------------------------------------------ outcomes

    def _record(
        self, done: Sequence[tuple[Delivery, Copy, Result]], *, retry: bool = False
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
                self.held.discard(delivery.key)
                self.done += 1
            elif result == WITHDRAWN:
                self.held.discard(delivery.key)  # an unsubscribe dropped its row meanwhile
            elif retry and not self._stopping():
                self.todo.appendleft((delivery, copy))
        self.check.record(partial(self.outcomes.write, outcomes))
        if outcomes and self.total > self.batch:
            self.progress(f"delivering: {self.done}/{self.total}")
