"""Where a copy goes: the transports' shared vocabulary, the one registry that picks a
transport for `delivery.method`, and one-off sending.

Two shapes of transport, because their exactly-once rules differ:
- a **relay** (SMTP, sendmail) hands copies over one at a time on each of its connections,
  and only the relay's answer says what happened: the engine records that answer before the
  connection gets its next copy, so a crash resends at most one message per connection;
- a **folder** (Maildir, .eml) writes a whole batch at once and shares the cost of making it
  durable; names are deterministic and `link()` never overwrites, so a batch that died before
  it was recorded is recognised by name, and batching cannot send anything twice.

What a transport takes and returns (`Copy`, `Result`) is in handover.py.

`send_message(config, message, name)` is the one-off form (send-test, resend, confirmation
mail): the same transports, one message, DeliveryError unless it was taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.config import Config, DeliveryConfig
from syndicate.delivery.folders import FolderWriter
from syndicate.delivery.handover import (
    Copy,
    DeliveryError,
    Result,
    Transport,
    always,
)
from syndicate.delivery.sendmail import SendmailPipe
from syndicate.delivery.smtp import SmtpRelay
from syndicate.digest.encoding import dot_stuff
from syndicate.digest.message import MAIL_POLICY

if TYPE_CHECKING:
    from email.message import EmailMessage


# ---------------------------------------------------------------- the registry


def _smtp(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    if settings.smtp_cafile and not settings.smtp_cafile.is_absolute():
        settings = settings.model_copy(update={"smtp_cafile": root / settings.smtp_cafile})
    return SmtpRelay(settings)


def _sendmail(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    return SendmailPipe(settings)


def _maildir(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    return FolderWriter.maildir(outbox)


def _eml(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
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
