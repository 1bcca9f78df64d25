"""Metadata publishers write into the article text itself: bylines, dates, datelines.

Shared by all three readers: a plain-text file has them as lines under the title, a Markdown
file as paragraphs, and an HTML page's extracted body often starts with them too. Everything
here works on plain strings and knows nothing about files or formats.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from syndicate.core.model import Author, Block
from syndicate.readers.dates import find_date, strip_marks, weekday_names
from syndicate.readers.markers import Markers, date_words, mentions_role
from syndicate.text.sentences import split_paragraph

_TERMINAL = tuple(".!?…:;,。！？؟۔、，；：")
_CLOSING_QUOTES = "\"'”’»」』)]"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSING_QUOTES).endswith(_TERMINAL)


# --- datelines -----------------------------------------------------------------------------

_DASH = r"(?:--|[-—–])"
_TITLE_PLACE = r"[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}"
_OUTLET = (
    r"(?:[A-Za-z0-9]+\.(?:[A-Za-z]{2,4}\.)?[A-Za-z]{2,4}|[A-Z0-9][A-Z0-9&]+(?: [A-Z][A-Za-z]+)?)"
)
_DATELINES = (
    # "Jakarta (ANTARA) - ": a capitalised place with an agency in parentheses.
    re.compile(rf"^(?P<place>{_TITLE_PLACE})\s*\([^)\n]{{1,40}}\)\s*{_DASH}\s+(?=\S)"),
    # "Liputan6.com, Jakarta - ", "TEMPO.CO, Jakarta - ": the outlet first.
    re.compile(rf"^{_OUTLET}\s*,\s*(?P<place>{_TITLE_PLACE})\s+{_DASH}\s+(?=\S)"),
    # "JAKARTA, KOMPAS.com - ", "SPRINGFIELD — ", "WASHINGTON (Reuters) - ",
    # "LONDON, Nov 27 (AP) —": an all-caps place, then anything short.
    re.compile(
        r"^(?P<place>[A-Z][A-Z'’.]+(?:[ -][A-Z][A-Z'’.]*){0,3})"
        r"(?:\s*,\s*[^,—–\n]{1,40}?)?(?:\s*\([^)\n]{1,40}\))?"
        rf"\s*{_DASH}\s+(?=\S)"
    ),
    # "Jakarta - ", "Jakarta, CNN Indonesia -- ": a capitalised place, maybe an outlet, and a
    # spaced dash (an unspaced one is a compound word: "Jakarta-Bandung").
    re.compile(rf"^(?P<place>{_TITLE_PLACE})(?:\s*,\s*{_OUTLET})?\s+{_DASH}\s+(?=\S)"),
)
# In scripts without capitals (Arabic, Hebrew, CJK) a dateline is one or two words and a dash
# with spaces around it: "عمّان — ".
_UNCASED_DATELINE = re.compile(
    r"^(?P<place>[^\s\d\W]\S{1,20}(?: \S{2,20})?)\s+(?:--|[-—–])\s+(?=\S)"
)


def match_dateline(text: str) -> tuple[str, int] | None:
    """("JAKARTA", length of the dateline prefix) when `text` opens with a dateline."""
    for pattern in _DATELINES:
        m = pattern.match(text)
        # The story starts right after a dateline: "NATO - the alliance …" is not one.
        if m and not text[m.end()].islower():
            return m.group("place").strip(" ,"), m.end()
    m = _UNCASED_DATELINE.match(text)
    # Letters and combining marks only (Arabic vowel signs such as the shadda in "عمّان").
    if m and all(
        (ch.isalpha() and _uncased(ch)) or unicodedata.category(ch).startswith("M") or ch == " "
        for ch in m.group("place")
    ):
        return m.group("place"), m.end()
    return None


def take_dateline(blocks: list[Block]) -> tuple[list[Block], str | None]:
    """Strip a dateline ("JAKARTA, KOMPAS.com - ") from the first paragraph; return the place."""
    for i, block in enumerate(blocks[:2]):
        if block.kind != "paragraph":
            continue
        found = match_dateline(block.text)
        if found:
            place, end = found
            rest = block.text[end:].strip()
            return [*blocks[:i], Block("paragraph", rest), *blocks[i + 1 :]], place
        break
    return blocks, None


# --- bylines and dates ---------------------------------------------------------------------

# Words a person's name may contain in lower case.
NAME_PARTICLES = frozenset(
    "van von der den de del della di da du la le bin binti al el ibn y and dan & und".split()  # noqa: SIM905
)
_NAME_ROLE_SPLIT = re.compile(r"\s*(?:[,|/(]|\s[-–—]\s|\b(?:for|untuk|pour|para|für)\b)\s*")
# "URL: https://…" in an email-header-style block under the title.
_URL_LINE = re.compile(r"^(?:url|link|canonical|permalink|tautan)\s*:\s*(https?://\S+)$", re.I)
_NAME_AND_OUTLET = re.compile(r"^(?P<name>[^,|\-–—]{3,60}?)\s*(?:,|\s[-–—|]\s)\s*(?P<outlet>\S+)$")


def _signed(text: str) -> str | None:
    """'Andi Saputra - detikFinance', 'Jane Doe, BBC News': a name and the outlet's one-word
    name (camel-cased, dotted or all caps), with no "By" in front."""
    m = _NAME_AND_OUTLET.match(text)
    if not m:
        return None
    outlet = m.group("outlet")
    looks_like_outlet = (
        "." in outlet.strip(".") or outlet.isupper() or re.search(r"[a-z][A-Z]", outlet) is not None
    )
    name = as_name(m.group("name"))
    return name if looks_like_outlet and name == m.group("name").strip() else None


def _is_role(text: str, markers: Markers) -> bool:
    """'Staff Writer', 'Energy correspondent', 'Wartawan Kompas.com' under a byline."""
    return len(text.split()) <= 5 and mentions_role(text, markers) and not ends_sentence(text)


def as_name(text: str) -> str | None:
    """The person's name in a byline fragment ("Jane Doe, Staff Writer" → "Jane Doe"), or None."""
    candidate = _NAME_ROLE_SPLIT.split(text.strip(), maxsplit=1)[0].strip(" .:-–—")
    if not candidate or len(candidate) > 60 or any(ch.isdigit() for ch in candidate):
        return None
    if candidate.endswith(tuple("!?;。！？؟")):
        return None
    words = candidate.split()
    if not 1 <= len(words) <= 6:
        return None
    cased = [w for w in words if any(ch.isalpha() and (ch.isupper() or ch.islower()) for ch in w)]
    if not cased:
        # Scripts without case (Arabic, Hebrew, CJK): short is all we can check.
        return candidate if len(candidate) <= 30 and len(words) <= 4 else None
    for word in words:
        if word.casefold() in NAME_PARTICLES:
            continue
        first_letter = next((ch for ch in word if ch.isalpha()), "")
        if first_letter and not first_letter.isupper() and not _uncased(first_letter):
            return None
    if all(w.casefold() in NAME_PARTICLES for w in words):
        return None
    return candidate


