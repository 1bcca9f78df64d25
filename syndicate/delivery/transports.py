"""Transports: put one finished message where the subscriber's mail system will pick it up.

Each transport is idempotent for a given `name` (one per digest and subscriber), so a run that
crashed after handing a message over but before recording it cannot send it twice:
- Maildir: tmp/ → fsync → link() into new/ under the deterministic name; link() refuses to
  overwrite, and a name already in new/ or cur/ means "already delivered".
- .eml folder: the same, one `<name>.eml` file per message.
- SMTP: success only on a 250 for every recipient; smtplib reports refused recipients in
  a return value instead of raising, so we check it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from syndicate.config import DeliveryConfig
from syndicate.files import link_durably
from syndicate.mail import MAIL_POLICY


class DeliveryError(Exception):
    """The message could not be handed over; it stays queued and is retried next run."""


Transport = Callable[[EmailMessage, str], str]
"""(message, deterministic name) → a short description of where it went."""


def maildir_transport(outbox: Path) -> Transport:
    for sub in ("tmp", "new", "cur"):
        (outbox / sub).mkdir(parents=True, exist_ok=True)

    def deliver(message: EmailMessage, name: str) -> str:
        target = outbox / "new" / name
        if target.exists() or any((outbox / "cur").glob(f"{name}:2,*")):
            return f"{target} (already there)"
        link_durably(message.as_bytes(policy=MAIL_POLICY), outbox / "tmp", target)
        return str(target)

    return deliver


def eml_transport(outbox: Path) -> Transport:
    outbox.mkdir(parents=True, exist_ok=True)

    def deliver(message: EmailMessage, name: str) -> str:
        target = outbox / f"{name}.eml"
        if target.exists():
            return f"{target} (already there)"
        link_durably(message.as_bytes(policy=MAIL_POLICY), outbox, target, mode=0o644)
        return str(target)

    return deliver


def smtp_transport(settings: DeliveryConfig) -> Transport:
    def deliver(message: EmailMessage, name: str) -> str:
        try:
            context = ssl.create_default_context(
                cafile=str(settings.smtp_cafile) if settings.smtp_cafile else None
            )
            if settings.smtp_security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=settings.smtp_timeout,
                    context=context,
                )
            else:
                client = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
                )
            with client:
                if settings.smtp_security == "starttls":
                    client.starttls(context=context)
                if settings.smtp_username:
                    client.login(settings.smtp_username, settings.smtp_password)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}; will retry next run"
            ) from None
        if refused:
            detail = "; ".join(
                f"{rcpt}: {code} {msg.decode('utf-8', 'replace')}"
                for rcpt, (code, msg) in refused.items()
            )
            raise DeliveryError(f"SMTP refused {detail}")
        return f"smtp://{settings.smtp_host}:{settings.smtp_port}"

    return deliver


def make_transport(settings: DeliveryConfig, outbox: Path, root: Path) -> Transport:
    """The configured transport; `root` is the config file's folder (relative smtp_cafile)."""
    if settings.method == "smtp":
        if settings.smtp_cafile and not settings.smtp_cafile.is_absolute():
            settings = settings.model_copy(update={"smtp_cafile": root / settings.smtp_cafile})
        return smtp_transport(settings)
    if settings.method == "eml":
        return eml_transport(outbox)
    return maildir_transport(outbox)
