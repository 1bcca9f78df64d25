"""Digest → the bytes of every subscriber's message: built once, personalized per copy.
Issues #6 and #11.

The digest is rendered once (digest.render_digest) and, here, encoded once into a
`MessageTemplate`: the constant headers (From, Subject, Date, List-Id …, validated and
encoded by the `email` package once), the MIME structure and both bodies, with holes for
what differs per subscriber — the To and Message-ID headers, the List-Unsubscribe header and
the unsubscribe URL in the bodies. A copy is the constant chunks joined with the holes filled
(see digest/encoding.py for how holes survive quoted-printable and base64): a small fraction
of the work of a full `EmailMessage` + `as_bytes()` per recipient (bench/run.py, `copy`).
DKIM, when on, signs each copy.

Every header value that can carry outside text goes through `one_line` first: the email
package rejects CR/LF but *raises* on U+2028, and a raise in the middle of a delivery run is
as bad as an injection. `build_message` (one message as an `EmailMessage`: previews, tests)
is the template with one copy, parsed back, so both paths give the same message.
"""

from __future__ import annotations

import email
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import quote

from syndicate.bounces.marks import message_mark
from syndicate.config import Config, ConfigError

# deliverable_address: the one address check (core/addresses.py).
from syndicate.core.addresses import deliverable_address, parse_mailbox
from syndicate.core.model import Subscriber
from syndicate.core.rendering import one_line
from syndicate.digest.encoding import (
    CRLF,
    EncodedBody,
    QuotedPrintableBody,
    canonical_text,
    choose_cte,
    dot_stuff,
    encoded_body,
)
from syndicate.digest.render import RenderedDigest

# CRLF line endings whatever the caller does: msg.as_bytes() and
# msg.as_bytes(policy=policy.SMTP) then give the same bytes, which is what the DKIM
# signature was computed over.
MAIL_POLICY = policy.SMTP

# Signed with h=; the names listed twice are "oversigned" so that nobody can append a second
# From/Subject/List-* header after signing. RFC 8058 requires List-Unsubscribe and
# List-Unsubscribe-Post to be covered; dkimpy's default list omits the latter.
DKIM_HEADERS = (
    "From",
    "From",
    "To",
    "Subject",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Unsubscribe-Post",
)

# Characters allowed to stay as they are in a URL (RFC 3986 reserved + unreserved + "%"):
# anything else (spaces, quotes, <>, non-ASCII, CR/LF) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def header_safe_url(url: str) -> str:
    """An absolute https/http URL made safe for `<…>` in a header and for an HTML attribute."""
    url = quote(url.strip(), safe=_URL_SAFE)
    if not re.match(r"(?i)https?://[^/?#]+", url):
        raise ValueError(f"unsubscribe URL must be absolute http(s), got {url[:80]!r}")
    return url


def _list_id(config: Config) -> str:
    if config.digest.list_id:
        ident = config.digest.list_id
    else:
        slug = re.sub(r"[^a-z0-9]+", "-", one_line(config.site.title).lower()).strip("-")
        ident = f"{slug or 'digest'}.{config.site.domain}"
    name = one_line(config.site.title).replace("\\", "").replace('"', "")
    return f'"{name}" <{ident}>' if name else f"<{ident}>"


def from_address(config: Config) -> str:
    """The bare address of `digest.from`, checked strictly (a ConfigError naming the key)."""
    try:
        return parse_mailbox(config.digest.from_)[1]
    except ValueError as exc:
        raise ConfigError(f"digest.from: {exc}") from None


def message_id_for(digest_id: str, subscriber_email: str, config: Config, secret: bytes) -> str:
    """A deterministic Message-ID on the site's domain for one (digest, subscriber) pair.

    The same pair always gets the same id, so a retried delivery is recognisably the same
    message (receivers deduplicate on it); the address itself is not exposed in it, and
    its mark carries a MAC made with the state's `secret` (bounces.message_mark), so a
    bounce quoting it proves it is about a message we sent.
    """
    key = hashlib.sha256(subscriber_email.strip().lower().encode("utf-8")).hexdigest()[:16]
    local = re.sub(r"[^A-Za-z0-9.-]+", "-", digest_id).strip(".-") or "digest"
    return f"<{local}.{message_mark(local, key, secret)}@{site_domain(config)}>"


def site_domain(config: Config) -> str:
    """The site's domain as it can go in a header: IDNA for an internationalized one."""
    try:
        return _ascii_domain(config.site.domain)
    except ValueError:
        return config.site.domain


# ---------------------------------------------------------------- one recipient


@dataclass(frozen=True)
class Recipient:
    """What differs between two copies of one digest."""

    email: str
    name: str
    message_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str = ""  # "mailto:…" advertised next to the URL; "" = none


@lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a valid domain: {domain[:80]!r}") from None


_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")


