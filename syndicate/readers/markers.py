"""Furniture, related-link, tag, byline and author-box markers: built-in per-language lists
(data/readers.toml) + user config."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # readers only read the config's attributes
    from syndicate.config import ReadersConfig


@dataclass(frozen=True)
class Markers:
    related: tuple[str, ...]
    furniture: tuple[str, ...]
    tags: tuple[str, ...]
    byline: tuple[str, ...]
    about_author: tuple[str, ...] = ()
    author_subject: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MarkerMatch:
    marker: str
    payload: str  # what follows the marker after a separator ("Sumber: Reuters" → "Reuters")
    bare: bool = False  # the line is only the marker ("Baca juga:"): something follows below


# Separators between a marker and its payload: "Sumber: Reuters", "Baca juga - X", "Editor | Y".
# A dash only counts with spaces around it: "Sumber-sumber mengatakan" is a sentence.
_SEPARATOR = re.compile(r"\s*[:：|]\s*|\s+[-–—]+\s+")
_TRAILING = ".:：…"


def _dedupe(items: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        key = item.strip().casefold()
        if key and key not in seen:
            seen[key] = item.strip()
    # Longest first, so "Baca juga" wins over "Baca" and "Read more" over "Read".
    return tuple(sorted(seen.values(), key=lambda m: (-len(m), m.casefold())))


@lru_cache(maxsize=1)
def _builtin() -> dict[str, dict[str, list[str]]]:
    # Via the regular package "syndicate": data/ has no __init__.py (it holds only data).
    raw = resources.files("syndicate").joinpath("data/readers.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def reader_languages() -> tuple[str, ...]:
    """The languages the readers know: the tables of data/readers.toml, in file order."""
    return tuple(_builtin())


@lru_cache(maxsize=1)
def date_words() -> tuple[frozenset[str], tuple[str, ...]]:
    """(words that may stand around a date on a date line, labels that say it is an update),
    casefolded, from every language's `date_words` and `updated` lists."""
    words: set[str] = set()
    updated: list[str] = []
    for per_language in _builtin().values():
        for phrase in per_language.get("date_words", []) + per_language.get("updated", []):
            words.update(_WORD.findall(phrase.casefold()))
        updated.extend(u.casefold() for u in per_language.get("updated", []))
    return frozenset(words), tuple(sorted(set(updated), key=len, reverse=True))


_WORD = re.compile(r"[\w'’]+")
_MARKER_KINDS = (
    "related", "furniture", "tags", "byline", "about_author", "author_subject", "roles",
)  # fmt: skip


def load_markers(config: ReadersConfig | None = None) -> Markers:
    """All languages' built-in markers plus the user's extras from `[readers]`."""
    lists: dict[str, list[str]] = {kind: [] for kind in _MARKER_KINDS}
    for per_language in _builtin().values():
        for kind in _MARKER_KINDS:
            lists[kind].extend(per_language.get(kind, []))
    if config is not None:
        lists["furniture"].extend(config.furniture)
        lists["byline"].extend(config.byline_prefixes)
        lists["related"].extend(config.related)
    return Markers(**{kind: _dedupe(items) for kind, items in lists.items()})


@lru_cache(maxsize=64)
def _folded(markers: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((marker, marker.casefold()) for marker in markers)


def match_marker(line: str, markers: tuple[str, ...], *, max_words: int = 12) -> MarkerMatch | None:
    """Does `line` start with one of `markers` as a furniture line would? See data/readers.toml."""
    if len(line) > 400:
        return None  # a paragraph, not a furniture line; keeps 5 MB files fast
    folded = line.casefold()
    for marker, m in _folded(markers):
        if not folded.startswith(m):
            continue
        rest = line[len(marker) :]
        if not rest.strip(_TRAILING + " "):
            return MarkerMatch(marker, "", bare=True)
        sep = _SEPARATOR.match(rest)
        if sep:
            return MarkerMatch(marker, rest[sep.end() :].strip())
        if rest[0].isalnum() and not _is_cjk(rest[0]):
            # "Sourcey" is not "Source"; only whole words count.
            continue
        if rest.rstrip().endswith((":", "：")) and len(line.split()) <= max_words:
            return MarkerMatch(marker, "", bare=True)
        # Markers of two words or more are distinctive enough to match as the start of a short
        # line: "Simak breaking news dan berita pilihan kami langsung di ponselmu."
        if len(marker.split()) >= 2 and len(line.split()) <= 15:
            return MarkerMatch(marker, "")
    return None


@lru_cache(maxsize=16)
def _roles_pattern(roles: tuple[str, ...]) -> re.Pattern[str]:
    # Word beginnings ("correspondent" also finds "correspondents"); in scripts written without
    # spaces a role is found anywhere.
    parts = [re.escape(r) if _is_cjk(r[0]) else rf"(?<!\w){re.escape(r)}" for r in roles]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


def mentions_role(text: str, markers: Markers) -> bool:
    """Does `text` speak of the writer's trade ("Staff Writer", "… covers transport for …")?"""
    return _roles_pattern(markers.roles).search(text) is not None


def furniture_kind(line: str, markers: Markers) -> tuple[str, str] | None:
    """What a furniture line is, or None for article text:
    ("related", headline) — 'Baca juga: Headline';
    ("announce", "")      — a bare 'Baca juga:' (the headlines follow on the next lines);
    ("drop", "")          — 'Sumber: Reuters', '© 2026 …', 'Simak breaking news …'."""
    rel = match_marker(line, markers.related)
    if rel is not None:
        if rel.payload:
            return "related", rel.payload
        return ("announce", "") if rel.bare else ("drop", "")
    junk = match_marker(line, markers.furniture)
    if (junk is not None and len(junk.payload.split()) <= 15) or is_boilerplate(line):
        return "drop", ""
    return None


# Lines that are page furniture in any language, whatever the configured markers.
_BOILERPLATE = (
    re.compile(r"^(?:©|\(c\)|copyright\b|hak cipta\b)", re.I),  # footers
    re.compile(r"^\(\s*[a-z]{2,5}(?:/[a-z]{2,5})+\s*\)$"),  # editors' initials: "(abc/dna)"
    re.compile(r"^\[\w+:[^\]\n]{0,80}\]$"),  # embed placeholders: "[Gambas:Video 20detik]"
    # wire credits closing a story: "Jane Doe contributed to this report."
    re.compile(r"^[^.!?\n]{3,120}\bcontributed (?:to this report|reporting)\.?$", re.I),
    re.compile(r"^write to [^.!?\n]{3,80} at \S+@\S+$", re.I),  # "Write to Al Root at …@…"
)


def is_boilerplate(line: str) -> bool:
    """'© 2026 Northern Ledger. All rights reserved.', '(abc/dna)', '[Gambas:Video 20detik]'."""
    return len(line.split()) <= 25 and any(p.match(line) for p in _BOILERPLATE)


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
