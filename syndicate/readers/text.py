"""Plain-text articles → Article.

The shape we expect is the one news sites produce when a page is copied as text: a title line,
maybe a byline and a date, paragraphs separated by blank lines, short section headings (some
with a "•" in front), bullet lists, a dateline ("JAKARTA, KOMPAS.com - …"), page furniture
("Baca juga:", "Sumber", "Editor: …") and often an author box at the end (a name line, then a
bio paragraph that starts with that name). Everything here is heuristics over lines, tuned to
keep article text when in doubt: dropping a real paragraph is worse than keeping a stray line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from syndicate.language import detect_language
from syndicate.model import Article, Author, Block, RelatedLink
from syndicate.readers.dates import find_date
from syndicate.readers.errors import ArticleError
from syndicate.readers.frontmatter import apply_front_matter, split_front_matter
from syndicate.readers.hygiene import single_line
from syndicate.readers.markers import Markers, is_boilerplate, match_marker

if TYPE_CHECKING:
    from syndicate.readers import ReadContext

# Bullet markers publishers use in plain text. "—" is not one: "— Jane Doe" is a sign-off.
_BULLET = re.compile(
    r"^\s*(?P<marker>[•\-*·▪◦‣●○■□➢➤►✓✔–]|\d{1,3}[.)]|\(\d{1,3}\))\s+(?P<text>\S.*)$"
)
# "Tags: a, b" / "URL: https://…": a metadata line, never the continuation of a wrapped one.
_HEADER_FIELD = re.compile(r"^[A-Z][A-Za-z ]{1,20}:\s")
# Lines that only separate things: "***", "* * *", "---", "===", "___", "~~~".
_RULE = re.compile(r"^\s*([-=*_~#•·])(\s*\1){2,}\s*$")
_TERMINAL = tuple(".!?…:;,。！？؟۔、，；：")
_CLOSING_QUOTES = "\"'”’»」』)]"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_URL = re.compile(r"https?://\S+")

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

# Words a person's name may contain in lower case.
_NAME_PARTICLES = frozenset(
    "van von der den de del della di da du la le bin binti al el ibn y and dan & und".split()  # noqa: SIM905
)
_NAME_ROLE_SPLIT = re.compile(r"\s*(?:[,|/(]|\s[-–—]\s|\bfor\b|\buntuk\b)\s*")
_DATE_LABELS = re.compile(
    r"\b(published|posted|updated|last updated|modified|date|diterbitkan|dipublikasikan|"
    r"diperbarui|diperbaharui|tanggal|pembaruan|terbit|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|on|pada)\b",
    re.I,
)
_UPDATED_LABEL = re.compile(r"^\s*(updated|last updated|modified|diperbarui|diperbaharui|"
                            r"pembaruan|更新)", re.I)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One logical line of the body: hard-wrapped lines are already joined."""

    text: str
    marker: str = ""  # bullet marker, "" for none
    alone: bool = True  # blank lines (or the file edge) before and after it


@dataclass
class _Found:
    author: Author | None = None
    published: datetime | None = None
    updated: datetime | None = None
    location: str | None = None
    url: str | None = None
    related: list[RelatedLink] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def read_text(
    text: str,
    *,
    source: str,
    markers: Markers,
    default_tz: tzinfo = UTC,
    language_hint: str | None = None,
) -> Article:
    """Turn normalized plain text (see hygiene.normalize) into an Article."""
    # The title is the first non-empty line as written, never joined with what follows it.
    head, _, rest = text.strip().partition("\n")
    title = _clean_title(head)
    if not title:
        raise ArticleError("empty file")
    if len(title) > _MAX_TITLE:
        # A file without a title line: its first line is a paragraph. Title it with the first
        # sentence (or a cut at a word boundary) and keep the whole line as body text.
        title, rest = _title_from_paragraph(title), f"{head}\n\n{rest}"
    body = split_lines(rest)
    found = _Found()
    body = _drop_furniture(body, markers, found)
    body = _take_top_meta(body, markers, found, default_tz)
    body = _take_closing_byline(body, markers, found)
    blocks = _blocks(body)
    blocks, found.location = take_dateline(blocks)
    if not blocks:
        raise ArticleError("title but no body text")
    language = detect_language("\n".join([title, *(b.text for b in blocks)]), hint=language_hint)
    return Article(
        source=source,
        title=title,
        blocks=tuple(blocks),
        author=found.author,
        language=language,
        published=found.published,
        updated=found.updated,
        tags=tuple(dict.fromkeys(found.tags)),
        url=found.url,
        location=found.location,
        related=tuple(dict.fromkeys(found.related)),
    )