def _to_line(name: str, address: str) -> bytes:
    """`To: Name <address>` with the name quoted or RFC 2047-encoded, folded under 78."""
    name = one_line(name)
    if not name:
        return f"To: {address}\r\n".encode("ascii")
    if name.isascii() and len(name) < 60:
        if not _PLAIN_PHRASE.fullmatch(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        display = name
    else:
        display = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    line = f"To: {display} <{address}>\r\n"
    if "\r\n" in display or len(line) > 80:  # 78 characters and the CRLF
        line = f"To: {display}\r\n <{address}>\r\n"
    return line.encode("ascii")


def _list_unsubscribe_line(url: str, mailto: str) -> bytes:
    line = f"List-Unsubscribe: <{url}>"
    if len(line) > 78:  # fold after the colon; a longer URL cannot be folded at all
        line = f"List-Unsubscribe: \r\n <{url}>"  # as the email package writes it
    if mailto:
        line += f",\r\n <{mailto}>"
    return (line + "\r\n").encode("ascii")


# ---------------------------------------------------------------- the template

_TO, _MESSAGE_ID_HOLE, _LIST_UNSUBSCRIBE = "to", "message-id", "list-unsubscribe"


@dataclass(frozen=True)
class _BodyHole:
    body: EncodedBody
    html: bool  # the URL goes in HTML-escaped


Chunk = bytes | str | _BodyHole  # constant bytes, a header hole (its name), a body


@dataclass(frozen=True)
class MessageTemplate:
    """One digest's message with holes; `copy(recipient)` gives one subscriber's bytes."""

    chunks: tuple[Chunk, ...]
    stuffed: tuple[Chunk, ...]  # the same, dot-stuffed for SMTP DATA
    sign: Callable[[bytes], bytes] | None = None  # DKIM: copy → DKIM-Signature header line

    def copy(self, recipient: Recipient, *, smtp: bool = False) -> bytes:
        """The message for one recipient; `smtp`: dot-stuffed for DATA (without the final
        "."). Raises ValueError for an address or URL no message can carry."""
        address = deliverable_address(recipient.email)
        if not _MESSAGE_ID.fullmatch(recipient.message_id):
            raise ValueError(
                f"Message-ID must look like <id@domain>, got {recipient.message_id[:80]!r}"
            )
        url = header_safe_url(recipient.unsubscribe_url)
        mailto = recipient.unsubscribe_mailto
        if mailto and not re.fullmatch(r"mailto:[!-~]+", mailto):
            raise ValueError(f"unsubscribe mailto must be a mailto: URI, got {mailto[:80]!r}")
        try:
            headers = {
                _TO: _to_line(recipient.name, address),
                _MESSAGE_ID_HOLE: f"Message-ID: {recipient.message_id}\r\n".encode("ascii"),
                _LIST_UNSUBSCRIBE: _list_unsubscribe_line(url, mailto),
            }
        except UnicodeEncodeError as exc:
            raise ValueError(f"cannot write this header without SMTPUTF8: {exc}") from None
        in_text, in_html = url.encode("ascii"), html.escape(url, quote=True).encode("ascii")
        chunks = self.stuffed if smtp and self.sign is None else self.chunks
        out = []
        for chunk in chunks:
            if isinstance(chunk, bytes):
                out.append(chunk)
            elif isinstance(chunk, str):
                out.append(headers[chunk])
            else:
                value = in_html if chunk.html else in_text
                out.append(chunk.body.fill([value] * (len(chunk.body.pieces) - 1)))
        data = b"".join(out)
        if self.sign is not None:
            data = self.sign(data) + data
            if smtp:
                data = dot_stuff(data)
        return data


def _dummy(kind: str, seed: str) -> str:
    return f"syndicate-{kind}-{hashlib.sha256((kind + seed).encode()).hexdigest()[:24]}"


def build_template(rendered: RenderedDigest, config: Config) -> MessageTemplate:
    """Encode one rendered digest once: validate and encode the constant headers, encode both
    bodies around the unsubscribe placeholder. ConfigError for an unusable setting."""
    seed = hashlib.sha256(
        (rendered.text + rendered.html + rendered.subject).encode("utf-8", "surrogatepass")
    ).hexdigest()
    dummy_to = _dummy("to", seed) + "@placeholder.invalid"
    dummy_id = f"<{_dummy('id', seed)}@placeholder.invalid>"
    dummy_unsub = _dummy("unsub", seed)
    from_address(config)
    head = EmailMessage(policy=MAIL_POLICY)
    try:
        head["From"] = config.digest.from_
        head["To"] = dummy_to
        head["Subject"] = one_line(rendered.subject)
        head["Date"] = format_datetime(rendered.created or datetime.now(UTC))
        head["Message-ID"] = dummy_id
        if config.digest.reply_to:
            head["Reply-To"] = config.digest.reply_to
        head["List-Id"] = _list_id(config)
        head["List-Unsubscribe"] = dummy_unsub
        head["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        header_bytes = head.as_bytes(policy=MAIL_POLICY).split(b"\r\n\r\n", 1)[0] + CRLF
    except (ValueError, TypeError) as exc:  # e.g. a From the email package cannot write
        raise ConfigError(f"digest.from / digest.reply_to / site.title: {exc}") from None

    chunks: list[Chunk] = []
    rest = header_bytes
    for hole, marker in (
        (_TO, f"To: {dummy_to}\r\n"),
        (_MESSAGE_ID_HOLE, f"Message-ID: {dummy_id}\r\n"),
        (_LIST_UNSUBSCRIBE, f"List-Unsubscribe: {dummy_unsub}\r\n"),
    ):
        before, found, rest = rest.partition(marker.encode("ascii"))
        if not found:  # the email package folded a dummy header: cannot happen
            raise AssertionError(f"{hole} header not found in the template")
        chunks += [before, hole]

    boundary = f"=_syndicate_{seed[:32]}"
    rest += (
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/alternative;\r\n"
        b' boundary="' + boundary.encode("ascii") + b'"\r\n\r\n'
    )
    placeholder = (rendered.unsubscribe_placeholder or dummy_unsub).encode("ascii")
    for subtype, text in (("plain", rendered.text), ("html", rendered.html)):
        raw = canonical_text(text)
        cte = choose_cte(raw)
        rest += (
            b"--" + boundary.encode("ascii") + b"\r\n"
            b"Content-Type: text/" + subtype.encode("ascii") + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: " + cte.encode("ascii") + b"\r\n\r\n"
        )
        chunks.append(rest)
        chunks.append(_BodyHole(encoded_body(raw, placeholder, cte), html=subtype == "html"))
        rest = CRLF
    chunks.append(rest + b"--" + boundary.encode("ascii") + b"--\r\n")
    return MessageTemplate(
        chunks=tuple(c for c in chunks if c != b""),
        stuffed=tuple(_stuffed(c) for c in chunks if c != b""),
        sign=dkim_signer(config),
    )


def _stuffed(chunk: Chunk) -> Chunk:
    if isinstance(chunk, bytes):
        return dot_stuff(chunk)
    if isinstance(chunk, _BodyHole) and isinstance(chunk.body, QuotedPrintableBody):
        body = QuotedPrintableBody(tuple(dot_stuff(p) for p in chunk.body.pieces))
        return _BodyHole(body, chunk.html)
    return chunk  # header holes and base64 never start a line with "."


# ---------------------------------------------------------------- DKIM


def dkim_signer(config: Config) -> Callable[[bytes], bytes] | None:
    """A function that signs one copy (rsa-sha256 or ed25519, relaxed/relaxed) and returns
    its DKIM-Signature header line, when a selector and a key are configured; else None."""
    key = config.digest.dkim_key
    selector = config.digest.dkim_selector
    if not key or not selector:
        return None
    import dkim  # dkimpy; only needed by senders that sign

    domain = config.digest.dkim_domain or from_address(config).rpartition("@")[2]

    def sign(data: bytes) -> bytes:
        head = data.split(b"\r\n\r\n", 1)[0].lower()
        present = {line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] > b" "}
        include = [h.lower().encode() for h in DKIM_HEADERS if h.lower().encode() in present]
        try:
            signature = dkim.sign(
                data,
                selector.encode("ascii"),
                domain.encode("ascii"),
                key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=include,
                linesep=b"\r\n",
            )
        except dkim.DKIMException as exc:
            # A bad key is an operator problem: say which setting, not a dkimpy traceback.
            raise ConfigError(f"SYNDICATE_DKIM_KEY: cannot sign with this key: {exc}") from None
        # First, as a trace header (RFC 6376 §5.6).
        return signature if signature.endswith(CRLF) else signature + CRLF

    sign(b"From: probe@example.org\r\n\r\nprobe\r\n")  # an unusable key fails here, once
    return sign


def dkim_sign(msg: EmailMessage, config: Config) -> EmailMessage:
    """`msg` with a DKIM-Signature first (as a trace header, RFC 6376 §5.6) when a selector
    and a key are configured; otherwise `msg` unchanged. For messages built one at a time
    with the email package (confirmations); digest copies are signed by their template."""
    sign = dkim_signer(config)
    if sign is None:
        return msg
    data = msg.as_bytes(policy=MAIL_POLICY)
    return email.message_from_bytes(sign(data) + data, _class=EmailMessage, policy=MAIL_POLICY)


# ---------------------------------------------------------------- one message


def build_message(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    config: Config,
    *,
    message_id: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str = "",
) -> EmailMessage:
    """One multipart/alternative message (text + HTML) to one subscriber, with List-*
    headers, as an `EmailMessage` (a template with a single copy, parsed back)."""
    data = build_template(rendered, config).copy(
        Recipient(subscriber.email, subscriber.name, message_id.strip(), unsubscribe_url,
                  unsubscribe_mailto)
    )  # fmt: skip
    return email.message_from_bytes(data, _class=EmailMessage, policy=MAIL_POLICY)
