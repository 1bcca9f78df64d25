"""Reading one returned message without raising: header values as text, addresses, status
codes, its own text parts (not those of the message it returns), and what matches it to a
delivery: the original Message-ID and the VERP token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr


def header_text(value: object) -> str:
    """A header value as one line of text, encoded words decoded, never raising."""
    if value is None:
        return ""
    try:
        value = str(make_header(decode_header(str(value))))
    except Exception:
        value = str(value)
    return " ".join(value.split())


def address_in(value: str) -> str:
    """The address of an "rfc822; user@host" field or a mailbox header, lower-cased."""
    value = value.split(";", 1)[1] if ";" in value and "@" not in value.split(";", 1)[0] else value
    return parseaddr(value.strip())[1].strip("<>").lower()


def after_type(value: str) -> str:
    """ "dns; mx.example.org" → "mx.example.org"."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"(?<![\d.])([45])\d\d(?=[ :-])")
_MSGID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")


def status_in(text: str) -> str:
    """The enhanced status code in a line of text, else one derived from an SMTP reply."""
    if found := STATUS_CODE.search(text):
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


def original_headers(msg: Message) -> Message | None:
    """The headers of the message that bounced, from the first part that carries them."""
    return next((h for part in msg.walk() if (h := _header_part(part)) is not None), None)


def _pick_id(candidates: list[str], domain: str | None) -> str:
    if domain:
        ours = [c for c in candidates if c.lower().endswith(f"@{domain.lower()}>")]
        if ours:
            return ours[0]
    return candidates[0] if candidates else ""


def original_message_id(
    msg: Message, original: Message | None, body: str, domain: str | None
) -> str:
    """The Message-ID of the message that bounced, "<…>", or "": from its attached headers,
    a quoted "Message-ID:" line, else In-Reply-To/References (ours first: `domain`)."""
    if original is not None and (found := _MSGID.search(header_text(original.get("Message-ID")))):
        return found.group(0)
    quoted = re.findall(r"(?im)^\s*Message-ID:\s*(<[^<>\s@]+@[^<>\s]+>)", body)
    if quoted:
        return _pick_id(quoted, domain)
    refs = _MSGID.findall(
        header_text(msg.get("In-Reply-To")) + " " + header_text(msg.get("References"))
    )
    return _pick_id(refs, domain)


def verp_token_in(
    msg: Message, original: Message | None, fields: Message | None, local: str
) -> str:
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


def body_text(msg: Message, limit: int = 200_000) -> str:
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
