"""config.toml → typed, validated settings.

Every error names the exact key (`digest.from`) and what is wrong with it; unknown keys are
errors too, because a typo that silently falls back to a default is the worst kind of
misconfiguration. Secrets never live in the file: they come from the environment
(`SYNDICATE_SMTP_PASSWORD`, `SYNDICATE_DKIM_KEY`).

Decision: plain immutable classes checked by a small converter (syndicate/settings.py)
instead of pydantic. Every command loads the config, and pydantic costs ~65 ms to import on
the 2-core developer machine (`python -X importtime`). msgspec imports fast but has no Path
type and reports a check made after decoding against the section, not the key. The settings
are ~45 keys of eight shapes, so the converter is short; every check runs at load, key by
key (the checks of single values are in checks.py; the addresses get email-validator's
strict check there, so an undeliverable `digest.from` stops every command, not only the
first that sends). Constructing a section in code runs the same checks and raises
`ConfigValueError`.
"""

# No `from __future__ import annotations` here: the settings' types are read from the
# annotations at the first load, and string annotations cost a compile per key (~2 ms of
# every command's start, typing.get_type_hints).
import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from syndicate import DEFAULT_CONFIG_NAME
from syndicate.config import checks
from syndicate.config.settings import ConfigError, ConfigValueError, Section, setting
from syndicate.core.addresses import split_mailbox

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
    base_url: str = setting("https://example.org/", check=checks.absolute_url)
    language: str = setting("en", check=checks.language_tag)
    timezone: str = setting("UTC", check=checks.known_zone)
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
    inbox: Path = Path("articles")
    feeds: Path = Path("feeds")
    outbox: Path = Path("outbox")
    state: Path = Path("state")
    templates: Path = Path("templates")


class FeedConfig(Section):
    entries: int = setting(50, ge=1, le=10_000)
    hub: str = setting("", check=checks.hub_url)  # WebSub hub URL; empty = none
    # Entries per RFC 5005 archive page (archive/atom-1.xml … numbered from the oldest, cut
    # only when full). Changing it re-cuts every page.
    archive_page_size: int = setting(50, ge=1, le=10_000)


class DigestConfig(Section):
    from_: str = setting("Syndicate <digest@example.org>", check=checks.mailbox, key="from")
    subject: str = setting("{site}: {count} new — {first_title}", check=checks.subject_template)
    subscribers: list[str] = setting([], each=checks.mailbox)
    reply_to: str | None = setting(None, check=checks.mailbox)
    # More articles than this in one digest are counted, not shown: past ~15 full articles an
    # email gets clipped by Gmail (102 KB) and nobody reads that far anyway.
    max_articles: int = setting(15, ge=1, le=100)
    # List-Id is "<list_id>"; empty = "<site-title-slug>.<site domain>" (RFC 2919).
    list_id: str = setting("", check=checks.list_id)
    # DKIM signing happens only when both a selector and the key ($SYNDICATE_DKIM_KEY) are set;
    # dkim_domain defaults to the From address's domain (DMARC alignment needs them to match).
    dkim_selector: str = setting("", check=checks.dns_name)
    dkim_domain: str = setting("", check=checks.dns_name)

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
    publish: str = setting("*/15 * * * *", check=checks.cron_line)
    digest: str = setting("0 7 * * *", check=checks.cron_line)


class NewsletterConfig(Section):
    """One `[[newsletters]]` table: a digest of its own, with its own cadence and filter
    (config/newsletters.py says how they are used)."""

    id: str = setting("", check=checks.newsletter_id)  # slug: digest ids, URLs, CSV
    name: str = ""  # what subscribers see; empty = the id
    schedule: str = setting("0 7 * * *", check=checks.cron_line)  # cron, site.timezone
    default: bool = False  # what a subscriber who chose nothing gets
    tags: list[str] = setting([], check=checks.topic_tags)  # one of these (empty: any)
    languages: list[str] = setting([], each=checks.language_tag)  # one of these (empty: any)
    subject: str = setting("", check=checks.subject_template)  # empty = digest.subject

    def _check(self) -> None:
        if not self.id:
            raise ValueError('id is missing: every newsletter needs one, e.g. id = "daily"')


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
    bounce_address: str = setting("", check=checks.bare_address)
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

    furniture: list[str] = setting([], check=checks.markers)  # "Sumber", "Advertisement"
    byline_prefixes: list[str] = setting([], check=checks.markers)  # "Oleh", "By"
    related: list[str] = setting([], check=checks.markers)  # "Baca juga", "Read also"


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
    # Host names besides site.base_url's (and loopback names on the listening port) that
    # requests may carry: anything else is refused before any route (DNS rebinding).
    allowed_hosts: list[str] = setting([], each=checks.host_name)
    # Reverse proxies whose X-Forwarded-For names the client (addresses or CIDR networks);
    # from anyone else the header is ignored, so nobody picks their own client address.
    trusted_proxies: list[str] = setting([], each=checks.proxy_network)
    # Per client address (IPv6: per /64), so one client cannot starve the others.
    connections_per_client: int = setting(32, ge=1, le=512)
    requests_per_client_second: float = setting(50.0, gt=0, le=10_000)
    requests_per_client_burst: int = setting(200, ge=1, le=100_000)
    # Subscribe form: posts per client address per hour, and confirmation messages per hour
    # in all; past either, 429 with Retry-After (a page in the site's language).
    subscribe_per_client_hour: int = setting(5, ge=1, le=10_000)
    subscribe_per_hour: int = setting(100, ge=1, le=1_000_000)

    def _check(self) -> None:
        if self.subscribe_per_client_hour > self.subscribe_per_hour:
            raise ValueError(
                "subscribe_per_client_hour is larger than subscribe_per_hour (the limit for"
                " all clients together)"
            )


class StateConfig(Section):
    """Where the state lives. Empty `url`: SQLite at paths.state/syndicate.db (the embedded
    default). `postgresql://user@host:5432/dbname`: PostgreSQL, for a publisher plus delivery
    workers on several hosts. The password never goes in the file: $SYNDICATE_STATE_PASSWORD,
    else whatever libpq finds itself (PGPASSWORD, ~/.pgpass, peer authentication)."""

    url: str = setting("", check=checks.postgresql_url)

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
    # [[newsletters]]: several digests; none = one made of [digest] and schedule.digest.
    newsletters: list[NewsletterConfig] = setting([])
    root: Path = Path(".")  # folder of the config file; relative paths resolve against it

    def _check(self) -> None:
        ids = [n.id for n in self.newsletters]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ConfigValueError([("newsletters", f"the id {twice[0]!r} is used twice")])
        if ids and not any(n.default for n in self.newsletters):
            why = (
                "none is `default = true`: mark the one(s) a subscriber who chose nothing gets"
                " (every subscriber from before [[newsletters]] too)"
            )
            raise ConfigValueError([("newsletters", why)])

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
