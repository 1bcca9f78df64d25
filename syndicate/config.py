"""config.toml → typed, validated settings.

Every error names the exact key (`digest.from`) and what is wrong with it; unknown keys are
errors too, because a typo that silently falls back to a default is the worst kind of
misconfiguration. Secrets never live in the file: they come from the environment
(`SYNDICATE_SMTP_PASSWORD`, `SYNDICATE_DKIM_KEY`).

Decision: plain immutable classes checked by a small converter (syndicate/settings.py)
instead of pydantic + email-validator. Every command loads the config, and those two cost
~115 ms to import on the 2-core developer machine (`python -X importtime`) — more than the
whole budget of a no-op `syndicate run` (half of importing feedgen, jinja2, premailer and
apscheduler). msgspec imports fast but has no Path type and reports a check made after
decoding against the section, not the key. The settings are ~45 keys of eight shapes, so
the converter is short; every check runs at load, key by key. Two are cheap forms of the
full check: addresses are checked for shape here (the strict RFC check, with
email-validator, runs where an address is used: `parse_mailbox`), and cron lines in the
plain crontab syntax are checked field by field (anything fancier goes to APScheduler).
Constructing a section in code runs the same checks and raises `ConfigValueError`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syndicate.settings import ConfigError, ConfigValueError, Section, setting

DEFAULT_CONFIG_NAME = "config.toml"
# The example domains (RFC 2606) a fresh config ships with.
PLACEHOLDER_DOMAINS = frozenset({"example.org", "example.com", "example.net"})


# ---------------------------------------------------------------- checks


def _check_cron(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"not a 5-field cron expression (got {len(fields)} fields)")
    for value, (name, low, high, names, first) in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field(value.lower(), low, high, names, first)
        if problem == "unknown":  # beyond plain crontab ("last", "2nd mon"): APScheduler's
            from syndicate.cadence import cron_trigger

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


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*|\"([^\"\\\r\n]|\\.)*\"")
_LABEL = re.compile(r"(?!-)[^\s.@<>()\[\]\\,;:\"]{1,63}(?<!-)")


def _address_shape(addr: str) -> str:
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


def _check_mailbox(value: str) -> str:
    """`addr@host` or `Display Name <addr@host>`, normalised; the shape only (see module doc)."""
    name, addr = split_mailbox(value)
    return format_mailbox(name, _address_shape(addr))


def _check_bare_address(value: str) -> str:
    value = value.strip()
    return _address_shape(value) if value else ""


def parse_mailbox(value: str) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` → (name, normalised address), or ValueError.

    The strict check (email-validator, imported here: ~50 ms) for addresses that are about
    to be used: `syndicate subscribers add`, CSV imports, the From of a message.
    """
    from email.utils import parseaddr

    from email_validator import EmailNotValidError, validate_email

    name, addr = parseaddr(value)
    if not addr or "\n" in value or "\r" in value:
        raise ValueError("expected an address like 'Name <news@example.org>'")
    try:
        return name, validate_email(addr, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _absolute_url(v: str) -> str:
    if not v.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL, e.g. 'https://news.example.org/'")
    return v if v.endswith("/") else v + "/"


def _known_zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {v!r}, e.g. 'Asia/Jakarta'") from None
    return v


def _language_tag(v: str) -> str:
    """A BCP 47 tag (canonical case) of a language CLDR knows: its labels, plural rules and
    date formats come from there. Babel's locale index is a file lookup, no data loaded."""
    from babel.localedata import exists

    from syndicate.language import canonical_tag

    tag = canonical_tag(v)
    if tag is None or not exists(tag.replace("-", "_")):
        raise ValueError(
            f"{v!r} is not a BCP 47 language tag of a known language, e.g. 'en', 'id', 'pt-BR'"
        )
    return tag


def _postgresql_url(v: str) -> str:
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


def _hub_url(v: str) -> str:
    v = v.strip()
    if v and not v.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL of a WebSub hub, or empty")
    return v


def _list_id_shape(v: str) -> str:
    # RFC 2919: dot-atom text; anything else (spaces, <>, CR/LF) would break the header.
    if v and not re.fullmatch(
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+", v
    ):
        raise ValueError("expected a dotted name like 'news.example.org'")
    return v


def _dns_label(v: str) -> str:
    if v and not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", v):
        raise ValueError("expected a DNS name like 'mail' or 'news.example.org'")
    return v


def _known_fields(v: str) -> str:
    try:
        v.format(site="", count=0, date="", first_title="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"bad placeholder {exc}; use {{site}}, {{count}}, {{date}}, {{first_title}}"
        ) from None
    return v


def _no_blank_markers(v: list[str]) -> list[str]:
    if any(not item.strip() for item in v):
        raise ValueError("markers must not be empty strings")
    return [item.strip() for item in v]


# ---------------------------------------------------------------- the sections


class SiteConfig(Section):
    title: str = "Syndicate"
    description: str = "New articles, as feeds and an email digest."
    base_url: str = setting("https://example.org/", check=_absolute_url)
    language: str = setting("en", check=_language_tag)
    timezone: str = setting("UTC", check=_known_zone)
    postal_address: str = ""
    icon: str = ""
    logo: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]

    @property
    def is_placeholder(self) -> bool:
        """Still the example URL: ids minted now would carry it forever."""
        return any(self.domain == d or self.domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


class PathsConfig(Section):
    inbox: Path = Path("articles")
    feeds: Path = Path("feeds")
    outbox: Path = Path("outbox")
    state: Path = Path("state")
    templates: Path = Path("templates")


class FeedConfig(Section):
    entries: int = setting(50, ge=1, le=10_000)
    hub: str = setting("", check=_hub_url)  # WebSub hub URL; empty = none
    # Entries per RFC 5005 archive page (archive/atom-1.xml … numbered from the oldest, cut
    # only when full). Changing it re-cuts every page.
    archive_page_size: int = setting(50, ge=1, le=10_000)


class DigestConfig(Section):
    from_: str = setting("Syndicate <digest@example.org>", check=_check_mailbox, key="from")
    subject: str = setting("{site}: {count} new — {first_title}", check=_known_fields)
    subscribers: list[str] = setting([], each=_check_mailbox)
    reply_to: str | None = setting(None, check=_check_mailbox)
    # More articles than this in one digest are counted, not shown: past ~15 full articles an
    # email gets clipped by Gmail (102 KB) and nobody reads that far anyway.
    max_articles: int = setting(15, ge=1, le=100)
    # List-Id is "<list_id>"; empty = "<site-title-slug>.<site domain>" (RFC 2919).
    list_id: str = setting("", check=_list_id_shape)
    # DKIM signing happens only when both a selector and the key ($SYNDICATE_DKIM_KEY) are set;
    # dkim_domain defaults to the From address's domain (DMARC alignment needs them to match).
    dkim_selector: str = setting("", check=_dns_label)
    dkim_domain: str = setting("", check=_dns_label)

    @property
    def dkim_key(self) -> bytes | None:
        """The PEM private key from $SYNDICATE_DKIM_KEY: the PEM text itself or a file path.

        Read on use (not at load) so a rotated key file is picked up by a running service.
        """
        raw = os.environ.get("SYNDICATE_DKIM_KEY", "").strip()
        if not raw:
            return None
        if raw.startswith("-----BEGIN"):
            return raw.encode("ascii")
        try:
            return Path(raw).expanduser().read_bytes()
        except OSError as exc:
            raise ConfigError(f"SYNDICATE_DKIM_KEY: cannot read key file {raw!r}: {exc}") from None


class ScheduleConfig(Section):
    publish: str = setting("*/15 * * * *", check=_check_cron)
    digest: str = setting("0 7 * * *", check=_check_cron)


class DeliveryConfig(Section):
    method: Literal["maildir", "eml", "smtp", "sendmail"] = "maildir"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = setting(25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_timeout: float = setting(30.0, gt=0)  # seconds; also the limit for one sendmail
    # CA bundle to trust for a relay with a private or self-signed certificate; empty = the
    # system's trust store. Certificates are always verified.
    smtp_cafile: Path | None = None
    smtp_connections: int = setting(1, ge=1, le=64)  # in parallel (sendmail: processes)
    rate_limit: float = setting(0.0, ge=0)  # messages per second over all connections; 0 = none
    # A message the relay may have taken (no reply after the end of DATA): keep it for the
    # operator ("hold"), or send it again with the same Message-ID ("resend").
    in_doubt: Literal["hold", "resend"] = "hold"
    relay_failures: int = setting(3, ge=1, le=1000)  # in a row: delivery stops for the run
    # Wait before retrying a temporary failure (4xx, relay down), doubled after each attempt
    # (up to 6 h); `serve` retries what is due on its own, runs retry what is due when they run.
    retry_seconds: float = setting(300.0, ge=1, le=86400)
    sendmail_path: str = "/usr/sbin/sendmail"
    # Envelope sender (VERP: bounces+<digest>.<subscriber>.<mac>@domain) and the mailto:
    # unsubscribe address; `syndicate bounces` reads what arrives there. Empty = the From
    # address, and no mailto: unsubscribe is advertised.
    bounce_address: str = setting("", check=_check_bare_address)
    soft_bounce_limit: int = setting(3, ge=1, le=100)  # soft bounces in a row = bounced

    def _check(self) -> None:
        if self.method == "smtp" and self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "smtp_username is set but smtp_security is 'none': the password would cross"
                " the network in clear; use 'starttls' or 'tls'"
            )

    @property
    def smtp_password(self) -> str:
        return os.environ.get("SYNDICATE_SMTP_PASSWORD", "")


class ReadersConfig(Section):
    """Extra markers for the readers, on top of the built-in per-language lists
    (syndicate/data/readers.toml). Matching is case-insensitive, on whole lines."""

    furniture: list[str] = setting([], check=_no_blank_markers)  # "Sumber", "Advertisement"
    byline_prefixes: list[str] = setting([], check=_no_blank_markers)  # "Oleh", "By"
    related: list[str] = setting([], check=_no_blank_markers)  # "Baca juga", "Read also"


class LimitsConfig(Section):
    max_article_bytes: int = setting(5_000_000, ge=1_000)


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = setting(8080, ge=0, le=65535)
    # Double opt-in: a confirmation link is valid this long; unconfirmed addresses are then
    # forgotten.
    confirm_hours: int = setting(48, ge=1, le=24 * 30)
    # How often `serve` looks for deliveries left queued (a crash, a relay that was down) and
    # sends those due (delivery.retry_seconds sets the backoff of each).
    resume_seconds: float = setting(60.0, ge=1, le=3600)
    access_log: bool = True  # one stderr line per HTTP request


class StateConfig(Section):
    """Where the state lives. Empty `url`: SQLite at paths.state/syndicate.db (the embedded
    default). `postgresql://user@host:5432/dbname`: PostgreSQL, for a publisher plus delivery
    workers on several hosts. The password never goes in the file: $SYNDICATE_STATE_PASSWORD,
    else whatever libpq finds itself (PGPASSWORD, ~/.pgpass, peer authentication)."""

    url: str = setting("", check=_postgresql_url)

    @property
    def password(self) -> str:
        return os.environ.get("SYNDICATE_STATE_PASSWORD", "")


class Config(Section):
    site: SiteConfig = SiteConfig
    paths: PathsConfig = PathsConfig
    feed: FeedConfig = FeedConfig
    digest: DigestConfig = DigestConfig
    schedule: ScheduleConfig = ScheduleConfig
    delivery: DeliveryConfig = DeliveryConfig
    readers: ReadersConfig = ReadersConfig
    limits: LimitsConfig = LimitsConfig
    server: ServerConfig = ServerConfig
    state: StateConfig = StateConfig
    root: Path = Path(".")  # folder of the config file; relative paths resolve against it

    def path(self, name: Literal["inbox", "feeds", "outbox", "state", "templates"]) -> Path:
        p = getattr(self.paths, name)
        return p if p.is_absolute() else (self.root / p)

    @property
    def db_path(self) -> Path:
        return self.path("state") / "syndicate.db"


def _format_error(path: Path, problems: list[tuple[str, str]]) -> str:
    lines = [f"{path}: {len(problems)} problem(s) in the config:"]
    lines += [f"  {key.removesuffix('.(table)')}: {why}" for key, why in problems]
    return "\n".join(lines)


def load_config(path: Path | str | None = None, *, missing_ok: bool = False) -> Config:
    """Read and validate a config file; raise ConfigError with a message fit for the operator.

    `missing_ok`: a missing file means the defaults, relative to the current folder (for
    commands such as `inspect` that make sense without a site).
    """
    import tomllib

    path = Path(path) if path is not None else Path(DEFAULT_CONFIG_NAME)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return Config(root=Path.cwd())
        raise ConfigError(
            f"{path}: config file not found; pass --config PATH or create {DEFAULT_CONFIG_NAME}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if "root" in raw:
        raise ConfigError(f"{path}: root: unknown key (paths resolve against the file's folder)")
    try:
        return Config.from_dict({**raw, "root": path.resolve().parent})  # type: ignore[return-value]
    except ConfigValueError as exc:
        raise ConfigError(_format_error(path, exc.problems)) from None
