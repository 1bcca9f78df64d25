"""Where a message goes: the shared vocabulary of the transports, and one-off sending.

A transport takes a batch of `Copy`s (bytes, envelope, deterministic name) and returns one
`Result` per copy, classed so the engine knows what to record:
- sent: the Maildir/.eml file is durable, the relay answered 250, sendmail exited 0;
- temporary: not taken, try again later (4xx, sendmail's EX_TEMPFAIL, a drop before the end
  of DATA); the engine backs off;
- permanent: refused for good (5xx, an undeliverable address): never retried;
- in_doubt: the relay may have taken it (no reply after the end of DATA, a drop then, a
  sendmail killed by the timeout): recorded and held, or sent again (`delivery.in_doubt`);
- untried: never attempted (the relay could not be reached, the run was asked to stop):
  released as it was, no attempt counted.

Exactly-once rules per transport: Maildir and .eml names are deterministic and `link()` never
overwrites (folders.py); SMTP is recorded sent only after the 250 (smtp.py); a relay that
fails `delivery.relay_failures` times in a row stops the batch (the circuit breaker) so a dead
or silent relay costs a few timeouts, not one per subscriber.

`make_transport(settings, outbox, root)` is the one-off form (send-test, resend, confirmation
messages): a callable `(EmailMessage, name) -> where` that raises DeliveryError unless sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from syndicate.config import DeliveryConfig

if TYPE_CHECKING:
    from email.message import EmailMessage


class DeliveryError(Exception):
    """The message could not be handed over; the message says why."""


Transport = Callable[["EmailMessage", str], str]
"""(message, deterministic name) → a short description of where it went."""

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


class BatchTransport(Protocol):
    dot_stuffed: bool  # wants copies dot-stuffed (SMTP DATA)
    where: str  # for the report: "the Maildir …", "smtp://host:port"

    def send(self, copies: Sequence[Copy], should_stop: Callable[[], bool]) -> list[Result]:
        """One result per copy, in order. Copies after a stop come back `untried`."""
        ...

    @property
    def stopped(self) -> str:
        """Why this transport refuses more work this run (the circuit breaker), or ""."""
        ...

    def close(self) -> None: ...


class CircuitBreaker:
    """Counts relay failures in a row across every connection; `limit` of them trip it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.reason = ""
        self._lock = threading.Lock()

    def record(self, result: Result) -> Result:
        with self._lock:
            if result.relay_failure:
                self.count += 1
                if self.count >= self.limit and not self.reason:
                    self.reason = (
                        f"{self.count} relay failures in a row (last: {result.detail});"
                        " delivery stopped for this run, the rest stays queued"
                    )
            elif result.kind != "untried":
                self.count = 0
        return result


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


def run_parallel(
    copies: Sequence[Copy],
    workers: int,
    send_one: Callable[[int, Copy], Result],
    should_stop: Callable[[], bool],
    breaker: CircuitBreaker,
) -> list[Result]:
    """Send `copies` over `workers` connections (worker i always uses its own connection),
    stopping early when asked or when the breaker trips."""
    results: list[Result | None] = [None] * len(copies)
    lock = threading.Lock()
    position = iter(range(len(copies)))

    def work(worker: int) -> None:
        while True:
            if breaker.reason or should_stop():
                return
            with lock:
                i = next(position, None)
            if i is None:
                return
            results[i] = breaker.record(send_one(worker, copies[i]))

    if workers <= 1 or len(copies) <= 1:
        work(0)
    else:
        threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    why = breaker.reason or "delivery was asked to stop"
    return [r if r is not None else Result("untried", why) for r in results]


def open_transport(settings: DeliveryConfig, outbox: Path, root: Path) -> BatchTransport:
    """The configured transport for a run's batches; `root` resolves a relative smtp_cafile."""
    if settings.method == "smtp":
        from syndicate.delivery.smtp import SmtpRelay

        return SmtpRelay(_resolved(settings, root))
    if settings.method == "sendmail":
        from syndicate.delivery.sendmail import SendmailPipe

        return SendmailPipe(settings)
    from syndicate.delivery.folders import FolderWriter

    if settings.method == "eml":
        return FolderWriter.eml(outbox)
    return FolderWriter.maildir(outbox)


def _resolved(settings: DeliveryConfig, root: Path) -> DeliveryConfig:
    if settings.smtp_cafile and not settings.smtp_cafile.is_absolute():
        return settings.model_copy(update={"smtp_cafile": root / settings.smtp_cafile})
    return settings


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


def one_off(transport: BatchTransport, message: EmailMessage, name: str) -> str:
    """Hand one finished message to a batch transport; where it went, or DeliveryError."""
    from syndicate.delivery.encoding import dot_stuff
    from syndicate.mail import MAIL_POLICY

    sender, recipients = envelope_of(message)
    data = message.as_bytes(policy=MAIL_POLICY)
    if transport.dot_stuffed:
        data = dot_stuff(data)
    try:
        results = transport.send(
            [Copy(("", r), name, sender, r, data) for r in recipients or [""]], lambda: False
        )
    finally:
        transport.close()
    failed = [r for r in results if r.kind != "sent"]
    if failed:
        raise DeliveryError("; ".join(f"{r.kind.replace('_', ' ')}: {r.detail}" for r in failed))
    details = [r.detail for r in results if r.detail]
    return details[0] if details else transport.where


def make_transport(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    """The configured transport for one-off messages: `(message, name) -> where it went`."""

    def deliver(message: EmailMessage, name: str) -> str:
        return one_off(open_transport(settings, outbox, root), message, name)

    return deliver


def maildir_transport(outbox: Path) -> Transport:
    from syndicate.delivery.folders import FolderWriter

    return lambda message, name: one_off(FolderWriter.maildir(outbox), message, name)


def eml_transport(outbox: Path) -> Transport:
    from syndicate.delivery.folders import FolderWriter

    return lambda message, name: one_off(FolderWriter.eml(outbox), message, name)


def smtp_transport(settings: DeliveryConfig) -> Transport:
    from syndicate.delivery.smtp import SmtpRelay

    return lambda message, name: one_off(SmtpRelay(settings), message, name)


def sendmail_transport(settings: DeliveryConfig) -> Transport:
    from syndicate.delivery.sendmail import SendmailPipe

    return lambda message, name: one_off(SendmailPipe(settings), message, name)
