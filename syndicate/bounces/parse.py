"""Classify returned messages: one message's bytes, every message of a Maildir or an mbox.

Decisions and library traps:
- RFC 3464 DSNs and RFC 5965 reports are read with the stdlib `email` package under the
  compat32 policy: it splits message/delivery-status into header blocks and parses
  message/feedback-report as a header block too, and, unlike the default policy, never
  raises on a malformed header when it is read (everything here must survive junk).
- Non-standard bounces (qmail and Yahoo plain text, classic Exim, old Postfix and Exchange
  texts, …) are left to flufl.bounce (Mailman's detectors; maintained): it finds the failed
  recipients, temporary vs permanent. It says nothing of status codes, diagnostics or
  Message-IDs, which is why DSNs are not left to it; we take the status from the text.
  Its "temporary" set comes from delay warnings. It only runs on messages that look like a
  bounce (null or MAILER-DAEMON/postmaster sender, or a bounce subject): on an ordinary
  message its generic patterns could match quoted text.
- Bounces come first, then auto-replies: Exim and Postfix bounces carry
  `Auto-Submitted: auto-replied` too.
"""

from __future__ import annotations

import email
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from syndicate.bounces.marks import TOKEN, VERP_LOCAL
from syndicate.bounces.message import (
    STATUS_CODE,
    address_in,
    after_type,
    body_text,
    header_text,
    original_headers,
    original_message_id,
    status_in,
    verp_token_in,
)
from syndicate.bounces.returned import Failure, Kind, Report

# ---------------------------------------------------------------- the kinds


def _dsn(msg: Message, report: Message) -> Report:
    blocks = report.get_payload()
    blocks = blocks if isinstance(blocks, list) else []
    per_message = blocks[0] if blocks else Message()
    failures = []
    for block in blocks[1:]:
        final = address_in(header_text(block.get("Final-Recipient")))
        original = address_in(header_text(block.get("Original-Recipient")))
        if not final and not original:
            continue
        diagnostic = header_text(block.get("Diagnostic-Code"))
        status = STATUS_CODE.search(header_text(block.get("Status")))
        failures.append(
            Failure(
                recipient=final or original,
                original_recipient=original,
                action=header_text(block.get("Action")).lower(),
                status=status.group(0) if status else status_in(after_type(diagnostic)),
                diagnostic=diagnostic,
                remote_mta=after_type(header_text(block.get("Remote-MTA"))),
            )
        )
    failed = [f for f in failures if f.action == "failed"]
    delayed = [f for f in failures if f.action == "delayed"]
    if failed:
        # A 4.x.x that failed: the relay gave up retrying a temporary problem (a full box).
        hard = any(f.status.startswith("5") or not f.status for f in failed)
        kind, concerned = (Kind.HARD_BOUNCE if hard else Kind.SOFT_BOUNCE), failed
    elif delayed:
        kind, concerned = Kind.DELAYED, delayed
    else:  # delivered, relayed, expanded: a success notice
        kind, concerned = Kind.UNKNOWN, failures
    first = concerned[0] if concerned else None
    return Report(
        kind=kind,
        recipients=tuple(dict.fromkeys(f.original_recipient or f.recipient for f in concerned)),
        status=first.status if first else "",
        diagnostic=first.diagnostic if first else "",
        reporting_mta=after_type(header_text(per_message.get("Reporting-MTA"))),
        failures=tuple(failures),
        detail="RFC 3464 DSN" if kind != Kind.UNKNOWN else "DSN without a failure (success)",
    )


