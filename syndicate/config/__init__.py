"""config.toml → typed, validated settings.

Every error names the exact key (`digest.from`, `digest.subscribers[2]`) and what is wrong
with it; unknown keys are errors too, because a typo that silently falls back to a default
is the worst kind of misconfiguration. Secrets never live in the file: they come from the
environment (`SYNDICATE_SMTP_PASSWORD`, `SYNDICATE_DKIM_KEY`).

Decision: each table is a frozen pydantic model (`Section`), checked at load key by key,
strictly: TOML already types its values, so `port = "25"` is an error, not a guess (paths
are the one conversion, from strings). The checks of single values are plain functions in
checks.py, attached with `AfterValidator`; the addresses get email-validator's strict check
there, so an undeliverable `digest.from` stops every command, not only the first that
sends. `load_config` turns pydantic's errors into one message per key (`config_problems`).

Pydantic traps pinned here (tests/test_config.py): its `model_copy(update=…)` does not
validate, so `Section.model_copy` validates the copy again (a test or a command that changes
a setting gets the same normalised, checked value as the file would give); defaults are
validated too (`validate_default`), so a default is never a value the file could not hold.
"""

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from syndicate import DEFAULT_CONFIG_NAME
from syndicate.config import checks
from syndicate.core.addresses import split_mailbox


class ConfigError(Exception):
    """The config file is missing or invalid; the message says which key and why."""


class Section(BaseModel):
    """A table of the config: immutable, every setting checked when it is made."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        validate_default=True,
        validate_by_name=True,  # `from_` in code, `from` in the file
        validate_by_alias=True,
    )

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with some settings changed, checked again (pydantic's does not check)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_validate({**values, **(update or {})})


def config_problems(error: ValidationError) -> list[tuple[str, str]]:
    """pydantic's errors as (dotted key, what is wrong), in the words of this config."""
    problems = []
    for found in error.errors():
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in found["loc"])
        why = found["msg"].removeprefix("Value error, ")
        if found["type"] == "extra_forbidden":
            why = "unknown key (typo?); see the configuration reference in README.md"
        elif found["type"] == "missing":
            why = "missing: this table needs it (see the configuration reference in README.md)"
        elif found["type"] == "path_type":
            why = f"input should be a path (a string), got {found['input']!r}"
        elif found["type"].endswith("_type") or found["type"] == "literal_error":
            why = f"{why[0].lower()}{why[1:]}, got {found['input']!r}"
        problems.append((key.lstrip("."), why))
    return problems


def checked(check: Any) -> AfterValidator:
    """A value check of checks.py (value → normalised value, or ValueError) on a setting."""
    return AfterValidator(check)


# A path in the file is a string; the one conversion strict mode is told to make.
AnyPath = Annotated[Path, Field(strict=False)]
Mailbox = Annotated[str, checked(checks.mailbox)]  # `addr@host` or `Name <addr@host>`

# The example domains (RFC 2606) a fresh config ships with.
PLACEHOLDER_DOMAINS = frozenset({"example.org", "example.com", "example.net"})
# Values of the bundled sample config.toml (the Quick start's site) that must not reach a
# real site unnoticed: runs name each one still set (Config.sample_leftovers). The base URL
# is any example domain (SiteConfig.is_placeholder). tests/test_init.py keeps these equal
# to the repository's config.toml.
SAMPLE_VALUES = {
    "site.description": "Berita dan analisis pilihan, sebagai feed dan ringkasan email.",
    "site.postal_address": "Jl. Contoh No. 1, Jakarta 10110, Indonesia",
    "digest.from": "digest@news.example.org",  # the address, whatever the display name
    "digest.subject": "{site}: {count} artikel baru — {first_title}",
    "digest.subscribers": "reader@example.org",
}


# ---------------------------------------------------------------- the sections