# --- lines ---------------------------------------------------------------------------------


def split_lines(text: str) -> list[Line]:
    """Blank-line separated groups → logical lines (bullets split out, hard wraps joined)."""
    out: list[Line] = []
    for group in re.split(r"\n\s*\n", text):
        raw = [ln for ln in group.split("\n") if ln.strip() and not _RULE.match(ln)]
        if not raw:
            continue
        # A group whose lines are all ≤ 100 characters was hard-wrapped by the writer's editor;
        # a group with longer lines is one paragraph per line (common in copy-pasted pages).
        wrapped = len(raw) > 1 and max(len(ln) for ln in raw[:-1]) <= 100
        logical: list[tuple[str, str]] = []  # (marker, text)
        for ln in raw:
            bullet = _BULLET.match(ln)
            if bullet:
                logical.append((bullet.group("marker"), bullet.group("text").strip()))
                continue
            stripped = ln.strip()
            continues = (
                logical
                and not _HEADER_FIELD.match(stripped)
                and (
                    (wrapped and len(logical[-1][1]) >= 40 and not _ends_sentence(logical[-1][1]))
                    or (wrapped and len(logical[-1][1]) >= 60)
                    or (logical[-1][0] and ln[:1].isspace())  # indented continuation of a bullet
                )
            )
            if continues:
                marker, prev = logical[-1]
                logical[-1] = (marker, _join_wrapped(prev, stripped))
            else:
                logical.append(("", stripped))
        alone = len(logical) == 1
        out.extend(Line(single_line(t), m, alone) for m, t in logical)
    return out


def _join_wrapped(left: str, right: str) -> str:
    if _CJK.match(left[-1:]) and _CJK.match(right[:1]):
        return left + right
    return f"{left} {right}"


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSING_QUOTES).endswith(_TERMINAL)


_MAX_TITLE = 250
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’»)]*(?:\s+|(?=[^\x00-\x7f]))")


def _title_from_paragraph(paragraph: str) -> str:
    first = _SENTENCE_END.split(paragraph, maxsplit=1)[0].strip()
    if 0 < len(first) <= _MAX_TITLE:
        return first
    cut = paragraph[:200].rsplit(" ", 1)[0] if " " in paragraph[:200] else paragraph[:200]
    return cut.rstrip(" ,;:") + "…"


def _clean_title(line: str) -> str:
    title = line.lstrip("#").strip()
    title = re.sub(r"^(title|judul)\s*:\s*", "", title, flags=re.I)
    return single_line(title)


# --- furniture and related links -----------------------------------------------------------


def _headline(text: str) -> RelatedLink | None:
    """A related-article line: a short headline, maybe with its URL."""
    url_match = _URL.search(text)
    url = url_match.group().rstrip(").,>]") if url_match else None
    title = _URL.sub("", text).strip(" -–—|()<>[]:")
    if not title and not url:
        return None
    if len(title.split()) > 25 or (title and title[-1] in ".!;" and len(title.split()) > 12):
        return None
    return RelatedLink(title=title or (url or ""), url=url)


def _drop_furniture(lines: list[Line], markers: Markers, found: _Found) -> list[Line]:
    kept: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        rel = match_marker(line.text, markers.related)
        if rel is not None:
            if rel.payload:
                link = _headline(rel.payload)
                if link:
                    found.related.append(link)
                continue
            if not rel.bare:
                continue  # "Baca juga berita lainnya di sini": furniture, no headline
            # A bare "Baca juga:": the headlines are the short lines right after it, up to the
            # first real paragraph, another marker, or the end of their group.
            first = True
            while i < len(lines):
                nxt = lines[i]
                if not first and nxt.alone:
                    break
                if _is_marker(nxt.text, markers) or not _is_headline_like(nxt.text):
                    break
                link = _headline(nxt.text)
                if link is None:
                    break
                if link.title == link.url and found.related and found.related[-1].url is None:
                    found.related[-1] = RelatedLink(found.related[-1].title, link.url)
                else:
                    found.related.append(link)
                i += 1
                first = False
                if nxt.alone:
                    break
            continue
        tag = match_marker(line.text, markers.tags)
        if tag is not None and tag.payload:
            found.tags.extend(
                t.strip().lstrip("#").strip()
                for t in re.split(r"[,;·|#]", tag.payload)
                if t.strip()
            )
            continue
        junk = match_marker(line.text, markers.furniture)
        if (junk is not None and len(junk.payload.split()) <= 15) or is_boilerplate(line.text):
            continue
        kept.append(line)
    return kept