def _arf(msg: Message, part: Message) -> tuple[Report, Message]:
    payload = part.get_payload()
    fields = payload[0] if isinstance(payload, list) and payload else Message()
    recipients = [address_in(header_text(v)) for v in fields.get_all("Original-Rcpt-To", [])]
    original = original_headers(msg)
    if not any("@" in r for r in recipients) and original is not None:
        # Microsoft's JMRP and AOL redact the recipient: then only VERP or the
        # Message-ID tell who complained.
        recipients = [a.lower() for _n, a in getaddresses(original.get_all("To", []))]
    report = Report(
        kind=Kind.COMPLAINT,
        recipients=tuple(dict.fromkeys(r for r in recipients if "@" in r)),
        feedback_type=header_text(fields.get("Feedback-Type")).lower(),
        reporting_mta=after_type(header_text(fields.get("Reporting-MTA"))),
        detail=f"RFC 5965 feedback report ({header_text(fields.get('User-Agent')) or 'no agent'})",
    )
    return report, fields


_UNSUB_SUBJECT = re.compile(rf"^(?:(?:re|fwd?|aw|sv)\s*:\s*)*unsubscribe\b\s*({TOKEN})?", re.I)


def _unsubscribe(msg: Message, subject: str) -> Report | None:
    found = _UNSUB_SUBJECT.match(subject)
    plus = [
        m.group(1)
        for _n, a in getaddresses([str(v) for v in msg.get_all("To", [])])
        if (m := re.fullmatch(rf"unsubscribe\+({TOKEN})@.+", a, re.I))
    ]
    if not found and not plus:
        return None
    token = (found.group(1) if found else None) or (plus[0] if plus else "")
    return Report(
        kind=Kind.UNSUBSCRIBE,
        unsubscribe_token=token or "",
        detail="unsubscribe request" + ("" if token else " without a token (not verifiable)"),
    )


_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|failed|has failed)|returned mail|"
    r"failure notice|mail delivery (failed|system|subsystem)|could not be delivered|"
    r"non-?delivery|delivery problem|rejected:|warning: message .* delayed",
    re.I,
)


def _plain_bounce(msg: Message, subject: str, sender: str, body: str) -> Report | None:
    """A bounce without a DSN part, or None. It must name a failed recipient: a message
    from a null sender (Exchange sends out-of-office replies so) that merely mentions a
    550 is not one, and nobody is ever suppressed on a guess."""
    null_sender = msg.get("Return-Path") is not None and header_text(msg.get("Return-Path")) == "<>"
    if not (null_sender or _BOUNCE_SENDER.match(sender) or _BOUNCE_SUBJECT.search(subject)):
        return None
    from flufl.bounce import all_failures  # only for messages that look like bounces

    # flufl.bounce logs a traceback for a detector that trips on junk, then re-raises: we
    # catch it below and report the message, so its log would only be noise.
    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # its heuristics on junk must not stop a scan
        temporary, permanent = frozenset(), frozenset()

    found = [a.decode("ascii", "replace") for a in (permanent or temporary)]
    failed = [a.lower() for _n, a in getaddresses(msg.get_all("X-Failed-Recipients", []))]
    recipients = sorted({a.strip("<>").lower() for a in found if "@" in a} or set(failed) - {""})
    if not recipients:
        return None
    lines = [line.strip() for line in body.splitlines() if status_in(line.strip())]
    diagnostic = lines[0] if lines else ""
    status = status_in(diagnostic)
    if temporary and not permanent:
        kind = Kind.DELAYED  # flufl's temporary set comes from delay warnings
    else:
        kind = Kind.SOFT_BOUNCE if status.startswith("4") else Kind.HARD_BOUNCE
    mta = re.search(r"(?:qmail-send program|mail system|mailer) at ([\w.-]+\w)", body)
    return Report(
        kind=kind,
        recipients=tuple(recipients),
        status=status,
        diagnostic=diagnostic[:500],
        reporting_mta=mta.group(1) if mta else "",
        detail="non-standard bounce (flufl.bounce)",
    )


_AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|auto:|"
    r"abwesenheit|réponse automatique|respuesta automática|risposta automatica|"
    r"afwezig|on vacation|away from)",
    re.I,
)
_CHALLENGE = re.compile(
    r"(verify|confirm|approve|authori[sz]e).{0,40}(message|e-?mail|sender|identity|address|"
    r"you are human)|challenge|spam ?arrest|boxbe|mailsbestfriend",
    re.I,
)


