"""Where a copy goes: the transports' shared vocabulary, the one registry that picks a
transport for `delivery.method`, and one-off sending.

Two shapes of transport, because their exactly-once rules differ:
- a **relay** (SMTP, sendmail) hands copies over one at a time on each of its connections,
  and only the relay's answer says what happened: the engine records that answer before the
  connection gets its next copy, so a crash resends at most one message per connection;
- a **folder** (Maildir, .eml) writes a whole batch at once and shares the cost of making it
  durable; names are deterministic and `link()` never overwrites, so a batch that died before
  it was recorded is recognised by name, and batching cannot send anything twice.

Every attempt ends in a `Result`, classed so the engine knows what to record:
- sent: the file is durable under its name, the relay answered 250, sendmail exited 0;
- temporary: not taken, try again later (4xx, sendmail's EX_TEMPFAIL); the engine backs off;
- permanent: refused for good (5xx, an undeliverable address): never retried;
- in_doubt: the relay may have taken it (no reply after the end of DATA, a drop then, a
  sendmail killed by the timeout): held, or sent again (`delivery.in_doubt`);
- untried: never attempted (the relay could not be reached, the run was asked to stop, the
  delivery was withdrawn): released as it was, no attempt counted.
A result with `relay_failure` counts towards the circuit breaker.

`send_message(config, message, name)` is the one-off form (send-test, resend, confirmation
mail): the same transports, one message, DeliveryError unless it was taken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from syndicate.config import Config, DeliveryConfig

if TYPE_CHECKING:
    from email.message import EmailMessage


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


def always() -> AbstractContextManager[bool]:
    """The hand-over of a one-off message: nothing can withdraw it."""
    return nullcontext(True)


WITHDRAWN = Result("untried", "withdrawn right before it was handed over")


class Connection(Protocol):
    """One connection of a relay: hands over one copy at a time."""

    def send(self, copy: Copy, hand_over: HandOver) -> Result: ...

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


class CircuitBreaker:
    """Counts relay failures in a row across every connection; `limit` of them trip it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.reason = ""

    def record(self, result: Result) -> None:
        if result.relay_failure:
            self.count += 1
            if self.count >= self.limit and not self.reason:
                self.reason = (
                    f"{self.count} relay failures in a row (last: {result.detail});"
                    " delivery stopped for this run, the rest stays queued"
                )
        elif result.kind != "untried":
            self.count = 0


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


# ---------------------------------------------------------------- the registry


def _smtp(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    from syndicate.delivery.smtp import SmtpRelay

    if settings.smtp_cafile and not settings.smtp_cafile.is_absolute():
        settings = settings.model_copy(update={"smtp_cafile": root / settings.smtp_cafile})
    return SmtpRelay(settings)


def _sendmail(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    from syndicate.delivery.sendmail import SendmailPipe

    return SendmailPipe(settings)


def _maildir(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    from syndicate.delivery.folders import FolderWriter

    return FolderWriter.maildir(outbox)


def _eml(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    from syndicate.delivery.folders import FolderWriter

    return FolderWriter.eml(outbox)


# delivery.method → how to open it (the config's own check lists the same names).
TRANSPORTS: dict[str, Callable[[DeliveryConfig, Path, Path], Transport]] = {
    "maildir": _maildir,
    "eml": _eml,
    "smtp": _smtp,
    "sendmail": _sendmail,
}

# Relays may have the relay take a message that it then loses track of: only their
# outcomes can be in doubt, and only their queue needs holding after a restore.
RELAY_METHODS = ("smtp", "sendmail")


def open_transport(config: Config, settings: DeliveryConfig | None = None) -> Transport:
    """The configured transport; `settings` overrides `config.delivery` (tests, one-offs)."""
    settings = settings or config.delivery
    return TRANSPORTS[settings.method](settings, config.path("outbox"), config.root)


def is_relay(transport: Transport) -> bool:
    return hasattr(transport, "connect")


# ---------------------------------------------------------------- one-off messages


def envelope_of(message: EmailMessage) -> tuple[str, list[str]]:
    """(sender, recipients) of a finished message: From, and To/Cc/Bcc."""
    from email.utils import getaddresses, parseaddr

    sender = parseaddr(str(message.get("From", "")))[1]
    recipients = [
        a
        for _n, a in getaddresses(
            [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
        )
        if a
    ]
    return sender, recipients


def send_copies(transport: Transport, copies: Sequence[Copy]) -> list[Result]:
    """Hand a few copies over outside the queue, on one connection."""
    if not is_relay(transport):
        return transport.write(copies, lambda _copy: True)  # type: ignore[union-attr]
    connection = transport.connect()  # type: ignore[union-attr]
    try:
        return [connection.send(copy, always) for copy in copies]
    finally:
        connection.close()


def send_message(
    config: Config, message: EmailMessage, name: str, settings: DeliveryConfig | None = None
) -> str:
    """Hand one finished message to the configured transport; where it went, or
    DeliveryError. `name` names its file in a Maildir or .eml folder."""
    from syndicate.digest.encoding import dot_stuff
    from syndicate.digest.message import MAIL_POLICY

    transport = open_transport(config, settings)
    sender, recipients = envelope_of(message)
    data = message.as_bytes(policy=MAIL_POLICY)
    if transport.dot_stuffed:
        data = dot_stuff(data)
    copies = [Copy(("", r), name, sender, r, data) for r in recipients or [""]]
    results = send_copies(transport, copies)
    failed = [r for r in results if r.kind != "sent"]
    if failed:
        raise DeliveryError("; ".join(f"{r.kind.replace('_', ' ')}: {r.detail}" for r in failed))
    details = [r.detail for r in results if r.detail]
    return details[0] if details else transport.where
