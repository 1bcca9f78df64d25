"""Dates as publishers write them → timezone-aware datetimes (or None).

Handles ISO 8601 and the common news formats in English and Indonesian ("27 November 2026",
"Nov. 27, 2026 10:30 EST", "Senin, 25 November 2024 10:30 WIB", "25/11/2024"). A date without a
zone is taken in the site's zone (`default_tz`), because that is where the publisher wrote it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

_MONTHS = {
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # Indonesian / Malay
    "januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "mei": 5, "juni": 6, "juli": 7,
    "agustus": 8, "agu": 8, "agt": 8, "oktober": 10, "okt": 10, "desember": 12, "des": 12,
}  # fmt: skip

_ZONES = {
    "utc": 0, "gmt": 0, "z": 0, "wib": 7, "wita": 8, "wit": 9, "est": -5, "edt": -4,
    "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "cet": 1, "cest": 2,
    "bst": 1, "jst": 9, "kst": 9, "sgt": 8, "hkt": 8, "ist": 5.5, "aest": 10, "aedt": 11,
}  # fmt: skip

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZONE = "|".join(sorted(_ZONES, key=len, reverse=True))
_TIME = (
    r"(?:\s*(?:,|at|pukul|jam|-|–|\|)?\s*(?P<hh>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<ss>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?"
    rf"(?:\s*(?P<zone>(?:{_ZONE})\b|(?:utc|gmt)?\s*[+-]\d{{1,2}}(?::?\d{{2}})?))?"
)
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<hh>\d{2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?",
    re.I,
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<d>\d{{1,2}})\.?\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b{_TIME}", re.I
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b{_TIME}",
    re.I,
)
_CJK_DATE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:\s*(?P<hh>\d{1,2})\s*[:：時时]\s*(?P<mi>\d{2})分?)?(?P<zone>)"
)
_NUMERIC = re.compile(rf"\b(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/(?P<y>\d{{4}})\b{_TIME}", re.I)


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
    y: int, mo: int, d: int, groups: dict[str, str | None], default_tz: tzinfo
) -> datetime | None:
    try:
        day = date(y, mo, d)
        hh = int(groups.get("hh") or 0)
        ampm = (groups.get("ampm") or "").replace(".", "").lower()
        if ampm == "pm" and hh < 12:
            hh += 12
        elif ampm == "am" and hh == 12:
            hh = 0
        clock = time(hh, int(groups.get("mi") or 0), int(groups.get("ss") or 0))
    except ValueError:
        return None
    return datetime.combine(day, clock, tzinfo=_zone(groups.get("zone"), default_tz))


def find_date(text: str, default_tz: tzinfo = UTC) -> tuple[datetime, re.Match[str]] | None:
    """The first date in `text`, and where it was."""
    for pattern in (_ISO, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _CJK_DATE, _NUMERIC):
        m = pattern.search(text)
        if not m:
            continue
        g = m.groupdict()
        month = int(g["m"]) if g.get("m") else _MONTHS[g["mon"].lower()]
        dt = _build(int(g["y"]), month, int(g["d"]), g, default_tz)
        if dt is not None:
            return dt, m
    return None


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
