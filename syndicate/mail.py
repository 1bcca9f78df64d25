"""Digest → one email.message per subscriber, headers and DKIM signing.
Issue #6."""

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
) -> EmailMessage:
    """One multipart/alternative message (text + HTML) to one subscriber, with List-* headers.
    Transports live in delivery.py."""
    raise NotImplementedError
