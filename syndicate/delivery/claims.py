"""Who holds a claim, whether it is still alive, and whether a claimed delivery is still
wanted right before its copy goes to a relay: what the engine asks about its claims.

A worker's id names its role, host and process (`run:mail1:4242:9f3a1c`): the next worker on
the same host releases the claims of one whose process is gone at once, instead of waiting
for its lease; a worker on another host cannot tell, and waits for the lease.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from syndicate.delivery.folders import process_alive
from syndicate.store.db import Database, transaction
from syndicate.store.deliveries import DeliveryKey, gave_way, hold_for_outcome, still_wanted

_HOST = os.uname().nodename


def worker_id(role: str = "run") -> str:
    """Who holds a claim: its role, host and process, and a random part (pids repeat)."""
    return f"{role}:{_HOST}:{os.getpid()}:{os.urandom(3).hex()}"


def worker_alive(worker: str) -> bool:
    """False only for a worker of this host whose process is gone."""
    parts = worker.split(":")
    if len(parts) != 4 or parts[1] != _HOST or not parts[2].isdigit():
        return True
    return process_alive(int(parts[2]))


class AudienceGate:
    """Is a claimed delivery still wanted, right before its copy goes to a relay? The engine
    asks inside a transaction that lasts until the copy's first bytes are on their way, so
    no unsubscribe commits between the answer and the send: on SQLite the transaction holds
    the write lock; on PostgreSQL the answer locks the subscriber's row (FOR SHARE), which
    every unsubscribe updates. On SQLite the question costs nothing while nothing changed
    (`PRAGMA data_version` moves only when another connection commits, and only then are our
    claims looked up again); PostgreSQL has no such counter: one locked read per copy (asked
    ahead where it can: AskedAhead). A plain read a moment before the first byte was tried
    and let an unsubscribe through in that moment, one in a few hundred under
    tests/test_delivery_crashes.py's race."""

    def __init__(self, conn: Database) -> None:
        self.conn = conn
        self.sqlite = conn.dialect == "sqlite"
        self.version: int | None = None
        self.withdrawn: set[tuple[str, str]] = set()

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def before_claim(self) -> None:
        """Called right before a claim, which itself reads the subscribers' status: any
        change committed after this point is seen by `wanted`."""
        if self.sqlite:
            self.version = self._data_version()
            self.withdrawn.clear()

    def wanted(self, key: tuple[str, str], unsent: Callable[[], Sequence[tuple[str, str]]]) -> bool:
        """`unsent()`: every key claimed and not handed over yet, `key` included: what a
        change since the last look may have withdrawn."""
        if not self.sqlite:
            return bool(still_wanted(self.conn, [key], hold=True))
        version = self._data_version()
        if version != self.version:
            self.version = version  # read before the lookup: a commit during it is seen next
            keys = list(unsent())
            self.withdrawn.update(set(keys) - still_wanted(self.conn, keys))
        return key not in self.withdrawn