_CHALLENGE_HEADERS = ("X-Challenge", "X-Boxbe-Pin", "X-Spam-Arrest", "X-TMDA-Confirm")


def _challenge(msg: Message, subject: str, body: str) -> Report | None:
    marked = any(msg.get(h) for h in _CHALLENGE_HEADERS)
    if marked or (_CHALLENGE.search(subject) and re.search(r"https?://", body)):
        return Report(Kind.CHALLENGE, detail="challenge-response: a robot asks to confirm")
    return None


def _auto_reply(msg: Message, subject: str) -> Report | None:
    auto = header_text(msg.get("Auto-Submitted")).lower()
    precedence = header_text(msg.get("Precedence")).lower()
    if auto.startswith("auto-replied") or auto.startswith("auto-generated"):
        why = f"Auto-Submitted: {auto}"
    elif msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress"):
        why = "an auto-reply header"
    elif precedence == "auto_reply" or _AUTO_SUBJECT.match(subject):
        why = f"subject {subject[:60]!r}" if _AUTO_SUBJECT.match(subject) else "Precedence"
    else:
        return None
    return Report(Kind.AUTO_REPLY, detail=f"auto-reply ({why}): not a bounce")


# ---------------------------------------------------------------- the entry points


def parse_message(
    data: bytes, *, domain: str | None = None, verp_local: str = VERP_LOCAL
) -> Report:
    """Classify one returned message (its raw bytes). Never raises: unreadable input gives
    a MALFORMED report. `domain` (the site's) picks our Message-ID among several."""
    try:
        return _classify(email.message_from_bytes(data), domain, verp_local)
    except Exception as exc:  # the email package on hostile bytes; a scan must go on
        return Report(Kind.MALFORMED, detail=f"cannot parse: {type(exc).__name__}: {exc}"[:300])


def _classify(msg: Message, domain: str | None, verp_local: str) -> Report:
    if msg.defects and not msg.keys():
        return Report(Kind.MALFORMED, detail=f"no headers ({msg.defects[0].__class__.__name__})")
    subject = header_text(msg.get("Subject"))
    sender = address_in(header_text(msg.get("From")))
    body = body_text(msg)
    original = original_headers(msg)
    fields = report = None
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            report = _dsn(msg, part)
            break
        if part.get_content_type() == "message/feedback-report":
            report, fields = _arf(msg, part)
            break
    report = (
        report
        or _unsubscribe(msg, subject)
        or _plain_bounce(msg, subject, sender, body)
        or _challenge(msg, subject, body)
        or _auto_reply(msg, subject)
        or Report(Kind.UNKNOWN, detail="not a bounce, complaint or request")
    )
    return replace(
        report,
        message_id=original_message_id(msg, original, body, domain),
        verp_token=verp_token_in(msg, original, fields, verp_local),
        sender=sender,
    )


def read_maildir(path: Path, **options: str) -> Iterator[Report]:
    """Every message in a Maildir (new/ and cur/), classified; `source` is its key.
    Raises FileNotFoundError when `path` is not a Maildir."""
    if not (Path(path) / "cur").is_dir() or not (Path(path) / "new").is_dir():
        raise FileNotFoundError(f"{path} is not a Maildir (no cur/ and new/ inside)")
    yield from _read(mailbox.Maildir(path, factory=None, create=False), **options)


def read_mbox(path: Path, **options: str) -> Iterator[Report]:
    """Every message in an mbox file, classified; `source` is its position (0, 1, …)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} is not an mbox file")
    yield from _read(mailbox.mbox(path, create=False), **options)


def _read(box: mailbox.Mailbox, **options: str) -> Iterator[Report]:
    try:
        for key in box.iterkeys():
            try:
                data = box.get_bytes(key)
            except Exception as exc:  # vanished (a client moved it) or unreadable
                yield Report(Kind.MALFORMED, detail=f"cannot read: {exc}"[:300], source=str(key))
                continue
            yield replace(parse_message(data, **options), source=str(key))
    finally:
        box.close()
