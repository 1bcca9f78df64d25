"""Digest → one email.message per subscriber, and the transports (Maildir, .eml, SMTP).
Issue #6 (headers, DKIM); the Maildir/SMTP delivery contract is the pipeline's."""

from __future__ import annotations

from email.message import EmailMessage

from syndicate.config import Config
from syndicate.digest import RenderedDigest
from syndicate.model import Subscriber


def build_message(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    config: Config,
    *,
    message_id: str,
    unsubscribe_url: str,
    web_url: str,
) -> EmailMessage:
    raise NotImplementedError