class AskedAhead:
    """PostgreSQL, one relay connection: the last check of the next copy in line, asked while
    the relay works on the current one (after its last byte, before its reply) instead of
    after the reply, where its three round trips (BEGIN, the locked read, COMMIT) held up
    the next envelope. The answer is kept in a transaction left open until that copy's
    envelope is written, holding the subscriber's row as the check at the last moment does,
    so it is as exact. The current copy's outcome is written inside it too, once the next
    envelope is out (so nothing of the state stands between a reply and the next envelope),
    and committed with it, before the next body: a crash still resends at most the one copy
    in flight (the relay never takes a message whose body was not sent).

    It never waits for a lock: the current delivery's row (for its outcome) and the next
    subscriber's are each taken with NOWAIT, and if another transaction holds
    either, it gives way — nothing held, no answer, the usual order for that copy. A
    transaction that unsubscribes several subscribers at once (a batch of bounces, an
    import) takes a subscriber's row, then its deliveries', then the next subscriber's:
    with the outcome written without its row taken first, a batch leaving with the copy in
    flight and the next one was cancelled as a deadlock (tests/test_delivery_ahead.py). An
    unsubscribe of either subscriber waits for the commit: the relay's reply and the next
    envelope. Never across a wait that could hold a subscriber for seconds: not with a
    rate limit (a copy waits for its turn), and ended when the connection must reconnect.

    One connection only: several share the engine's database session, and the others'
    outcomes would be committed late in this transaction. Not on SQLite: there the check
    costs nothing while nothing changed (AudienceGate), and a transaction holds the whole
    database. Measured (`bench/run.py --only workers`: one worker, 2,000 messages to a relay
    taking 10 ms each): 0.90×, 0.94×, 0.93× raw smtplib, 0.89–0.90× before; from the relay's
    reply to the next MAIL, p50 1.0 → 0.25 ms, raw smtplib's own 0.25 ms (README: Performance)."""

    def __init__(self, conn: Database, *, enabled: bool) -> None:
        self.conn, self.enabled = conn, enabled
        self.key: DeliveryKey | None = None  # the copy asked about, while its transaction is open
        self.answer = False
        self._open: ExitStack | None = None
        self._pending: list[Callable[[], None]] = []  # writes for the commit (`later`)

    def ask(self, current: DeliveryKey, following: DeliveryKey, ours: bool) -> None:
        """While the relay works on `current`: lock its row for the outcome, and ask whether
        `following` (`ours`: still claimed by us) is still wanted, holding its subscriber."""
        if not self.enabled or self._open is not None or self.conn.depth:
            return
        stack = ExitStack()
        stack.enter_context(transaction(self.conn))
        try:
            hold_for_outcome(self.conn, current)
            wanted = ours and bool(still_wanted(self.conn, [following], hold=True, nowait=True))
        except Exception as exc:
            stack.__exit__(type(exc), exc, exc.__traceback__)  # rolled back
            if gave_way(exc):
                return
            raise
        self._open, self.key, self.answer = stack, following, wanted

    def take(self, key: DeliveryKey) -> bool | None:
        """The answer asked ahead for `key` (its transaction stays open until `end`); None
        if there is none (and any other one is ended)."""
        if self._open is not None and self.key == key:
            return self.answer
        self.end()
        return None

    def later(self, write: Callable[[], None]) -> bool:
        """Run `write` (the current copy's outcome) inside the open transaction when it
        ends; False if none is open (then the caller writes at once)."""
        if self._open is None:
            return False
        self._pending.append(write)
        return True

    def end(self) -> None:
        """Write what waited for it, then commit: the outcome, and the rows let go."""
        stack, self._open, self.key = self._open, None, None
        pending, self._pending = self._pending, []
        if stack is None:
            return
        try:
            for write in pending:
                write()
        except BaseException as exc:
            stack.__exit__(type(exc), exc, exc.__traceback__)  # rolled back
            raise
        stack.close()


class LastCheck:
    """The last question before a copy goes to a relay, asked at the last moment
    (AudienceGate) or, where `ahead`, while the relay works on the copy before (AskedAhead)."""

    def __init__(self, conn: Database, *, ahead: bool) -> None:
        self.conn = conn
        self.gate = AudienceGate(conn)
        self.ahead = AskedAhead(conn, enabled=ahead)

    def before_claim(self) -> None:
        self.ahead.end()  # no claim inside its transaction
        self.gate.before_claim()

    def record(self, write: Callable[[], None]) -> None:
        """Record an outcome: with a question asked ahead, inside its transaction once the
        next envelope is out (AskedAhead); else at once."""
        if not self.ahead.later(write):
            write()

    @contextmanager
    def handing_over(
        self, key: DeliveryKey, ours: bool, unsent: Callable[[], Sequence[DeliveryKey]]
    ) -> Iterator[bool]:
        """Still `ours` (a lease that ran out before we could renew it is not) and still
        wanted, answered inside a transaction the caller holds until the copy's first bytes
        are written. `unsent`: AudienceGate.wanted's."""
        asked = self.ahead.take(key)
        if asked is not None:
            try:
                yield ours and asked
            finally:
                self.ahead.end()
            return
        with transaction(self.conn):
            yield ours and self.gate.wanted(key, unsent)
