"""Dates as publishers write them → timezone-aware datetimes (or None).

Month and weekday names for every language the readers know (the tables of
data/readers.toml: English, Indonesian, Malay, Arabic, Hebrew, Chinese, Japanese, French,
Spanish, Portuguese, German) come from CLDR through Babel's locale data — wide and abbreviated,
format and stand-alone forms, and every regional variant (Levantine "آذار" and Maghrebi
"مارس" for March, Austrian "Jänner"). So do the little words CLDR's own long date patterns put
between the parts ("3 de marzo de 2025") and the prefix Hebrew glues to a month ("3 במרץ").
What is left by hand is the handful of shapes those names sit in: day month year, month day
year, year年month月day日, ISO 8601 and numeric day/month/year.

Why not dateparser: it parses all of these too, but its search mode finds "dates" in words
like "now" and "Mon" (a byline line must be a whole date or nothing), and it loads a
language's models the first time it meets the language — tens of MB each, every language at
once when it has to guess. We only ever look for a whole date on a short line, so the names
are the hard part, and CLDR has them.

The tables are built once per process, on the first date lookup.

A date without a zone is taken in the site's zone (`default_tz`), because that is where the
publisher wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

from syndicate.readers.markers import reader_languages

# Spellings CLDR does not carry but publishers use.
_EXTRA_MONTHS = {
    "sept": 9, "pebruari": 2, "agt": 8, "agu": 8, "nop": 11, "nopember": 11, "jän": 1,
    "mac": 3,
}  # fmt: skip

_ZONES = {
    "utc": 0, "gmt": 0, "z": 0, "wib": 7, "wita": 8, "wit": 9, "est": -5, "edt": -4,
    "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2,
    "mez": 1, "mesz": 2, "bst": 1, "jst": 9, "kst": 9, "sgt": 8, "myt": 8, "hkt": 8,
    "ist": 5.5, "aest": 10, "aedt": 11, "brt": -3, "wet": 0, "west": 1, "eet": 2, "eest": 3,
}  # fmt: skip
_ZONE = "|".join(sorted(_ZONES, key=len, reverse=True))
_ZONE_PART = rf"(?P<zone>(?:{_ZONE})\b|(?:utc|gmt)?\s*[+-]\d{{1,2}}(?::?\d{{2}})?)"
# A clock time shortly after the date, after at most two short connecting words ("à", "um",
# "às", "a las", "pukul", "at", "الساعة", "בשעה"): "10:30", "10.30", "10h30", "6:45 p.m.".
_TIME_AFTER = re.compile(
    r"\s*(?:[,|·/–—-]\s*)?(?:[^\W\d]{1,8}\.?\s+){0,2}"
    r"(?P<hh>\d{1,2})\s?[:.hH]\s?(?P<mi>\d{2})(?::(?P<ss>\d{2}))?(?!\d)"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\.?))?"
    rf"(?:\s*(?:uhr\b|h\b)?\s*(?:\(?{_ZONE_PART}\)?)?)?",
    re.I,
)
_ZONE_AFTER = re.compile(rf"\s*,?\s*\(?{_ZONE_PART}", re.I)

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<hh>\d{2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?",
    re.I,
)
_CJK_DATE = re.compile(
    r"(?P<y>\d{4})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})\s*[日일]"
    r"(?:\s*[(（][^)）]{1,4}[)）])?"  # a weekday in brackets: 2025年3月3日（月）
    r"(?:\s*(?P<hh>\d{1,2})\s*[:：時时]\s*(?P<mi>\d{2})分?)?"
)
_NUMERIC = re.compile(r"(?<![\d.])(?P<d>\d{1,2})([/.-])(?P<m>\d{1,2})\2(?P<y>\d{4})(?![\d])")
_YEAR_FIRST = re.compile(r"(?<![\d.])(?P<y>\d{4})([/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\d])")

_YEAR = re.compile(r"\d{4}")
# Digits other scripts write (Arabic-Indic, Persian, full-width): one character each, so
# translating them to ASCII keeps every position in the text.
_DIGITS = str.maketrans(
    {chr(base + i): str(i) for base in (0x0660, 0x06F0, 0xFF10) for i in range(10)}
)


@dataclass(frozen=True)
class _Calendar:
    months: dict[str, int]  # casefolded name → month number
    weekdays: frozenset[str]  # casefolded weekday names, every width
    day_month_year: re.Pattern[str]
    month_day_year: re.Pattern[str]


def _calendar_names(data: object, kind: str) -> list[tuple[int, str]]:
    """(number, name) pairs of `months` or `days` in raw locale data: context → width →
    number → name. Raw (unmerged) regional data holds only what differs from its parent, and
    may hold aliases instead of tables; only real names count."""
    out: list[tuple[int, str]] = []
    table = data.get(kind, {}) if isinstance(data, dict) else {}
    for context in ("format", "stand-alone"):
        widths = table.get(context, {}) if isinstance(table, dict) else {}
        for width in ("wide", "abbreviated"):
            names = widths.get(width, {}) if isinstance(widths, dict) else {}
            if isinstance(names, dict):
                out.extend((n, v) for n, v in names.items() if isinstance(v, str))
    return out


@lru_cache(maxsize=1)
def calendar() -> _Calendar:
    """The month/weekday tables and patterns for every reader language (built once)."""
    from babel import Locale, localedata

    wanted = set(reader_languages())
    months: dict[str, set[int]] = {}
    weekdays: set[str] = set()
    connectors: set[str] = {"of"}  # "the 3rd of March 2025"
    prefixes: set[str] = set()

    def add(pairs: list[tuple[int, str]], into_months: bool) -> None:
        for number, name in pairs:
            key = _name_key(name)
            # "3月" and "三月" are the CJK pattern's business; digits never make a name.
            if not key or any(ch.isdigit() or _is_cjk(ch) for ch in key):
                continue
            if into_months:
                months.setdefault(key, set()).add(number)
            else:
                weekdays.add(key)

    for language in sorted(wanted):
        # The language's own locale, merged (root data included).
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                add(list(dict(locale.months[context][width]).items()), True)
                add(list(dict(locale.days[context][width]).items()), False)
        for width in ("long", "full", "medium"):
            pattern = locale.date_formats[width].pattern
            # Quoted literals between the parts: 'de' in "d 'de' MMMM 'de' y".
            connectors.update(w.casefold() for w in re.findall(r"'([^']+)'", pattern))
            # A literal glued to the month: "d בMMMM y" (Hebrew's "in").
            prefixes.update(re.findall(r"([^\W\d_A-Za-z]+)M{3,}", pattern))
    for identifier in localedata.locale_identifiers():
        language, _, region = identifier.partition("_")
        # Regional variants (ar_SY "آذار", de_AT "Jänner"), read unmerged: only what differs.
        # Not other scripts (en_Shaw, ms_Arab): a Latin-script language's readers never see them.
        script = region.split("_")[0] if region else ""
        if language not in wanted or not region or (len(script) == 4 and language != "zh"):
            continue
        raw = localedata.load(identifier, merge_inherited=False)
        add(_calendar_names(raw, "months"), True)
        add(_calendar_names(raw, "days"), False)
    for key, number in _EXTRA_MONTHS.items():
        months.setdefault(key, set()).add(number)
    # A name that is a different month in two languages is no evidence of either.
    table = {k: next(iter(v)) for k, v in months.items() if len(v) == 1}
    # "تشرين الأول" is two words; CLDR separates them with a no-break space, writers with either.
    month = "|".join(
        r"\s+".join(map(re.escape, m.split())) for m in sorted(table, key=len, reverse=True)
    )
    prefix = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    connector = "|".join(re.escape(c.strip()) for c in sorted(connectors, key=len, reverse=True))
    joint = rf"(?:\s*[,.-]?\s*(?:(?:{connector})\s+)?)"  # " ", ". ", " de ", ", "
    name = rf"(?:(?:{prefix})-?)?(?P<mon>{month})\.?" if prefix else rf"(?P<mon>{month})\.?"
    ordinal = r"(?:\.|er|e|º|ª|st|nd|rd|th)?"
    return _Calendar(
        months=table,
        weekdays=frozenset(weekdays),
        day_month_year=re.compile(
            rf"(?<!\w)(?P<d>\d{{1,2}}){ordinal}{joint}{name}(?!\w){joint}(?P<y>\d{{4}})(?!\d)",
            re.I,
        ),
        month_day_year=re.compile(
            rf"(?<!\w){name}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)",
            re.I,
        ),
    )


def _name_key(name: str) -> str:
    return " ".join(name.casefold().rstrip(".").split())


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


def _zone(text: str | None, default_tz: tzinfo) -> tzinfo:
    if not text:
        return default_tz
    key = text.strip().lower()
    if key in _ZONES:
        return timezone(timedelta(hours=_ZONES[key]))
    m = re.search(r"([+-])(\d{1,2}):?(\d{2})?$", key)
    if not m:
        return default_tz
    sign = -1 if m.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))


def _build(
    y: int, mo: int, d: int, clock: dict[str, str | None], default_tz: tzinfo
) -> datetime | None:
    try:
        day = date(y, mo, d)
        hh = int(clock.get("hh") or 0)
        ampm = re.sub(r"[.\s]", "", clock.get("ampm") or "").lower()
        if ampm == "pm" and hh < 12:
            hh += 12
        elif ampm == "am" and hh == 12:
            hh = 0
        at = time(hh, int(clock.get("mi") or 0), int(clock.get("ss") or 0))
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=_zone(clock.get("zone"), default_tz))


def _clock_after(text: str, end: int) -> tuple[dict[str, str | None], int]:
    """A time (and zone) right after a date: its fields and where it ends."""
    m = _TIME_AFTER.match(text, end)
    if m:
        return m.groupdict(), m.end()
    z = _ZONE_AFTER.match(text, end)
    if z:
        return {"zone": z.group("zone")}, z.end()
    return {}, end


def find_date(text: str, default_tz: tzinfo = UTC) -> tuple[datetime, tuple[int, int]] | None:
    """The first date in `text`, and the span (start, end) it takes, time and zone included."""
    text = text.translate(_DIGITS)
    if not _YEAR.search(text):
        return None  # every shape has a four-digit year; most lines have none (no Babel load)
    cal = calendar()
    candidates: list[tuple[int, datetime, int]] = []
    for pattern in (_ISO, _CJK_DATE, cal.day_month_year, cal.month_day_year):
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = int(g["m"]) if g.get("m") else cal.months.get(_name_key(g["mon"]))
            if not month:
                continue
            clock, end = g, m.end()
            if not g.get("hh"):
                extra, end = _clock_after(text, m.end())
                clock = {**g, **extra}
            dt = _build(int(g["y"]), month, int(g["d"]), clock, default_tz)
            if dt is not None:
                candidates.append((m.start(), dt, end))
                break
    for pattern in (_NUMERIC, _YEAR_FIRST):
        for m in pattern.finditer(text):
            d, mo, y = int(m.group("d")), int(m.group("m")), int(m.group("y"))
            clock, end = _clock_after(text, m.end())
            # Day first, as nearly everywhere; a month over 12 means the American order.
            dt = _build(y, mo, d, clock, default_tz) or _build(y, d, mo, clock, default_tz)
            if dt is not None:
                candidates.append((m.start(), dt, end))
                break
    if not candidates:
        return None
    start, dt, end = min(candidates, key=lambda c: c[0])
    return dt, (start, end)


def weekday_names() -> frozenset[str]:
    """Casefolded weekday names in every reader language (for telling a date line)."""
    return calendar().weekdays


def strip_marks(text: str) -> str:
    """Arabic and Hebrew vowel signs off ("نُشر" → "نشر"), for comparing words."""
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("M"))


def parse_date(value: object, default_tz: tzinfo = UTC) -> datetime | None:
    """Front matter / metadata values: datetime, date, or a string in a format we know."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=default_tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=default_tz)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        return dt if dt.tzinfo else dt.replace(tzinfo=default_tz)
    except ValueError:
        pass
    found = find_date(text, default_tz)
    return found[0] if found else None
