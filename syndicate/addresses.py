"""Email addresses as the config and the subscriber commands write them: `addr@host` or
`Display Name <addr@host>`. Two checks of different cost: the shape (`split_mailbox`,
`address_shape`: by hand, at every config load) and the strict RFC check (`parse_mailbox`:
email-validator, where an address is about to be used).
"""

from __future__ import annotations

import re

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*|\"([^\"\\\r\n]|\\.)*\"")
_LABEL = re.compile(r"(?!-)[^\s.@<>()\[\]\\,;:\"]{1,63}(?<!-)")


def address_shape(addr: str) -> str:
    """The address with its domain lower-cased, or ValueError saying what is wrong."""
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("expected an address like 'Name <news@example.org>'")
    if len(addr) > 254 or not _LOCAL.fullmatch(local):
        raise ValueError(f"{addr!r} is not a valid address (the part before the @)")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{addr!r} is not a valid address (the domain {domain!r})")
    if labels[-1].isdigit():
        raise ValueError(f"{addr!r} is not a valid address (the domain {domain!r})")
    return f"{local}@{domain.lower()}"


_MAILBOX = re.compile(
    r'\s*(?:(?:"(?P<quoted>(?:[^"\\\r\n]|\\.)*)"|(?P<name>[^<>"]*?))\s*<(?P<addr>[^<>\s]+)>'
    r'|(?P<bare>[^<>\s"]+))\s*'
)
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def split_mailbox(value: str) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` (name quoted or not) → (name, address).

    By hand rather than `email.utils.parseaddr`: importing email.utils costs ~13 ms on every
    start, and a config address has only these two forms (comments, groups and lists of
    addresses are refused rather than guessed at)."""
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


_BARE = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")


def parse_mailbox(value: str, *, smtputf8: bool = True) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` → (name, normalised address), or ValueError.

    The strict check (email-validator, imported here: ~50 ms) for addresses that are about
    to be used: `syndicate subscribers add`, CSV imports, the sender addresses of the config
    (checks.py). `smtputf8=False`: an address we send *from* (envelope and From header)
    must be ASCII before the @, since delivery never uses SMTPUTF8.
    """
    from email.utils import parseaddr

    from email_validator import EmailNotValidError, validate_email

    if _BARE.fullmatch(value):  # nothing for parseaddr to take apart (~40% of a CSV import)
        name, addr = "", value
    else:
        name, addr = parseaddr(value)
    if not addr or "\n" in value or "\r" in value:
        raise ValueError("expected an address like 'Name <news@example.org>'")
    try:
        checked = validate_email(addr, check_deliverability=False, allow_smtputf8=smtputf8)
        return name, checked.normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
