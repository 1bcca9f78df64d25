"""config.toml → typed, validated settings.

pydantic does the validation so every error names the exact key (`digest.from`) and what is
wrong with it; unknown keys are errors too, because a typo that silently falls back to a
default is the worst kind of misconfiguration. Secrets never live in the file: they come from
the environment (`SYNDICATE_SMTP_PASSWORD`, `SYNDICATE_DKIM_KEY`).
"""

from __future__ import annotations

import os
import re
import tomllib
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG_NAME = "config.toml"
# The example domains (RFC 2606) a fresh config ships with.
PLACEHOLDER_DOMAINS = frozenset({"example.org", "example.com", "example.net"})


class ConfigError(Exception):
    """The config file is missing or invalid; the message says which key and why."""


def _check_cron(expr: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"not a 5-field cron expression ({exc})") from None
    return expr


def parse_mailbox(value: str) -> tuple[str, str]:
    """`addr@host` or `Display Name <addr@host>` → (name, normalised address), or ValueError.

    The one place addresses are checked: config values, `syndicate subscribers add`, mail.
    """
    name, addr = parseaddr(value)
    if not addr or "\n" in value or "\r" in value:
        raise ValueError("expected an address like 'Name <news@example.org>'")
    try:
        return name, validate_email(addr, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _check_mailbox(value: str) -> str:
    name, addr = parse_mailbox(value)
    return formataddr((name, addr)) if name else addr


Cron = Annotated[str, AfterValidator(_check_cron)]
Mailbox = Annotated[str, AfterValidator(_check_mailbox)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(_Section):
    title: str = "Syndicate"
    description: str = "New articles, as feeds and an email digest."
    base_url: str = "https://example.org/"
    language: str = "en"
    timezone: str = "UTC"
    postal_address: str = ""
    icon: str = ""
    logo: str = ""

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. 'https://news.example.org/'")
        return v if v.endswith("/") else v + "/"

    @field_validator("language")
    @classmethod
    def _bcp47(cls, v: str) -> str:
        from babel import Locale, UnknownLocaleError

        from syndicate.language import canonical_tag

        tag = canonical_tag(v)
        try:
            if tag is None:
                raise ValueError
            Locale.parse(tag, sep="-")  # CLDR knows the language (and region, script)
        except (ValueError, UnknownLocaleError):
            raise ValueError(
                f"{v!r} is not a BCP 47 language tag of a known language, e.g. 'en', 'id', 'pt-BR'"
            ) from None
        return tag

    @property
    def is_placeholder(self) -> bool:
        """Still the example URL: ids minted now would carry it forever."""
        return any(self.domain == d or self.domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r}, e.g. 'Asia/Jakarta'") from None
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]


class PathsConfig(_Section):
    inbox: Path = Path("articles")
    feeds: Path = Path("feeds")
    outbox: Path = Path("outbox")
    state: Path = Path("state")
    templates: Path = Path("templates")


class FeedConfig(_Section):
    entries: int = Field(50, ge=1, le=10_000)
    hub: str = ""  # WebSub hub URL; empty = none
    # Entries per RFC 5005 archive page (archive/atom-1.xml … numbered from the oldest, cut
    # only when full). Changing it re-cuts every page.
    archive_page_size: int = Field(50, ge=1, le=10_000)

    @field_validator("hub")
    @classmethod
    def _hub_url(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL of a WebSub hub, or empty")
        return v


class DigestConfig(_Section):
    from_: Mailbox = Field("Syndicate <digest@example.org>", alias="from")
    subject: str = "{site}: {count} new — {first_title}"
    subscribers: list[Mailbox] = []
    reply_to: Mailbox | None = None
    # More articles than this in one digest are counted, not shown: past ~15 full articles an
    # email gets clipped by Gmail (102 KB) and nobody reads that far anyway.
    max_articles: int = Field(15, ge=1, le=100)
    # List-Id is "<list_id>"; empty = "<site-title-slug>.<site domain>" (RFC 2919).
    list_id: str = ""
    # DKIM signing happens only when both a selector and the key ($SYNDICATE_DKIM_KEY) are set;
    # dkim_domain defaults to the From address's domain (DMARC alignment needs them to match).
    dkim_selector: str = ""
    dkim_domain: str = ""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("list_id")
    @classmethod
    def _list_id_shape(cls, v: str) -> str:
        # RFC 2919: dot-atom text; anything else (spaces, <>, CR/LF) would break the header.
        if v and not re.fullmatch(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+", v
        ):
            raise ValueError("expected a dotted name like 'news.example.org'")
        return v

    @field_validator("dkim_selector", "dkim_domain")
    @classmethod
    def _dns_label(cls, v: str) -> str:
        if v and not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", v):
            raise ValueError("expected a DNS name like 'mail' or 'news.example.org'")
        return v

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

    @field_validator("subject")
    @classmethod
    def _known_fields(cls, v: str) -> str:
        try:
            v.format(site="", count=0, date="", first_title="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"bad placeholder {exc}; use {{site}}, {{count}}, {{date}}, {{first_title}}"
            ) from None
        return v


class ScheduleConfig(_Section):
    publish: Cron = "*/15 * * * *"
    digest: Cron = "0 7 * * *"


class DeliveryConfig(_Section):
    method: Literal["maildir", "eml", "smtp"] = "maildir"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_timeout: float = Field(30.0, gt=0)
    # CA bundle to trust for a relay with a private or self-signed certificate; empty = the
    # system's trust store. Certificates are always verified.
    smtp_cafile: Path | None = None

    @model_validator(mode="after")
    def _login_needs_tls(self) -> DeliveryConfig:
        if self.method == "smtp" and self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "smtp_username is set but smtp_security is 'none': the password would cross"
                " the network in clear; use 'starttls' or 'tls'"
            )
        return self

    @property
    def smtp_password(self) -> str:
        return os.environ.get("SYNDICATE_SMTP_PASSWORD", "")


class ReadersConfig(_Section):
    """Extra markers for the readers, on top of the built-in per-language lists
    (syndicate/data/readers.toml). Matching is case-insensitive, on whole lines."""

    furniture: list[str] = []  # lines dropped from bodies ("Sumber", "Advertisement")
    byline_prefixes: list[str] = []  # "Oleh", "By", "Penulis:"
    related: list[str] = []  # "Baca juga", "Read also": what follows becomes related links

    @field_validator("furniture", "byline_prefixes", "related")
    @classmethod
    def _no_blank_markers(cls, v: list[str]) -> list[str]:
        if any(not item.strip() for item in v):
            raise ValueError("markers must not be empty strings")
        return [item.strip() for item in v]


class LimitsConfig(_Section):
    max_article_bytes: int = Field(5_000_000, ge=1_000)


class StateConfig(_Section):
    """Where the state lives. Empty `url`: SQLite at paths.state/syndicate.db (the embedded
    default). `postgresql://user@host:5432/dbname`: PostgreSQL, for a publisher plus delivery
    workers on several hosts. The password never goes in the file: $SYNDICATE_STATE_PASSWORD,
    else whatever libpq finds itself (PGPASSWORD, ~/.pgpass, peer authentication)."""

    url: str = ""

    @field_validator("url")
    @classmethod
    def _postgresql_url(cls, v: str) -> str:
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

    @property
    def password(self) -> str:
        return os.environ.get("SYNDICATE_STATE_PASSWORD", "")


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # Double opt-in: a confirmation link is valid this long; unconfirmed addresses are then
    # forgotten.
    confirm_hours: int = Field(48, ge=1, le=24 * 30)
    # How often `serve` looks for deliveries left queued (a crash, a relay that was down);
    # also the wait before retrying a failed delivery, doubled after each failure (max 1 h).
    resume_seconds: float = Field(60.0, ge=1, le=3600)
    access_log: bool = True  # one stderr line per HTTP request


class Config(_Section):
    site: SiteConfig = SiteConfig()
    paths: PathsConfig = PathsConfig()
    feed: FeedConfig = FeedConfig()
    digest: DigestConfig = DigestConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    readers: ReadersConfig = ReadersConfig()
    limits: LimitsConfig = LimitsConfig()
    server: ServerConfig = ServerConfig()
    state: StateConfig = StateConfig()
    root: Path = Path(".")  # folder of the config file; relative paths resolve against it

    def path(self, name: Literal["inbox", "feeds", "outbox", "state", "templates"]) -> Path:
        p = getattr(self.paths, name)
        return p if p.is_absolute() else (self.root / p)

    @property
    def db_path(self) -> Path:
        return self.path("state") / "syndicate.db"


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s) in the config:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (typo?); see the configuration reference in README.md"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def load_config(path: Path | str | None = None, *, missing_ok: bool = False) -> Config:
    """Read and validate a config file; raise ConfigError with a message fit for the operator.

    `missing_ok`: a missing file means the defaults, relative to the current folder (for
    commands such as `inspect` that make sense without a site).
    """
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
        return Config.model_validate({**raw, "root": path.resolve().parent})
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None