def _uncased(ch: str) -> bool:
    return not (ch.isupper() or ch.islower())


def byline_name(text: str, prefixes: tuple[str, ...]) -> str | None:
    """'By Jane Doe' / 'Oleh: Budi Santoso' / 'Penulis: X | Editor: Y' → the name."""
    for prefix in prefixes:
        if not text.casefold().startswith(prefix.casefold()):
            continue
        rest = text[len(prefix) :]
        if rest[:1].isalnum() and not _CJK.match(rest[:1]) and not _CJK.match(prefix[-1:]):
            continue  # "Byron …" is not "By ron"
        rest = rest.lstrip(" :：-–—")
        # "Jane Doe, Staff Reporter" is one name and a role; "A, B and C" are three names.
        several = re.search(r"\s(?:and|dan|&)\s", rest)
        names = re.split(r"\s+(?:and|dan|&)\s+|\s*,\s*" if several else r"\s+&\s+", rest)
        first = as_name(names[0]) if names else None
        if first is None:
            continue
        every = [as_name(x) for x in names]
        if len(every) > 1 and all(every):
            return f"{', '.join(every[:-1])} and {every[-1]}"  # type: ignore[arg-type]
        return first
    return None


_LEFTOVER_WORD = re.compile(r"[\w'’.]+")


