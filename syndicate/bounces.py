"""What came back: classify one returned message as a bounce, a complaint, an unsubscribe
request or something else, and extract what matches it to a delivery. Pure: no store access.

Kinds: a hard bounce (status 5.x.x), a soft bounce (4.x.x: the relay gave up on a temporary
failure), a delay warning (still being retried: not a failure), a complaint (RFC 5965 ARF),
an unsubscribe request sent to the `mailto:` of List-Unsubscribe, an auto-reply (out of
office: never a bounce), a challenge-response ("confirm you are human": never a bounce),
unknown, and malformed (unreadable; counted, never raised).

What matches a report to a delivery, strongest first: the VERP token in the address the
bounce was sent to (`bounces+<digest>.<subscriber-key>.<mac>@domain`, see `verp_address`;
verified with the site's secret by the caller, since anyone can mail that address), the
original Message-ID (from the attached message/rfc822 or text/rfc822-headers part, a
"Message-ID:" line in a plain-text bounce's quoted copy, or In-Reply-To/References), then
the recipient address.

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
import hashlib
import hmac
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote


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


# ---------------------------------------------------------------- address forms

VERP_LOCAL = "bounces"
_TOKEN = r"[A-Za-z0-9_-]{16,}"  # secrets.token_urlsafe, the store's unsubscribe tokens


def _mac(secret: bytes, digest_id: str, subscriber_key: str) -> str:
    mac = hmac.new(secret, f"verp:{digest_id}.{subscriber_key}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def verp_address(
    digest_id: str, subscriber_key: str, secret: bytes, domain: str, local: str = VERP_LOCAL
) -> str:
    """The envelope sender (Return-Path) of one delivery: bounces come back to it.

    Lower-case hex and digits only, since some relays change the case of local parts; the
    MAC stops a forged bounce from suppressing someone else (subscriber keys are only a hash
    of the address, which anyone can compute).
    """
    if not re.fullmatch(r"[a-z0-9-]+", digest_id) or not re.fullmatch(r"[0-9a-f]+", subscriber_key):
        raise ValueError(f"cannot carry {digest_id!r}/{subscriber_key!r} in a VERP address")
    mac = _mac(secret, digest_id, subscriber_key)
    return f"{local}+{digest_id}.{subscriber_key}.{mac}@{domain}"


def verify_verp(token: str, secret: bytes) -> tuple[str, str] | None:
    """(digest id, subscriber key) when the token's MAC is right, else None."""
    parts = token.lower().split(".")
    if len(parts) != 3:
        return None
    digest_id, subscriber_key, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, digest_id, subscriber_key)):
        return None
    return digest_id, subscriber_key


def unsubscribe_mailto(address: str, token: str) -> str:
    """The List-Unsubscribe `mailto:` carrying the subscriber's own unsubscribe secret (the
    one in the HTTPS link), so a request without it, or with someone else's, does nothing."""
    if not re.fullmatch(_TOKEN, token):
        raise ValueError("unsubscribe token must be URL-safe base64")
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


# ---------------------------------------------------------------- small readers


def _text(value: object) -> str:
    """A header value as one line of text, encoded words decoded, never raising."""
    if value is None:
        return ""
    try:
        value = str(make_header(decode_header(str(value))))
    except Exception:
        value = str(value)
    return " ".join(value.split())


def _addr(value: str) -> str:
    """The address of an "rfc822; user@host" field or a mailbox header, lower-cased."""
    value = value.split(";", 1)[1] if ";" in value and "@" not in value.split(";", 1)[0] else value
    return parseaddr(value.strip())[1].strip("<>").lower()


def _after_type(value: str) -> str:
    """ "dns; mx.example.org" → "mx.example.org"."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"(?<![\d.])([45])\d\d(?=[ :-])")
_MSGID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")


def _status_in(text: str) -> str:
    """The enhanced status code in a line of text, else one derived from an SMTP reply."""
    if found := _STATUS.search(text):
        return found.group(0)
    return f"{reply.group(1)}.0.0" if (reply := _REPLY.search(text)) else ""


def _header_part(part: Message) -> Message | None:
    """The original message's headers from a message/rfc822 or text/rfc822-headers part."""
    if part.get_content_type() in ("message/rfc822", "message/rfc822-headers"):
        payload = part.get_payload()
        return payload[0] if isinstance(payload, list) and payload else None
    if part.get_content_type() == "text/rfc822-headers":
        raw = part.get_payload(decode=True) or b""
        return HeaderParser().parsestr(raw.decode("utf-8", "replace"))
    return None


def _original(msg: Message) -> Message | None:
    return next((h for part in msg.walk() if (h := _header_part(part)) is not None), None)


def _pick_id(candidates: list[str], domain: str | None) -> str:
    if domain:
        ours = [c for c in candidates if c.lower().endswith(f"@{domain.lower()}>")]
        if ours:
            return ours[0]
    return candidates[0] if candidates else ""


