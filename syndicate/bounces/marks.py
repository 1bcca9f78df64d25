"""The address forms outgoing mail carries so that what comes back can be matched to a
delivery and trusted: the VERP envelope sender (Return-Path) of each copy, and the
List-Unsubscribe `mailto:` with the subscriber's own unsubscribe secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

VERP_LOCAL = "bounces"
TOKEN = r"[A-Za-z0-9_-]{16,}"  # secrets.token_urlsafe, the store's unsubscribe tokens


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
    verp = f"{local}+{digest_id}.{subscriber_key}.{mac}"
    if len(verp) > 64:  # RFC 5321's limit for a local part (a newsletter's long digest ids)
        raise ValueError(f"a VERP address for {digest_id!r} would be longer than 64 octets")
    return f"{verp}@{domain}"


def verify_verp(token: str, secret: bytes) -> tuple[str, str] | None:
    """(digest id, subscriber key) when the token's MAC is right, else None."""
    parts = token.lower().split(".")
    if len(parts) != 3:
        return None
    digest_id, subscriber_key, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, digest_id, subscriber_key)):
        return None
    return digest_id, subscriber_key


def message_mark(digest_id: str, subscriber_key: str, secret: bytes) -> str:
    """What a Message-ID of ours carries for one delivery: the subscriber's key and a MAC
    of it with the digest id, all lower-case hex. Digest ids are public and a key is only a
    hash of the address, so without the MAC anyone could write a Message-ID of ours for a
    victim's address and have a forged bounce suppress it."""
    mac = hmac.new(secret, f"message-id:{digest_id}.{subscriber_key}".encode(), hashlib.sha256)
    return subscriber_key + mac.hexdigest()[:16]


def verify_message_mark(digest_id: str, mark: str, secret: bytes) -> str | None:
    """The subscriber key a Message-ID's mark carries when its MAC is right, else None."""
    key = mark[:16]
    if not hmac.compare_digest(mark.lower(), message_mark(digest_id, key, secret)):
        return None
    return key


def unsubscribe_mailto(address: str, token: str) -> str:
    """The List-Unsubscribe `mailto:` carrying the subscriber's own unsubscribe secret (the
    one in the HTTPS link), so a request without it, or with someone else's, does nothing."""
    if not re.fullmatch(TOKEN, token):
        raise ValueError("unsubscribe token must be URL-safe base64")
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"