def _is_marker(text: str, markers: Markers) -> bool:
    return any(
        match_marker(text, kind) is not None
        for kind in (markers.related, markers.furniture, markers.tags)
    )


def _is_headline_like(text: str) -> bool:
    words = len(text.split())
    if _URL.fullmatch(text.strip()):
        return True
    return 0 < words <= 25 and not (text.endswith((".", "!", ";")) and words > 12)


# --- bylines and dates ---------------------------------------------------------------------


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
        if word.casefold() in _NAME_PARTICLES:
            continue
        first_letter = next((ch for ch in word if ch.isalpha()), "")
        if first_letter and not first_letter.isupper() and not _uncased(first_letter):
            return None
    if all(w.casefold() in _NAME_PARTICLES for w in words):
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
        return (
            " and ".join(n for n in (as_name(x) for x in names) if n)
            if len(names) > 1 and all(as_name(x) for x in names)
            else first
        )
    return None


def _date_line(text: str, default_tz: tzinfo) -> tuple[str, datetime] | None:
    """'Published: 27 November 2026 10:00 WIB' → ('published', datetime)."""
    if len(text) > 90:
        return None
    found = find_date(text, default_tz)
    if not found:
        return None
    dt, m = found
    leftover = _DATE_LABELS.sub("", text[: m.start()] + text[m.end() :])
    # Allow a site name or a short label ("Kompas.com - 26/11/2026, 14:30 WIB").
    if len(re.sub(r"[^\w.]+", " ", leftover).split()) > 2:
        return None
    return ("updated" if _UPDATED_LABEL.match(text) else "published", dt)


def _take_top_meta(
    lines: list[Line], markers: Markers, found: _Found, default_tz: tzinfo
) -> list[Line]:
    """Bylines and date lines right under the title ("By Jane Doe | 27 Nov 2026")."""

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
        if found.author is None and (name := byline_name(part, markers.byline) or _signed(part)):
            found.author = Author(name=name)
            return True
        if found.url is None and (link := _URL_LINE.match(part)):
            found.url = link.group(1)
            return True
        return take_date(part) or (found.author is not None and _is_role(part))

    i = 0
    while i < min(len(lines), 4) and len(lines[i].text) <= 160 and not lines[i].marker:
        text = lines[i].text
        if not (take_date(text) or all(map(take_part, re.split(r"\s+[|·•/]\s+", text)))):
            break
        i += 1
    return lines[i:]


_ABOUT_AUTHOR = re.compile(
    r"^(?:about the authors?|about me|tentang penulis|profil penulis|biodata penulis)\s*:?$", re.I
)
_BIO_SUBJECT = re.compile(
    r"^(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})\s+(?:is|was|has|adalah|merupakan|ialah)\b"
)
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


_ROLES = re.compile(
    r"\b(staff|writer|reporter|correspondent|editor|contributor|columnist|journalist|"
    r"wartawan|kontributor|koresponden|jurnalis|redaktur|penulis)\b",
    re.I,
)


def _is_role(text: str) -> bool:
    """'Staff Writer', 'Energy correspondent', 'Wartawan Kompas.com' under a byline."""
    return len(text.split()) <= 5 and bool(_ROLES.search(text)) and not _ends_sentence(text)


