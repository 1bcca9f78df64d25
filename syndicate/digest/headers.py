"""What a message's headers carry that is ours to make: the From address checked, the
List-Id, Message-IDs (with their MAC), the site's domain as a header writes it, and the
per-copy To and List-Unsubscribe lines (digest/message.py fills them into each copy).
"""

from __future__ import annotations

import hashlib
import re
from email.header import Header
from functools import lru_cache
from urllib.parse import quote

from syndicate.bounces.marks import message_mark
from syndicate.config import Config, ConfigError
from syndicate.core.addresses import parse_mailbox
from syndicate.core.rendering import one_line

# Characters allowed to stay as they are in a URL (RFC 3986 reserved + unreserved + "%"):
# anything else (spaces, quotes, <>, non-ASCII, CR/LF) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def header_safe_url(url: str) -> str:
    """An absolute https/http URL made safe for `<…>` in a header and for an HTML attribute."""
    url = quote(url.strip(), safe=_URL_SAFE)
    if not re.match(r"(?i)https?://[^/?#]+", url):
        raise ValueError(f"unsubscribe URL must be absolute http(s), got {url[:80]!r}")
    return url


def list_id(config: Config) -> str:
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


@lru_cache(maxsize=4096)
def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a valid domain: {domain[:80]!r}") from None


MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")


def to_line(name: str, address: str) -> bytes:
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


def list_unsubscribe_line(url: str, mailto: str) -> bytes:
    line = f"List-Unsubscribe: <{url}>"
    if len(line) > 78:  # fold after the colon; a longer URL cannot be folded at all
        line = f"List-Unsubscribe: \r\n <{url}>"  # as the email package writes it
    if mailto:
        line += f",\r\n <{mailto}>"
    return (line + "\r\n").encode("ascii")
