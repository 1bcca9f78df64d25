"""What a transport takes and gives back: one subscriber's `Copy` (bytes, envelope,
deterministic name), the `Result` of one attempt, and the two shapes of transport the
engine drives (transports.py says why there are two).

Every attempt ends in a `Result`, classed so the engine knows what to record:
- sent: the file is durable under its name, the relay answered 250, sendmail exited 0;
- temporary: not taken, try again later (4xx, sendmail's EX_TEMPFAIL); the engine backs off;
- permanent: refused for good (5xx, an undeliverable address): never retried;
- in_doubt: the relay may have taken it (no reply after the end of DATA, a drop then, a
  sendmail killed by the timeout): held, or sent again (`delivery.in_doubt`);
- untried: never attempted (the relay could not be reached, the run was asked to stop, the
  delivery was withdrawn): released as it was, no attempt counted.
A result with `relay_failure` counts towards the engine's circuit breaker (outcomes.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class DeliveryError(Exception):
    """The message could not be handed over; the message says why."""


Kind = Literal["sent", "temporary", "permanent", "in_doubt", "untried"]


@dataclass(frozen=True)
class Copy:
    """One subscriber's message, ready to hand over."""

    key: tuple[str, str]  # (digest id, subscriber email): what to record the result under
    name: str  # deterministic file name (Maildir, .eml)
    sender: str  # envelope sender (VERP address, or the From address)
    recipient: str  # envelope recipient
    data: bytes  # CRLF lines; dot-stuffed when the transport says `dot_stuffed`


@dataclass(frozen=True)
class Result:
    kind: Kind
    detail: str = ""
    relay_failure: bool = False  # counts towards the circuit breaker


SENT = Result("sent")


HandOver = Callable[[], AbstractContextManager[bool]]
"""Entered right before a copy's first byte goes out (after any connect or wait): True if
it is still wanted. Whoever sends holds it until those first bytes are on their way, so
nothing can withdraw the copy between the answer and the send (engine.py)."""


Meanwhile = Callable[[], None]
"""Called once a copy's bytes are all written and the relay is working on them, before its
reply is read: the engine uses the wait to check the next copy in line (claims.AskedAhead)."""


def nothing() -> None:
    """No use for the relay's working time."""


def always() -> AbstractContextManager[bool]:
    """The hand-over of a one-off message: nothing can withdraw it."""
    return nullcontext(True)


WITHDRAWN = Result("untried", "withdrawn right before it was handed over")


class Connection(Protocol):
    """One connection of a relay: hands over one copy at a time."""

    def send(self, copy: Copy, hand_over: HandOver, meanwhile: Meanwhile = nothing) -> Result: ...

    @property
    def is_open(self) -> bool:
        """Connected, so the next copy goes out without a connect first."""
        ...

    def close(self) -> None: ...


class Relay(Protocol):
    """SMTP or sendmail: `connections` connections, each used for copy after copy."""

    dot_stuffed: bool  # wants copies dot-stuffed (SMTP DATA)
    where: str  # for the report: "smtp://host:port", "sendmail (/usr/sbin/sendmail)"
    connections: int
    rate: RateLimit

    def connect(self) -> Connection: ...


class Folder(Protocol):
    """Maildir or .eml (folders.FolderWriter): stages a batch durably, then puts in place
    the copies still wanted."""

    dot_stuffed: bool
    where: str

    def stage(self, copies: Sequence[Copy]) -> Any: ...

    def place(self, staged: Any, wanted: Callable[[Copy], bool]) -> list[Result]:
        """One result per copy, in order; `wanted(copy)` is asked right before a copy is
        put in place (False: it comes back untried, nothing of it is left behind)."""
        ...

    def discard(self, staged: Any) -> None: ...

    def write(self, copies: Sequence[Copy], wanted: Callable[[Copy], bool]) -> list[Result]:
        """`stage` and `place` in one go."""
        ...


Transport = Relay | Folder


class RateLimit:
    """At most `per_second` messages a second across every connection (0 = no limit)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1 / per_second if per_second > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)
