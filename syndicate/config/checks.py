"""The value checks of config.toml's keys (`checked(…)` in config/__init__.py): each takes
the value and returns it, normalised, or raises ValueError saying what is wrong
(config_problems adds the key).

Addresses get the one address check at load (issue #20: core/addresses.parse_mailbox, with
email-validator underneath: special-use domains such as `.invalid`, underscores in a
domain, a non-ASCII part before the @ that no delivery method can send). An undeliverable
From used to pass `publish`, `status` and `subscribers import` and be refused only by the
first command that built a message; now every command refuses it, exit 78, naming the key.
Cron lines are checked by APScheduler, the library that runs them (config/cadence.py).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.config.cadence import cron_trigger
from syndicate.core.addresses import format_mailbox, parse_mailbox, split_mailbox
from syndicate.core.language import canonical_tag
from syndicate.core.topics import topic_slug
from syndicate.web.hosts import normal_host

# ---------------------------------------------------------------- cron


def cron_line(expr: str) -> str:
    """A 5-field crontab line, as APScheduler reads it (cadence.cron_trigger). When it is
    refused, each field is tried alone, so the message names the one that is wrong."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"not a 5-field cron expression (got {len(fields)} fields)")
    try:
        cron_trigger(expr, "UTC")
    except ValueError as whole:
        for i, (name, value) in enumerate(zip(_CRON_FIELDS, fields, strict=True)):
            alone = " ".join(value if j == i else "*" for j in range(5))
            try:
                cron_trigger(alone, "UTC")
            except ValueError as exc:
                raise ValueError(
                    f"not a 5-field cron expression ({name} {value!r}: {exc})"
                ) from None
        raise ValueError(f"not a 5-field cron expression ({whole})") from None
    return expr


_CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week")


# ---------------------------------------------------------------- addresses


def mailbox(value: str) -> str:
    """`addr@host` or `Display Name <addr@host>` normalised (the domain lower-cased):
    `digest.subscribers`, `digest.from`, `digest.reply_to`. ASCII before the @, as every
    address a message of ours carries must be while no delivery method speaks SMTPUTF8
    (addresses.SMTPUTF8_METHODS)."""
    return _checked_mailbox(value, smtputf8=False)


def bare_address(value: str) -> str:
    """`addr@host` we send from (`delivery.bounce_address`: the envelope sender), or ""."""
    value = value.strip()
    if not value:
        return ""
    if "<" in value:
        raise ValueError("expected a bare address like 'bounces@news.example.org'")
    return _checked_mailbox(value, smtputf8=False)


def _checked_mailbox(value: str, *, smtputf8: bool) -> str:
    name, addr = split_mailbox(value)
    try:
        _name, normalised = parse_mailbox(value, smtputf8=smtputf8)
    except ValueError as exc:
        raise ValueError(f"{addr!r} is not a deliverable address: {exc}") from None
    return format_mailbox(name, normalised)


# ---------------------------------------------------------------- the others


def absolute_url(v: str) -> str:
    if not v.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL, e.g. 'https://news.example.org/'")
    return v if v.endswith("/") else v + "/"


def known_zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {v!r}, e.g. 'Asia/Jakarta'") from None
    return v


def language_tag(v: str) -> str:
    """A BCP 47 tag (canonical case) of a language CLDR knows: its labels, plural rules and
    date formats come from there. Babel's locale index is a file lookup, no data loaded."""
    from babel.localedata import exists  # babel: where a language is checked

    tag = canonical_tag(v)
    if tag is None or not exists(tag.replace("-", "_")):
        raise ValueError(
            f"{v!r} is not a BCP 47 language tag of a known language, e.g. 'en', 'id', 'pt-BR'"
        )
    return tag


def postgresql_url(v: str) -> str:
    v = v.strip()
    if not v:
        return v
    if not v.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "expected a PostgreSQL URL like 'postgresql://syndicate@db.example.org/syndicate'"
            " (or empty for SQLite under paths.state)"
        )
    from urllib.parse import urlsplit

    if urlsplit(v).password is not None:
        raise ValueError(
            "the URL carries a password: remove it and set $SYNDICATE_STATE_PASSWORD instead"
            " (secrets never go in the config file)"
        )
    return v


def hub_url(v: str) -> str:
    v = v.strip()
    if v and not v.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL of a WebSub hub, or empty")
    return v


def list_id(v: str) -> str:
    # RFC 2919: dot-atom text; anything else (spaces, <>, CR/LF) would break the header.
    if v and not re.fullmatch(
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+", v
    ):
        raise ValueError("expected a dotted name like 'news.example.org'")
    return v


def dns_name(v: str) -> str:
    if v and not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", v):
        raise ValueError("expected a DNS name like 'mail' or 'news.example.org'")
    return v


def subject_template(v: str) -> str:
    try:
        v.format(site="", count=0, date="", first_title="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"bad placeholder {exc}; use {{site}}, {{count}}, {{date}}, {{first_title}}"
        ) from None
    return v


def newsletter_id(v: str) -> str:
    """A newsletter's id: lower-case letters, digits and "-", starting with a letter (so it
    never looks like the date a digest id starts with), at most 40 characters."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", v):
        raise ValueError(
            f"{v!r} is not a newsletter id: lower-case letters, digits and '-', starting with"
            " a letter, e.g. 'daily' or 'ports-weekly'"
        )
    return v


def topic_tags(v: list[str]) -> list[str]:
    """A newsletter's `tags`: each must name a topic (topics.topic_slug)."""
    for tag in v:
        if not topic_slug(tag):
            raise ValueError(f"{tag!r} is not a tag: it has no letter or digit")
    return v


def newsletter_set(v: list) -> list:
    """`[[newsletters]]` as a whole: each id once, and at least one `default = true` (what a
    subscriber who chose nothing gets, every subscriber from before [[newsletters]] too)."""
    ids = [n.id for n in v]
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"the id {twice[0]!r} is used twice")
    if ids and not any(n.default for n in v):
        raise ValueError(
            "none is `default = true`: mark the one(s) a subscriber who chose nothing gets"
            " (every subscriber from before [[newsletters]] too)"
        )
    return v


def host_name(v: str) -> str:
    """`server.allowed_hosts`: a Host name the service answers for, `name` (any port) or
    `name:port`; lower case, IDNA, no trailing dot (web/hosts.py compares it so)."""
    found = normal_host(v)
    if found is None:
        raise ValueError(f"{v!r} is not a host name like 'news.example.org' or 'example.org:8080'")
    name, port = found
    name = f"[{name}]" if ":" in name else name  # an IPv6 literal keeps its brackets
    return name if port is None else f"{name}:{port}"


def proxy_network(v: str) -> str:
    """`server.trusted_proxies`: an address or network (CIDR) of a reverse proxy."""
    import ipaddress  # only when the list is not empty

    try:
        return str(ipaddress.ip_network(v.strip(), strict=False))
    except ValueError:
        raise ValueError(
            f"{v!r} is not an IP address or network, e.g. '127.0.0.1', '10.0.0.0/8', '::1'"
        ) from None


def markers(v: list[str]) -> list[str]:
    if any(not item.strip() for item in v):
        raise ValueError("markers must not be empty strings")
    return [item.strip() for item in v]
