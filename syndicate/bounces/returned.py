"""What a returned message is: its `Kind`, and the `Report` that carries what matches it to a
delivery.

Kinds: a hard bounce (status 5.x.x), a soft bounce (4.x.x: the relay gave up on a temporary
failure), a delay warning (still being retried: not a failure), a complaint (RFC 5965 ARF),
an unsubscribe request sent to the `mailto:` of List-Unsubscribe, an auto-reply (out of
office: never a bounce), a challenge-response ("confirm you are human": never a bounce),
unknown, and malformed (unreadable; counted, never raised).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    DELAYED = "delayed"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    AUTO_REPLY = "auto_reply"
    CHALLENGE = "challenge"
    UNKNOWN = "unknown"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Failure:
    """One recipient's block of a DSN."""

    recipient: str  # Final-Recipient, lower-cased
    original_recipient: str  # Original-Recipient (what we sent to) if the MTA gave it
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1"
    diagnostic: str  # "smtp; 550 5.1.1 user unknown"
    remote_mta: str


@dataclass(frozen=True)
class Report:
    kind: Kind
    recipients: tuple[str, ...] = ()  # the subscriber addresses it is about, lower-cased
    status: str = ""  # the first failed (else first) recipient's status
    diagnostic: str = ""
    reporting_mta: str = ""
    message_id: str = ""  # the original message's Message-ID, "<…>"
    verp_token: str = ""  # unverified: check it with verify_verp
    unsubscribe_token: str = ""  # the subscriber's unsubscribe secret, from the request
    feedback_type: str = ""  # ARF Feedback-Type (abuse, fraud, …)
    sender: str = ""  # From address of the returned message
    failures: tuple[Failure, ...] = ()
    detail: str = ""  # how it was recognised, or why not
    source: str = ""  # where a reader found it (Maildir key, mbox index)
