"""The value checks of config.toml's keys (`setting(check=…)` in config.py): each takes the
value and returns it, normalised, or raises ValueError saying what is wrong (settings.py
adds the key). All run at load, so each is cheap or imports what it needs inside.

Addresses get the strict check at load (issue #20): the shape first (`split_mailbox`,
`address_shape`: a clear message for the common typos, and `parseaddr`, which the strict
check starts with, would drop a space inside an address instead of refusing it), then
`addresses.parse_mailbox` (email-validator: special-use domains such as `.invalid`,
underscores in a domain …), and for the addresses we send *from* (`digest.from`,
`reply_to`, `delivery.bounce_address`) ASCII before the @ (no SMTPUTF8). An undeliverable
From used to pass `publish`, `status` and `subscribers import` and be refused only by the
first command that built a message; now every command refuses it, exit 78, naming the key.
Decision: this costs every command email-validator's import (~40 ms on the 2-core
developer machine, most of it compiling its Unicode tables), measured in the no-op run rows
of bench/run.py; a config that loads without it would have to repeat its checks by hand.
Cron lines in the plain crontab syntax are checked field by field (anything fancier goes to
APScheduler).
"""

from __future__ import annotations

import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.config.cadence import cron_trigger
from syndicate.core.addresses import address_shape, format_mailbox, parse_mailbox, split_mailbox
from syndicate.core.language import canonical_tag
from syndicate.core.topics import topic_slug
from syndicate.web.hosts import normal_host

# ---------------------------------------------------------------- cron


def cron_line(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"not a 5-field cron expression (got {len(fields)} fields)")
    for value, (name, low, high, names, first) in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field(value.lower(), low, high, names, first)
        if problem == "unknown":  # beyond plain crontab ("last", "2nd mon"): APScheduler's
            try:
                cron_trigger(expr, "UTC")
            except ValueError as exc:
                raise ValueError(f"not a 5-field cron expression ({exc})") from None
            return expr
        if problem:
            raise ValueError(f"not a 5-field cron expression ({name} {value!r}: {problem})")
    return expr


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS = (  # name, lowest, highest, names, number of the first name
    ("minute", 0, 59, (), 0),
    ("hour", 0, 23, (), 0),
    ("day of month", 1, 31, (), 0),
    ("month", 1, 12, _MONTHS, 1),
    ("day of week", 0, 7, _DAYS, 0),  # Sunday is 0 or 7, as in crontab
)
_CRON_ITEM = re.compile(r"(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?")


def _cron_field(value: str, low: int, high: int, names: tuple[str, ...], first: int) -> str:
    """ "" if `value` is a valid plain crontab field, a reason if not, "unknown" if it uses
    syntax beyond plain crontab."""

    def number(token: str) -> int | None:
        if token.isdigit():
            return int(token)
        if token in names:
            return names.index(token) + first
        return None

    for item in value.split(","):
        found = _CRON_ITEM.fullmatch(item)
        if not found:
            return "unknown"
        span, step = found.groups()
        if step is not None and int(step) == 0:
            return "a step must be at least 1"
        if span == "*":
            continue
        ends = [number(t) for t in span.split("-")]
        if None in ends:
            return "unknown"
        if any(n < low or n > high for n in ends):  # type: ignore[operator]
            return f"out of range {low}-{high}"
        if len(ends) == 2 and ends[0] > ends[1]:  # type: ignore[operator]
            return "a range must go from low to high"
    return ""


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
    shaped = address_shape(addr)
    try:
        parse_mailbox(shaped, smtputf8=smtputf8)
    except ValueError as exc:
        raise ValueError(f"{addr!r} is not a deliverable address: {exc}") from None
    return format_mailbox(name, shaped)


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
    tag = canonical_tag(v)
    if tag is None or not _cldr_knows(tag.replace("-", "_")):
        raise ValueError(
            f"{v!r} is not a BCP 47 language tag of a known language, e.g. 'en', 'id', 'pt-BR'"
        )
    return tag


def _cldr_knows(locale: str) -> bool:
    """babel.localedata.exists(locale), asked of its data folder first: importing babel
    (babel.core: pickle, decimal, plural rules) is ~6 ms of every command that loads the
    config, for a question whose answer is whether `<locale>.dat` is there. Whatever the
    folder does not settle (no such file: babel also matches names in other cases; a babel
    that keeps its data elsewhere) is babel's own answer."""
    import importlib.util

    spec = importlib.util.find_spec("babel")
    folders = spec.submodule_search_locations if spec is not None else None
    if folders and os.path.isfile(os.path.join(folders[0], "locale-data", f"{locale}.dat")):
        return True
    from babel.localedata import exists

    return exists(locale)


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
    if v and not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", v):
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
