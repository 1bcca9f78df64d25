"""Digest → one email.message per subscriber, headers and DKIM signing.
Issue #6.

The digest is rendered once (digest.render_digest); here we only substitute the subscriber's
unsubscribe URL, set headers and sign. Every header value that can carry outside text goes
through `one_line` first: the email package rejects CR/LF but *raises* on U+2028, and a raise
in the middle of a delivery run is as bad as an injection.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from syndicate.config import Config, ConfigError, parse_mailbox
from syndicate.digest import RenderedDigest, one_line, render_digest
from syndicate.files import write_atomic
from syndicate.model import Digest, Subscriber

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


def _address(value: str) -> tuple[str, str]:
    name, addr = parse_mailbox(value)
    return one_line(name), addr


def _body_cte(s: str) -> str:
    """Quoted-printable for mostly-ASCII bodies (readable, small), base64 otherwise
    (QP triples every non-ASCII byte: Arabic or Thai text would blow past 102 KB)."""
    data = s.encode("utf-8")
    non_ascii = sum(1 for b in data if b > 127)
    return "base64" if non_ascii > len(data) // 5 else "quoted-printable"


def message_id_for(digest_id: str, subscriber_email: str, config: Config) -> str:
    """A deterministic Message-ID on the site's domain for one (digest, subscriber) pair.

    The same pair always gets the same id, so a retried delivery is recognisably the same
    message (receivers deduplicate on it), and the address itself is not exposed in it.
    """
    who = hashlib.sha256(subscriber_email.strip().lower().encode("utf-8")).hexdigest()[:20]
    local = re.sub(r"[^A-Za-z0-9.-]+", "-", digest_id).strip(".-") or "digest"
    return f"<{local}.{who}@{config.site.domain}>"


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
    unsub = header_safe_url(unsubscribe_url)
    _from_name, from_addr = _address(config.digest.from_)
    to_addr = subscriber.email.strip()
    if not to_addr or re.search(r"[\s\x00-\x1f\x7f<>,;\"]", to_addr) or "@" not in to_addr:
        raise ValueError(f"not a deliverable address: {to_addr[:80]!r}")
    if not re.fullmatch(r"<[^<>\s@]+@[^<>\s@]+>", message_id.strip()):
        raise ValueError(f"Message-ID must look like <id@domain>, got {message_id[:80]!r}")

    text, body_html = rendered.text, rendered.html
    if rendered.unsubscribe_placeholder:
        text = text.replace(rendered.unsubscribe_placeholder, unsub)
        body_html = body_html.replace(
            rendered.unsubscribe_placeholder, html.escape(unsub, quote=True)
        )

    local, _, domain = to_addr.rpartition("@")
    if not local or not domain or "@" in local:
        raise ValueError(f"not a deliverable address: {to_addr[:80]!r}")
    # Without SMTPUTF8 an address must be ASCII: IDNA for the domain; a non-ASCII local part
    # cannot be written at all (the email package would emit an invalid encoded word).
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a valid domain: {domain[:80]!r}") from None
    if not local.isascii():
        raise ValueError(f"non-ASCII mailbox needs SMTPUTF8, not supported: {to_addr[:80]!r}")

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = config.digest.from_
    msg["To"] = Address(display_name=one_line(subscriber.name), username=local, domain=domain)
    msg["Subject"] = one_line(rendered.subject)
    msg["Date"] = format_datetime(rendered.created or datetime.now(UTC))
    msg["Message-ID"] = message_id.strip()
    if config.digest.reply_to:
        msg["Reply-To"] = config.digest.reply_to
    msg["List-Id"] = _list_id(config)
    msg["List-Unsubscribe"] = f"<{unsub}>, <mailto:{from_addr}?subject=unsubscribe>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    msg.set_content(text, subtype="plain", charset="utf-8", cte=_body_cte(text))
    msg.add_alternative(body_html, subtype="html", charset="utf-8", cte=_body_cte(body_html))
    # A fixed boundary (not the generator's random one) makes the bytes deterministic: the
    # same message serializes identically for signing, for the outbox and for a retry.
    seed = hashlib.sha256((message_id + text + body_html).encode("utf-8", "surrogatepass"))
    msg.set_boundary(f"=_syndicate_{seed.hexdigest()[:32]}")

    return dkim_sign(msg, config)


def dkim_sign(msg: EmailMessage, config: Config) -> EmailMessage:
    """Add a DKIM-Signature (rsa-sha256 or ed25519, relaxed/relaxed) when a selector and a
    key are configured; otherwise return the message unchanged."""
    key = config.digest.dkim_key
    selector = config.digest.dkim_selector
    if not key or not selector:
        return msg
    import dkim  # dkimpy; only needed by senders that sign

    domain = config.digest.dkim_domain or _address(config.digest.from_)[1].rpartition("@")[2]
    present = {k.lower() for k in msg}
    include = [h.lower().encode() for h in DKIM_HEADERS if h.lower() in present]
    try:
        sig = dkim.sign(
            msg.as_bytes(policy=MAIL_POLICY),
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
    name, _, value = sig.decode("ascii").partition(":")
    # Unfold: the email package refolds at spaces on output, which relaxed header
    # canonicalization treats as the same header.
    value = " ".join(value.split())
    # Put the signature first, as a trace header (RFC 6376 §5.6), keeping the others' order.
    headers = list(msg.items())
    for k in {k for k, _ in headers}:
        del msg[k]
    msg[name] = value
    for k, v in headers:
        msg[k] = v
    return msg


PREVIEW_SUBSCRIBER = Subscriber("preview@example.invalid", "Preview", "preview")


def write_preview(digest: Digest, config: Config, folder: Path, *, web_url: str) -> list[Path]:
    """`syndicate preview`: the digest as the subscriber would get it, written to `folder`
    (digest.html, digest.txt, digest-web.html, digest.eml) without delivering or recording.

    The .eml is addressed to a .invalid preview address and carries a dummy unsubscribe
    token, so it can be opened in a mail client or fed to an email checker as is.
    """
    rendered = render_digest(digest, config, web_url=web_url)
    msg = build_message(
        rendered,
        PREVIEW_SUBSCRIBER,
        config,
        message_id=f"<preview.{digest.id}@{config.site.domain}>",
        unsubscribe_url=f"{config.site.base_url}unsubscribe/preview",
    )
    files = {
        "digest.html": msg.get_body(("html",)).get_content().encode("utf-8"),
        "digest.txt": msg.get_body(("plain",)).get_content().encode("utf-8"),
        "digest-web.html": rendered.web_html.encode("utf-8"),
        "digest.eml": msg.as_bytes(policy=MAIL_POLICY),
    }
    paths = []
    for name, data in files.items():
        path = Path(folder) / name
        write_atomic(path, data)
        paths.append(path)
    return paths
