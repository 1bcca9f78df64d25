"""Email addresses: the one check of an address we are about to mail, and the forms the
config and the subscriber commands write (`addr@host` or `Display Name <addr@host>`).

`deliverable_address` is the one validator (email-validator underneath): the CLI
(`subscribers add`, `send-test`), CSV imports, the subscribe form, the confirmation message,
the config's addresses when it loads, and the delivery engine all ask it. It returns the
address as a message carries it: the domain in IDNA unless the transport speaks SMTPUTF8.
A local part (before the @) that is not ASCII can only be sent with SMTPUTF8 (RFC
6531/6532); no delivery method of syndicate writes such messages (digest/message.py builds
7-bit headers), so such an address is refused where it comes in, with that reason, instead
of failing on every run. `parse_mailbox` splits `Name <addr>` (`split_mailbox`) and checks
the address with it; `format_mailbox` writes one back.
"""

from __future__ import annotations

import re
from functools import lru_cache

_MAILBOX = re.compile(
    r'\s*(?:(?:"(?P<quoted>(?:[^"\\\r\n]|\\.)*)"|(?P<name>[^<>"]*?))\s*<(?P<addr>[^<>\s]+)>'
    r'|(?P<bare>[^<>\s"]+))\s*'
)
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def split_mailbox(value: str) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` (name quoted or not) → (name, address).

    By hand rather than `email.utils.parseaddr`, which takes comments, groups and lists of
    addresses and quietly drops a space inside an address: a config line or a CSV cell that
    is not one of these two forms is refused rather than guessed at."""
    found = _MAILBOX.fullmatch(value)
    if not found or "\n" in value or "\r" in value:
        raise ValueError("expected an address like 'Name <news@example.org>'")
    if found["bare"]:
        return "", found["bare"]
    name = found["name"] or ""
    if found["quoted"] is not None:
        name = re.sub(r"\\(.)", r"\1", found["quoted"])
    return " ".join(name.split()), found["addr"]


def format_mailbox(name: str, addr: str) -> str:
    """`Name <addr>`, the name quoted when it holds specials (as email.utils.formataddr)."""
    if not name:
        return addr
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>"


# Delivery methods whose messages may carry an address with a non-ASCII local part. None
# yet: digest/message.py writes 7-bit headers (To, the envelope), and a Maildir copy is what the MTA
# would have received. A transport that learns SMTPUTF8 (RFC 6531) or message/global
# (RFC 6532) is added here, and every check below follows.
SMTPUTF8_METHODS: frozenset[str] = frozenset()


def smtputf8_supported(method: str) -> bool:
    """Whether `delivery.method` can send to an address whose local part is not ASCII."""
    return method in SMTPUTF8_METHODS


# The engine asks for every copy (100,000 a digest) and email-validator costs 50-150 µs an
# address (UTS-46 checks of every character of the domain), against ~25 µs for the whole
# copy. Nearly every address is plain ASCII: those are decided by this pattern, whose every
# match email-validator accepts as it is but for the domain's case, unless the domain is a
# special-use one (tests/test_addresses.py checks it against the library, and the library's
# own list of special-use names is asked). Anything else is the library's to decide.
_PLAIN = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"  # a dot-atom local part of common characters
    r"@(?:(?!-)(?![A-Za-z0-9-]{2}--)[A-Za-z0-9-]{1,63}(?<!-)\.)+"  # labels (no "xn--" either)
    r"[A-Za-z]{2,63}"  # a top-level domain of letters
)


def _plain_address(address: str) -> str | None:
    """The address with its domain in lower case, if the pattern above decides it."""
    if len(address) > 254 or not _PLAIN.fullmatch(address):
        return None
    local, _, domain = address.rpartition("@")
    domain = domain.lower()
    return None if _special_use(domain) else f"{local}@{domain}"  # the library says why


@lru_cache(maxsize=4096)
def _special_use(domain: str) -> bool:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES  # a large import: where used

    return any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=4096)
def _validated(address: str, smtputf8: bool) -> tuple[str, str]:
    """(normalised address, the address as a message carries it), or ValueError. Cached:
    the engine asks twice per copy (the To header, the envelope)."""
    plain = _plain_address(address)
    if plain is not None:
        return plain, plain
    from email_validator import EmailNotValidError, validate_email  # where used

    try:
        found = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    if found.smtputf8 and not smtputf8:
        raise ValueError(
            "the part before the @ is not ASCII: mail to it needs SMTPUTF8, which the"
            " configured delivery method cannot send (ask for an ASCII address)"
        )
    wire = found.normalized if smtputf8 else found.ascii_email
    return found.normalized, wire or found.normalized


def deliverable_address(address: str, *, smtputf8: bool = False) -> str:
    """The one check of an address we are about to mail: the address as a message carries
    it (domain in IDNA unless `smtputf8`), or ValueError saying what is wrong.

    A bare address only (no display name, no comments, no quoted or IP-literal parts); a
    local part that is not ASCII only when `smtputf8` (`smtputf8_supported(method)`)."""
    if not isinstance(address, str) or address != address.strip() or not address:
        raise ValueError(f"not a bare address: {str(address)[:80]!r}")
    return _validated(address, smtputf8)[1]


def parse_mailbox(value: str, *, smtputf8: bool = False) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` → (name, normalised address), or ValueError.

    The address is checked by `deliverable_address` (where an address is about to be used:
    `syndicate subscribers add`, CSV imports, the From of a message). `smtputf8=True` also
    accepts a non-ASCII local part: for commands that only look an address up (`remove`,
    `erase`), which must still reach one stored before this check existed.
    """
    name, addr = split_mailbox(value)
    deliverable_address(addr, smtputf8=smtputf8)
    return name, _validated(addr, smtputf8)[0]
