"""config.toml → typed, validated settings.

Every error names the exact key (`digest.from`) and what is wrong with it; unknown keys are
errors too, because a typo that silently falls back to a default is the worst kind of
misconfiguration. Secrets never live in the file: they come from the environment
(`SYNDICATE_SMTP_PASSWORD`, `SYNDICATE_DKIM_KEY`).

Decision: plain immutable classes checked by a small converter (`_Section`) instead of
pydantic + email-validator. Every command loads the config, and those two cost
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
import types
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_CONFIG_NAME = "config.toml"


class ConfigError(Exception):
    """The config file is missing or invalid; the message says which key and why."""


class ConfigValueError(ConfigError, ValueError):
    """Settings that fail their checks; `problems` are (dotted key, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {why}" for key, why in problems))


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


# ---------------------------------------------------------------- the converter


class Setting:
    """A setting's default and checks (see `setting`)."""

    __slots__ = ("check", "default", "each", "factory", "ge", "gt", "key", "le")

    def __init__(self, default: Any, factory: Any, meta: dict[str, Any]) -> None:
        self.default, self.factory = default, factory
        for name in ("ge", "gt", "le", "check", "each", "key"):
            setattr(self, name, meta.get(name))

    def make_default(self) -> Any:
        return self.factory() if self.factory is not None else self.default


def setting(
    default: Any = None,
    *,
    factory: Any = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    check: Any = None,
    each: Any = None,
    key: str | None = None,
) -> Any:
    """A setting's default (or `factory` for one) and checks: bounds, `check(value) ->
    value` (ValueError when wrong), `each` for every list item, `key` when the TOML key is
    not the attribute name."""
    if isinstance(default, list):
        default, factory = None, (lambda items=tuple(default): list(items))
    meta = {"ge": ge, "gt": gt, "le": le, "check": check, "each": each, "key": key}
    return Setting(default, factory, meta)


def _type_name(kind: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _convert(kind: Any, value: Any) -> Any:
    """`value` as `kind` (str, int, float, bool, Path, Literal, list[…], X | None, a
    section), or ValueError saying what was expected."""
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        return _convert(next(o for o in options if o is not type(None)), value)
    if origin is Literal:
        if value not in get_args(kind):
            choices = ", ".join(repr(c) for c in get_args(kind))
            raise ValueError(f"must be one of {choices}, not {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        (item_kind,) = get_args(kind)
        return [_convert(item_kind, item) for item in value]
    if isinstance(kind, type) and issubclass(kind, _Section):
        if isinstance(value, kind):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"expected a table of settings, got {value!r}")
        return kind.from_dict(value)
    if kind is Path:
        if isinstance(value, Path):
            return value
        if isinstance(value, str):
            return Path(value)
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ValueError(f"expected {_type_name(kind)}, got {value!r}")


class _Section:
    """A table of the config: immutable, and every setting converted and checked when it is
    constructed. Settings are declared as annotated class attributes (`port: int = 8080`, or
    `= setting(…)` for checks). Not a dataclass: the decorator costs ~1 ms a class at every
    start, and every command starts by loading the config."""

    _settings: ClassVar[dict[str, Setting]] = {}
    _types: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        settings = {}
        # inspect.get_annotations would import inspect (~3 ms); the class's own dict is enough
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
            if name.startswith("_"):
                continue
            value = cls.__dict__.get(name)
            if isinstance(value, type) and issubclass(value, _Section):
                value = Setting(None, value, {})
            elif not isinstance(value, Setting):
                value = Setting(value, None, {})
            settings[name] = value
            if name in cls.__dict__:
                delattr(cls, name)  # instances hold the values
        cls._settings = settings
        cls._types = {}  # resolved on first use: the annotations are strings until then

    @classmethod
    def _resolved_types(cls) -> dict[str, Any]:
        if not cls._types:
            import typing

            cls._types = typing.get_type_hints(cls)
        return cls._types

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Any:
        """A section from a TOML table; unknown keys are errors, reported with the others."""
        by_key = {s.key or name: name for name, s in cls._settings.items()}
        problems = [
            (key, "unknown key (typo?); see the configuration reference in README.md")
            for key in raw
            if key not in by_key
        ]
        values = {by_key[k]: v for k, v in raw.items() if k in by_key}
        try:
            section = cls(**values)
        except ConfigValueError as exc:
            problems += exc.problems
        if problems:
            raise ConfigValueError(problems)
        return section

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(self._settings)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown setting(s) {sorted(unknown)}")
        problems: list[tuple[str, str]] = []
        types_ = self._resolved_types()
        for name, spec in self._settings.items():
            key = spec.key or name
            value = values[name] if name in values else spec.make_default()
            try:
                value = _checked(_convert(types_[name], value), spec)
            except ConfigValueError as exc:  # a nested section
                problems += [(f"{key}.{k}", why) for k, why in exc.problems]
                continue
            except ValueError as exc:
                problems.append((key, str(exc)))
                continue
            object.__setattr__(self, name, value)
        if not problems:
            try:
                self._check()
            except ValueError as exc:
                problems.append(("(table)", str(exc)))
        if problems:
            raise ConfigValueError(problems)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use model_copy(update=…)")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._settings)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._settings)
        return f"{type(self).__name__}({inner})"

    def _check(self) -> None:
        """Checks across settings of the section."""

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with some settings changed (checked again)."""
        values = {n: getattr(self, n) for n in self._settings}
        return type(self)(**{**values, **(update or {})})

    def model_dump(self) -> dict[str, Any]:
        out = {}
        for name, spec in self._settings.items():
            value = getattr(self, name)
            if isinstance(value, _Section):
                value = value.model_dump()
            elif isinstance(value, Path):
                value = str(value)
            out[spec.key or name] = value
        return out


def _checked(value: Any, spec: Setting) -> Any:
    if value is None:
        return value
    if spec.ge is not None and value < spec.ge:
        raise ValueError(f"must be greater than or equal to {spec.ge}")
    if spec.gt is not None and value <= spec.gt:
        raise ValueError(f"must be greater than {spec.gt}")
    if spec.le is not None and value > spec.le:
        raise ValueError(f"must be less than or equal to {spec.le}")
    if spec.each is not None:
        value = [spec.each(item) for item in value]
    if spec.check is not None:
        value = spec.check(value)
    return value


# ---------------------------------------------------------------- the sections


class SiteConfig(_Section):
    title: str = "Syndicate"
    description: str = "New articles, as feeds and an email digest."
    base_url: str = setting("https://example.org/", check=_absolute_url)
    language: str = "en"
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


class PathsConfig(_Section):
    inbox: Path = Path("articles")
    feeds: Path = Path("feeds")
    outbox: Path = Path("outbox")
    state: Path = Path("state")
    templates: Path = Path("templates")


class FeedConfig(_Section):
    entries: int = setting(50, ge=1, le=10_000)
    hub: str = setting("", check=_hub_url)  # WebSub hub URL; empty = none
    # Entries per RFC 5005 archive page (archive/atom-1.xml … numbered from the oldest, cut
    # only when full). Changing it re-cuts every page.
    archive_page_size: int = setting(50, ge=1, le=10_000)


class DigestConfig(_Section):
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


class ScheduleConfig(_Section):
    publish: str = setting("*/15 * * * *", check=_check_cron)
    digest: str = setting("0 7 * * *", check=_check_cron)


class DeliveryConfig(_Section):
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


class ReadersConfig(_Section):
    """Extra markers for the readers, on top of the built-in per-language lists
    (syndicate/data/readers.toml). Matching is case-insensitive, on whole lines."""

    furniture: list[str] = setting([], check=_no_blank_markers)  # "Sumber", "Advertisement"
    byline_prefixes: list[str] = setting([], check=_no_blank_markers)  # "Oleh", "By"
    related: list[str] = setting([], check=_no_blank_markers)  # "Baca juga", "Read also"


class LimitsConfig(_Section):
    max_article_bytes: int = setting(5_000_000, ge=1_000)


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = setting(8080, ge=0, le=65535)


class Config(_Section):
    site: SiteConfig = SiteConfig
    paths: PathsConfig = PathsConfig
    feed: FeedConfig = FeedConfig
    digest: DigestConfig = DigestConfig
    schedule: ScheduleConfig = ScheduleConfig
    delivery: DeliveryConfig = DeliveryConfig
    readers: ReadersConfig = ReadersConfig
    limits: LimitsConfig = LimitsConfig
    server: ServerConfig = ServerConfig
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