class SiteConfig(Section):
    title: str = "Syndicate"
    description: str = "New articles, as feeds and an email digest."
    base_url: Annotated[str, checked(checks.absolute_url)] = "https://example.org/"
    language: Annotated[str, checked(checks.language_tag)] = "en"
    timezone: Annotated[str, checked(checks.known_zone)] = "UTC"
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
    def root(self) -> str:
        """The path of base_url ("/", or "/news/" under a prefix): where links between the
        site's own pages start. Root-relative, so the pages browse wherever the folder is
        served at that path (http://127.0.0.1:8080/ before the DNS exists); feeds and mail,
        read elsewhere, link with base_url itself."""
        rest = self.base_url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"

    @property
    def is_placeholder(self) -> bool:
        """Still the example URL: ids minted now would carry it forever."""
        return any(self.domain == d or self.domain.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


class PathsConfig(Section):
    inbox: AnyPath = Path("articles")
    feeds: AnyPath = Path("feeds")
    outbox: AnyPath = Path("outbox")
    state: AnyPath = Path("state")
    templates: AnyPath = Path("templates")


class FeedConfig(Section):
    entries: int = Field(50, ge=1, le=10_000)
    hub: Annotated[str, checked(checks.hub_url)] = ""  # WebSub hub URL; empty = none
    # Entries per RFC 5005 archive page (archive/atom-1.xml … numbered from the oldest, cut
    # only when full). Changing it re-cuts every page.
    archive_page_size: int = Field(50, ge=1, le=10_000)


class DigestConfig(Section):
    from_: Mailbox = Field("Syndicate <digest@example.org>", alias="from")
    subject: Annotated[str, checked(checks.subject_template)] = (
        "{site}: {count} new — {first_title}"
    )
    subscribers: list[Mailbox] = []
    reply_to: Mailbox | None = None
    # More articles than this in one digest are counted, not shown: past ~15 full articles an
    # email gets clipped by Gmail (102 KB) and nobody reads that far anyway.
    max_articles: int = Field(15, ge=1, le=100)
    # List-Id is "<list_id>"; empty = "<site-title-slug>.<site domain>" (RFC 2919).
    list_id: Annotated[str, checked(checks.list_id)] = ""
    # DKIM signing happens only when both a selector and the key ($SYNDICATE_DKIM_KEY) are set;
    # dkim_domain defaults to the From address's domain (DMARC alignment needs them to match).
    dkim_selector: Annotated[str, checked(checks.dns_name)] = ""
    dkim_domain: Annotated[str, checked(checks.dns_name)] = ""

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
    publish: Annotated[str, checked(checks.cron_line)] = "*/15 * * * *"
    digest: Annotated[str, checked(checks.cron_line)] = "0 7 * * *"


class NewsletterConfig(Section):
    """One `[[newsletters]]` table: a digest of its own, with its own cadence and filter
    (config/newsletters.py says how they are used). The checks of the list as a whole (ids
    unique, at least one default) are checks.newsletter_set."""

    id: Annotated[str, checked(checks.newsletter_id)]  # slug: digest ids, URLs, CSV; required
    name: str = ""  # what subscribers see; empty = the id
    schedule: Annotated[str, checked(checks.cron_line)] = "0 7 * * *"  # cron, site.timezone
    default: bool = False  # what a subscriber who chose nothing gets
    tags: Annotated[list[str], checked(checks.topic_tags)] = []  # one of these (empty: any)
    # One of these (empty: any); canonical BCP 47 tags of languages CLDR knows.
    languages: list[Annotated[str, checked(checks.language_tag)]] = []
    subject: Annotated[str, checked(checks.subject_template)] = ""  # empty = digest.subject


class DeliveryConfig(Section):
    method: Literal["maildir", "eml", "smtp", "sendmail"] = "maildir"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_timeout: float = Field(30.0, gt=0)  # seconds; also the limit for one sendmail
    # CA bundle to trust for a relay with a private or self-signed certificate; empty = the
    # system's trust store. Certificates are always verified.
    smtp_cafile: Annotated[Path | None, Field(strict=False)] = None
    smtp_connections: int = Field(1, ge=1, le=64)  # in parallel (sendmail: processes)
    rate_limit: float = Field(0.0, ge=0)  # messages per second over all connections; 0 = none
    # A message the relay may have taken (no reply after the end of DATA): keep it for the
    # operator ("hold"), or send it again with the same Message-ID ("resend").
    in_doubt: Literal["hold", "resend"] = "hold"
    relay_failures: int = Field(3, ge=1, le=1000)  # in a row: delivery stops for the run
    # Wait before retrying a temporary failure (4xx, relay down), doubled after each attempt
    # (up to 6 h); `serve` retries what is due on its own, runs retry what is due when they run.
    retry_seconds: float = Field(300.0, ge=1, le=86400)
    sendmail_path: str = "/usr/sbin/sendmail"
    # Envelope sender (VERP: bounces+<digest>.<subscriber>.<mac>@domain) and the mailto:
    # unsubscribe address; `syndicate bounces` reads what arrives there. Empty = the From
    # address, and no mailto: unsubscribe is advertised.
    bounce_address: Annotated[str, checked(checks.bare_address)] = ""
    soft_bounce_limit: int = Field(3, ge=1, le=100)  # soft bounces in a row = bounced

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> "DeliveryConfig":
        if self.method == "smtp" and self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "smtp_username is set but smtp_security is 'none': the password would cross"
                " the network in clear; use 'starttls' or 'tls'"
            )
        return self

    @property
    def smtp_password(self) -> str:
        return os.environ.get("SYNDICATE_SMTP_PASSWORD", "")


class ReadersConfig(Section):
    """Extra markers for the readers, on top of the built-in per-language lists
    (syndicate/data/readers.toml). Matching is case-insensitive, on whole lines."""

    furniture: Annotated[list[str], checked(checks.markers)] = []  # "Sumber", "Advertisement"
    byline_prefixes: Annotated[list[str], checked(checks.markers)] = []  # "Oleh", "By"
    related: Annotated[list[str], checked(checks.markers)] = []  # "Baca juga", "Read also"