def _date_line(text: str, default_tz: tzinfo) -> tuple[str, datetime] | None:
    """'Published: 27 November 2026 10:00 WIB', 'Le 3 mars 2025', '2025年3月3日' →
    ('published' or 'updated', datetime); None when the line is more than a date."""
    if len(text) > 90:
        return None
    found = find_date(text, default_tz)
    if not found:
        return None
    dt, (start, end) = found
    rest = text[end:].strip()
    if rest.endswith((".", "!", "?", "。", "！", "？")):
        return None  # a sentence that mentions a date ("Le gouvernement a annoncé le 3 mars.")
    labels, updated = date_words()
    leftover = strip_marks(f"{text[:start]} {text[end:]}").casefold()
    words = [
        w
        for w in _LEFTOVER_WORD.findall(leftover)
        if w.strip(".") and w.strip(".") not in labels and w.strip(".") not in weekday_names()
    ]
    # Allow a site name or a short label ("Kompas.com - 26/11/2026, 14:30 WIB").
    if len(words) > 2:
        return None
    head = strip_marks(text).casefold().lstrip(" *_-–—:|")
    return ("updated" if head.startswith(updated) else "published", dt)


@dataclass
class TopMeta:
    """What the lines right under a title said about the article."""

    author: Author | None = None
    published: datetime | None = None
    updated: datetime | None = None
    url: str | None = None
    dek: str = ""  # the standfirst: one sentence between the title and the byline


# "By Jane Doe | 27 Nov 2026 · 10:00": the parts of a meta line.
_META_PARTS = re.compile(r"\s+[|·•/]\s+")
# A standfirst is one sentence, and not a long one.
_MAX_DEK_WORDS = 45


def is_standfirst(text: str) -> bool:
    """One whole sentence of at most 45 words: what a dek under a headline looks like."""
    return (
        ends_sentence(text)
        and not text.rstrip(_CLOSING_QUOTES).endswith((":", ";", ","))
        and len(text.split()) <= _MAX_DEK_WORDS
        and len(split_paragraph(text)) == 1
    )


def read_top_meta(
    texts: Sequence[str], markers: Markers, default_tz: tzinfo
) -> tuple[int, TopMeta]:
    """Bylines, date lines and "URL:" lines right under the title ("By Jane Doe | 27 Nov
    2026"): how many of `texts` they take (at most 4 lines, after a standfirst), and what
    they said. A one-sentence paragraph right above a byline is the standfirst (the dek)."""
    found = TopMeta()
    byline_prefixes = markers.byline

    def take_date(text: str) -> bool:
        dated = _date_line(text, default_tz)
        if not dated:
            return False
        kind, dt = dated
        if kind == "updated" or found.published is not None:
            found.updated = found.updated or dt
        else:
            found.published = dt
        return True

    def take_part(part: str) -> bool:
        if found.author is None and (name := byline_name(part, byline_prefixes) or _signed(part)):
            found.author = Author(name=name)
            return True
        if found.url is None and (link := _URL_LINE.match(part)):
            found.url = link.group(1)
            return True
        return take_date(part) or (found.author is not None and _is_role(part, markers))

    taken = 0
    if (
        len(texts) > 2
        and is_standfirst(texts[0])
        and byline_name(_META_PARTS.split(texts[1])[0], byline_prefixes)
    ):
        found.dek, texts, taken = texts[0], texts[1:], 1
    for text in texts[:4]:
        if len(text) > 160:
            break
        if not (take_date(text) or all(map(take_part, _META_PARTS.split(text)))):
            break
        taken += 1
    return taken, found


def take_top_meta(
    blocks: list[Block], markers: Markers, default_tz: tzinfo
) -> tuple[list[Block], TopMeta]:
    """`read_top_meta` over the leading paragraphs of an extracted body."""
    leading = []
    for block in blocks:
        if block.kind != "paragraph":
            break
        leading.append(block.text)
    taken, found = read_top_meta(leading, markers, default_tz)
    return blocks[taken:], found