def _message_id(msg: Message, original: Message | None, body: str, domain: str | None) -> str:
    if original is not None and (found := _MSGID.search(_text(original.get("Message-ID")))):
        return found.group(0)
    quoted = re.findall(r"(?im)^\s*Message-ID:\s*(<[^<>\s@]+@[^<>\s]+>)", body)
    if quoted:
        return _pick_id(quoted, domain)
    refs = _MSGID.findall(_text(msg.get("In-Reply-To")) + " " + _text(msg.get("References")))
    return _pick_id(refs, domain)


def _verp(msg: Message, original: Message | None, fields: Message | None, local: str) -> str:
    """The VERP token from wherever the envelope recipient of the bounce was recorded."""
    values = []
    if fields is not None:
        values.append(fields.get("Original-Mail-From", ""))
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        values += msg.get_all(name, [])
    if original is not None:
        values += original.get_all("Return-Path", []) + original.get_all("Sender", [])
    for _name, address in getaddresses([str(v) for v in values]):
        found = re.fullmatch(rf"{re.escape(local)}\+([^@]+)@.+", address, re.IGNORECASE)
        if found:
            return found.group(1).lower()
    return ""


def _own_parts(msg: Message) -> Iterator[Message]:
    """The message's parts, not descending into attached messages (the returned original
    is our own digest: its text must not pass for the bounce's)."""
    yield msg
    if msg.is_multipart():
        for part in msg.get_payload():
            if part.get_content_maintype() != "message":
                yield from _own_parts(part)


def _body_text(msg: Message, limit: int = 200_000) -> str:
    """The text/plain and text/html parts of the message itself, decoded, up to `limit`."""
    chunks = []
    for part in _own_parts(msg):
        if part.get_content_type() in ("text/plain", "text/html") and not part.is_multipart():
            raw = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                chunks.append(raw.decode(charset, "replace"))
            except LookupError:
                chunks.append(raw.decode("utf-8", "replace"))
    return "\n".join(chunks)[:limit]


# ---------------------------------------------------------------- the kinds


def _dsn(msg: Message, report: Message) -> Report:
    blocks = report.get_payload()
    blocks = blocks if isinstance(blocks, list) else []
    per_message = blocks[0] if blocks else Message()
    failures = []
    for block in blocks[1:]:
        final = _addr(_text(block.get("Final-Recipient")))
        original = _addr(_text(block.get("Original-Recipient")))
        if not final and not original:
            continue
        diagnostic = _text(block.get("Diagnostic-Code"))
        status = _STATUS.search(_text(block.get("Status")))
        failures.append(
            Failure(
                recipient=final or original,
                original_recipient=original,
                action=_text(block.get("Action")).lower(),
                status=status.group(0) if status else _status_in(_after_type(diagnostic)),
                diagnostic=diagnostic,
                remote_mta=_after_type(_text(block.get("Remote-MTA"))),
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
        reporting_mta=_after_type(_text(per_message.get("Reporting-MTA"))),
        failures=tuple(failures),
        detail="RFC 3464 DSN" if kind != Kind.UNKNOWN else "DSN without a failure (success)",
    )


def _arf(msg: Message, part: Message) -> tuple[Report, Message]:
    payload = part.get_payload()
    fields = payload[0] if isinstance(payload, list) and payload else Message()
    recipients = [_addr(_text(v)) for v in fields.get_all("Original-Rcpt-To", [])]
    original = _original(msg)
    if not any("@" in r for r in recipients) and original is not None:
        # Microsoft's JMRP and AOL redact the recipient: then only VERP or the
        # Message-ID tell who complained.
        recipients = [a.lower() for _n, a in getaddresses(original.get_all("To", []))]
    report = Report(
        kind=Kind.COMPLAINT,
        recipients=tuple(dict.fromkeys(r for r in recipients if "@" in r)),
        feedback_type=_text(fields.get("Feedback-Type")).lower(),
        reporting_mta=_after_type(_text(fields.get("Reporting-MTA"))),
        detail=f"RFC 5965 feedback report ({_text(fields.get('User-Agent')) or 'no agent'})",
    )
    return report, fields


_UNSUB_SUBJECT = re.compile(rf"^(?:(?:re|fwd?|aw|sv)\s*:\s*)*unsubscribe\b\s*({_TOKEN})?", re.I)


def _unsubscribe(msg: Message, subject: str) -> Report | None:
    found = _UNSUB_SUBJECT.match(subject)
    plus = [
        m.group(1)
        for _n, a in getaddresses([str(v) for v in msg.get_all("To", [])])
        if (m := re.fullmatch(rf"unsubscribe\+({_TOKEN})@.+", a, re.I))
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
    null_sender = msg.get("Return-Path") is not None and _text(msg.get("Return-Path")) == "<>"
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
    lines = [line.strip() for line in body.splitlines() if _status_in(line.strip())]
    diagnostic = lines[0] if lines else ""
    status = _status_in(diagnostic)
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
    auto = _text(msg.get("Auto-Submitted")).lower()
    precedence = _text(msg.get("Precedence")).lower()
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
    subject = _text(msg.get("Subject"))
    sender = _addr(_text(msg.get("From")))
    body = _body_text(msg)
    original = _original(msg)
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
        message_id=_message_id(msg, original, body, domain),
        verp_token=_verp(msg, original, fields, verp_local),
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