def _take_closing_byline(lines: list[Line], markers: Markers, found: _Found) -> list[Line]:
    """An author box at the end: 'Name' + 'Name is …' bio, or a closing 'Oleh: X' / '— X'."""
    # "About the author" + "Jane Doe is a reporter …": the name is the bio's subject.
    for i in range(len(lines) - 2, max(-1, len(lines) - 6), -1):
        if not _ABOUT_AUTHOR.match(lines[i].text):
            continue
        bio = lines[i + 1].text
        subject = _BIO_SUBJECT.match(bio)
        name = as_name(subject.group("name")) if subject else None
        if name and (found.author is None or found.author.name == name):
            found.author = Author(name=name, bio=bio)
            return lines[:i] + lines[i + 2 :]
    # Name line followed by a bio paragraph that starts with the name (or its first/last word).
    for i in range(len(lines) - 2, max(-1, len(lines) - 6), -1):
        name = as_name(lines[i].text) if not lines[i].marker else None
        if not name or lines[i].text != name:
            continue
        bio = lines[i + 1].text
        words = name.split()
        if (
            any(bio.startswith(f"{w} ") for w in {name, words[0], words[-1]})
            and len(bio) > len(name) + 20
        ) and (found.author is None or found.author.name == name):
            found.author = Author(name=name, bio=bio)
            return lines[:i] + lines[i + 2 :]
    # A sign-off on the last line: "— Jane Doe", "(Jane Doe)", "Oleh: Jane Doe". A dash
    # sign-off parses as a one-item list ("– Jane Doe"), so a lone dash item counts too.
    if lines:
        last = lines[-1]
        lone_dash_item = last.marker in ("-", "–") and (len(lines) < 2 or not lines[-2].marker)
        sign_off = re.match(r"^(?:--?|[—–])\s*(.+)$", last.text) or re.match(
            r"^[(（]\s*(.+?)\s*[)）]$", last.text
        )
        name = None
        if not last.marker or lone_dash_item:
            candidate = last.text if lone_dash_item else (sign_off.group(1) if sign_off else "")
            name = byline_name(last.text, markers.byline) or (
                as_name(candidate) if candidate and candidate == as_name(candidate) else None
            )
        if name:
            if found.author is None:
                found.author = Author(name=name)
            return lines[:-1]
    return lines


# --- blocks --------------------------------------------------------------------------------


def _is_heading_like(text: str) -> bool:
    if not any(ch.isalpha() for ch in text) or len(text) > 100:
        return False
    if _ends_sentence(text):
        return False
    first = next(ch for ch in text if ch.isalpha())
    if first.islower():
        return False
    if _CJK.search(text):
        return len(text) <= 30
    return len(text.split()) <= 12


def _blocks(lines: list[Line]) -> list[Block]:
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i > 0 else None
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        followed_by_text = nxt is not None and not nxt.marker and not _is_heading_like(nxt.text)
        followed_by_content = nxt is not None and (nxt.marker or not _is_heading_like(nxt.text))
        if line.marker:
            # "  • Keuntungan geopolitik" standing alone between paragraphs is a section title
            # the publisher styled as a bullet; a run of bullets is a list.
            if (
                line.alone
                and _is_heading_like(line.text)
                and followed_by_text
                and (prev is None or not prev.marker or blocks[-1].kind == "heading")
            ):
                blocks.append(Block("heading", line.text, line.marker))
            else:
                blocks.append(Block("item", line.text, line.marker))
        elif _is_heading_like(line.text) and followed_by_content:
            blocks.append(Block("heading", line.text))
        else:
            blocks.append(Block("paragraph", line.text))
    return blocks


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


def take_top_meta(
    blocks: list[Block], markers: Markers, default_tz: tzinfo
) -> tuple[list[Block], Author | None, datetime | None]:
    """Byline and date paragraphs at the top of an extracted body ("By Jane Doe | 27 Nov")."""
    found = _Found()
    lines = [Line(b.text, b.marker) for b in blocks]
    rest = _take_top_meta(lines, markers, found, default_tz)
    return blocks[len(lines) - len(rest) :], found.author, found.published


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


def read_text_file(text: str, context: ReadContext) -> Article:
    """A plain-text inbox file, with optional YAML/TOML front matter (which wins)."""
    meta, body = split_front_matter(text)
    if meta is None:
        return read_text(
            text,
            source=context.source,
            markers=context.markers,
            default_tz=context.default_tz,
            language_hint=context.language_hint,
        )
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        # The reader takes the first line as the title; give it the publisher's.
        first = body.lstrip().split("\n", 1)[0].strip()
        if single_line(first.lstrip("#").strip()) != single_line(title):
            body = f"{single_line(title)}\n\n{body}"
    article = read_text(
        body,
        source=context.source,
        markers=context.markers,
        default_tz=context.default_tz,
        language_hint=meta.get("lang")
        if isinstance(meta.get("lang"), str)
        else context.language_hint,
    )
    return apply_front_matter(article, meta, context.default_tz)