class LimitsConfig(Section):
    max_article_bytes: int = Field(5_000_000, ge=1_000)


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # Double opt-in: a confirmation link is valid this long; unconfirmed addresses are then
    # forgotten.
    confirm_hours: int = Field(48, ge=1, le=24 * 30)
    # How often `serve` looks for deliveries left queued (a crash, a relay that was down) and
    # sends those due (delivery.retry_seconds sets the backoff of each).
    resume_seconds: float = Field(60.0, ge=1, le=3600)
    access_log: bool = True  # one stderr line per HTTP request
    # Host names besides site.base_url's (and loopback names on the listening port) that
    # requests may carry: anything else is refused before any route (DNS rebinding).
    allowed_hosts: list[Annotated[str, checked(checks.host_name)]] = []
    # Reverse proxies whose X-Forwarded-For names the client (addresses or CIDR networks);
    # from anyone else the header is ignored, so nobody picks their own client address.
    trusted_proxies: list[Annotated[str, checked(checks.proxy_network)]] = []
    # Per client address (IPv6: per /64), so one client cannot starve the others.
    connections_per_client: int = Field(32, ge=1, le=512)
    requests_per_client_second: float = Field(50.0, gt=0, le=10_000)
    requests_per_client_burst: int = Field(200, ge=1, le=100_000)
    # Subscribe form: posts per client address per hour, and confirmation messages per hour
    # in all; past either, 429 with Retry-After (a page in the site's language).
    subscribe_per_client_hour: int = Field(5, ge=1, le=10_000)
    subscribe_per_hour: int = Field(100, ge=1, le=1_000_000)
    # The console (/admin/): a login lasts this long, however active (then log in again).
    admin_session_hours: int = Field(12, ge=1, le=24 * 30)

    @model_validator(mode="after")
    def _limits_agree(self) -> "ServerConfig":
        if self.subscribe_per_client_hour > self.subscribe_per_hour:
            raise ValueError(
                "subscribe_per_client_hour is larger than subscribe_per_hour (the limit for"
                " all clients together)"
            )
        return self


class StateConfig(Section):
    """Where the state lives. Empty `url`: SQLite at paths.state/syndicate.db (the embedded
    default). `postgresql://user@host:5432/dbname`: PostgreSQL, for a publisher plus delivery
    workers on several hosts. The password never goes in the file: $SYNDICATE_STATE_PASSWORD,
    else whatever libpq finds itself (PGPASSWORD, ~/.pgpass, peer authentication)."""

    url: Annotated[str, checked(checks.postgresql_url)] = ""

    @property
    def password(self) -> str:
        return os.environ.get("SYNDICATE_STATE_PASSWORD", "")


class Config(Section):
    site: SiteConfig = Field(default_factory=SiteConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    feed: FeedConfig = Field(default_factory=FeedConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    readers: ReadersConfig = Field(default_factory=ReadersConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    # [[newsletters]]: several digests; none = one made of [digest] and schedule.digest.
    newsletters: Annotated[list[NewsletterConfig], checked(checks.newsletter_set)] = []
    root: AnyPath = Path(".")  # folder of the config file; relative paths resolve against it

    def path(self, name: Literal["inbox", "feeds", "outbox", "state", "templates"]) -> Path:
        p = getattr(self.paths, name)
        return p if p.is_absolute() else (self.root / p)

    @property
    def db_path(self) -> Path:
        return self.path("state") / "syndicate.db"

    def sample_leftovers(self) -> list[str]:
        """What the config still holds of the bundled sample, one line per key."""
        found = []
        if self.site.is_placeholder:
            found.append(
                f"site.base_url is still the example {self.site.base_url}: feed ids are minted"
                " from it and never change; set your site's address"
            )
        values = {
            "site.description": [self.site.description],
            "site.postal_address": [self.site.postal_address],
            "digest.from": [split_mailbox(self.digest.from_)[1].lower()],
            "digest.subject": [self.digest.subject],
            "digest.subscribers": [split_mailbox(m)[1].lower() for m in self.digest.subscribers],
        }
        for key, sample in SAMPLE_VALUES.items():
            if sample in values[key]:
                found.append(f"{key} is still the bundled sample's {sample!r}: set your own")
        return found

    def require_postal_address(self) -> None:
        """ConfigError unless `site.postal_address` is set: every digest's footer shows the
        sender's postal address (CAN-SPAM and most lists' rules), so none is sent without."""
        if not self.site.postal_address.strip():
            raise ConfigError(
                "site.postal_address is empty: the digest's footer must show your postal"
                " address; set it in the config before the first digest is sent"
            )


def _format_error(path: Path, problems: list[tuple[str, str]]) -> str:
    lines = [f"{path}: {len(problems)} problem(s) in the config:"]
    lines += [f"  {key}: {why}" for key, why in problems]
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
        raise ConfigError(_format_error(path, config_problems(exc))) from None
