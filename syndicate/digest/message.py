"""Digest → the bytes of every subscriber's message: built once, personalized per copy.
Issues #6 and #11.

The digest is rendered once (digest.render_digest) and, here, encoded once into a
`MessageTemplate`: the constant headers (From, Subject, Date, List-Id …, validated and
encoded by the `email` package once), the MIME structure and both bodies, with holes for
what differs per subscriber — the To and Message-ID headers, the List-Unsubscribe header and
the unsubscribe and preference page URLs in the bodies. A copy is the constant chunks joined
with the holes filled (see digest/encoding.py for how holes survive quoted-printable and
base64): a small fraction of the work of a full `EmailMessage` + `as_bytes()` per recipient
(bench/run.py, `copy`). DKIM, when on, signs each copy.

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
from email.message import EmailMessage
from email.utils import format_datetime

from syndicate.config import Config, ConfigError

# deliverable_address: the one address check (core/addresses.py).
from syndicate.core.addresses import deliverable_address
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
from syndicate.digest.headers import (
    MESSAGE_ID,
    from_address,
    header_safe_url,
    list_id,
    list_unsubscribe_line,
    to_line,
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

# ---------------------------------------------------------------- one recipient


@dataclass(frozen=True)
class Recipient:
    """What differs between two copies of one digest."""

    email: str
    name: str
    message_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str = ""  # "mailto:…" advertised next to the URL; "" = none
    preferences_url: str = ""  # the preference page; "" = the unsubscribe URL stands in


# ---------------------------------------------------------------- the template

_TO, _MESSAGE_ID_HOLE, _LIST_UNSUBSCRIBE = "to", "message-id", "list-unsubscribe"


@dataclass(frozen=True)
class _BodyHole:
    body: EncodedBody
    html: bool  # the URLs go in HTML-escaped
    kinds: tuple[str, ...]  # which URL each hole takes, in order: "unsubscribe", "preferences"


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
        if not MESSAGE_ID.fullmatch(recipient.message_id):
            raise ValueError(
                f"Message-ID must look like <id@domain>, got {recipient.message_id[:80]!r}"
            )
        url = header_safe_url(recipient.unsubscribe_url)
        urls = {
            "unsubscribe": url,
            "preferences": header_safe_url(recipient.preferences_url or url),
        }
        mailto = recipient.unsubscribe_mailto
        if mailto and not re.fullmatch(r"mailto:[!-~]+", mailto):
            raise ValueError(f"unsubscribe mailto must be a mailto: URI, got {mailto[:80]!r}")
        try:
            headers = {
                _TO: to_line(recipient.name, address),
                _MESSAGE_ID_HOLE: f"Message-ID: {recipient.message_id}\r\n".encode("ascii"),
                _LIST_UNSUBSCRIBE: list_unsubscribe_line(url, mailto),
            }
        except UnicodeEncodeError as exc:
            raise ValueError(f"cannot write this header without SMTPUTF8: {exc}") from None
        in_text = {k: u.encode("ascii") for k, u in urls.items()}
        in_html = {k: html.escape(u, quote=True).encode("ascii") for k, u in urls.items()}
        chunks = self.stuffed if smtp and self.sign is None else self.chunks
        out = []
        for chunk in chunks:
            if isinstance(chunk, bytes):
                out.append(chunk)
            elif isinstance(chunk, str):
                out.append(headers[chunk])
            else:
                values = in_html if chunk.html else in_text
                out.append(chunk.body.fill([values[kind] for kind in chunk.kinds]))
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
        head["List-Id"] = list_id(config)
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
    placeholders = {
        (rendered.unsubscribe_placeholder or dummy_unsub).encode("ascii"): "unsubscribe",
        **(
            {rendered.preferences_placeholder.encode("ascii"): "preferences"}
            if rendered.preferences_placeholder
            else {}
        ),
    }
    holes = re.compile(b"|".join(re.escape(p) for p in placeholders))
    for subtype, text in (("plain", rendered.text), ("html", rendered.html)):
        raw = canonical_text(text)
        cte = choose_cte(raw)
        rest += (
            b"--" + boundary.encode("ascii") + b"\r\n"
            b"Content-Type: text/" + subtype.encode("ascii") + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: " + cte.encode("ascii") + b"\r\n\r\n"
        )
        chunks.append(rest)
        kinds = tuple(placeholders[m.group()] for m in holes.finditer(raw))
        body = encoded_body(raw, holes, cte)
        chunks.append(_BodyHole(body, html=subtype == "html", kinds=kinds))
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
        return _BodyHole(body, chunk.html, chunk.kinds)
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
    preferences_url: str = "",
) -> EmailMessage:
    """One multipart/alternative message (text + HTML) to one subscriber, with List-*
    headers, as an `EmailMessage` (a template with a single copy, parsed back)."""
    data = build_template(rendered, config).copy(
        Recipient(subscriber.email, subscriber.name, message_id.strip(), unsubscribe_url,
                  unsubscribe_mailto, preferences_url)
    )  # fmt: skip
    return email.message_from_bytes(data, _class=EmailMessage, policy=MAIL_POLICY)
