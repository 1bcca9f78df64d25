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
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from syndicate.core.language import detect_language
from syndicate.core.model import Article, Author, Block, RelatedLink
from syndicate.readers.bios import Closing, find_author_box, sign_off_name
from syndicate.readers.errors import ArticleError
from syndicate.readers.frontmatter import (
    apply_front_matter,
    front_matter_author,
    split_front_matter,
)
from syndicate.readers.hygiene import single_line
from syndicate.readers.markers import Markers, is_boilerplate, match_marker
from syndicate.readers.meta import ends_sentence, read_top_meta, take_dateline

if TYPE_CHECKING:
    from syndicate.readers.read import ReadContext

# Bullet markers publishers use in plain text. "—" is not one: "— Jane Doe" is a sign-off.
_BULLET = re.compile(
    r"^\s*(?P<marker>[•\-*·▪◦‣●○■□➢➤►✓✔–]|\d{1,3}[.)]|\(\d{1,3}\))\s+(?P<text>\S.*)$"
)
# "Tags: a, b" / "URL: https://…": a metadata line, never the continuation of a wrapped one.
_HEADER_FIELD = re.compile(r"^[A-Z][A-Za-z ]{1,20}:\s")
# Lines that only separate things: "***", "* * *", "---", "===", "___", "~~~".
_RULE = re.compile(r"^\s*([-=*_~#•·])(\s*\1){2,}\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Line:
    """One logical line of the body: hard-wrapped lines are already joined."""

    text: str
    marker: str = ""  # bullet marker, "" for none
    alone: bool = True  # blank lines (or the file edge) before and after it


@dataclass
class _Found:
    author: Author | None = None
    dek: str = ""
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
    known_author: str | None = None,
) -> Article:
    """Turn normalized plain text (see hygiene.normalize) into an Article. `known_author` is
    the author front matter names, so that the bio at the end is recognised as theirs."""
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
    found = _Found(author=Author(name=known_author) if known_author else None)
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
        dek=found.dek,
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
                    (wrapped and len(logical[-1][1]) >= 40 and not ends_sentence(logical[-1][1]))
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


def _take_top_meta(
    lines: list[Line], markers: Markers, found: _Found, default_tz: tzinfo
) -> list[Line]:
    """Bylines and date lines right under the title (see meta.read_top_meta)."""
    leading = []
    for line in lines:
        if re.fullmatch(r"\d{1,2}\.", line.marker):
            # "3. März 2025" reads as item 3 of a numbered list; under the title it may be a
            # German date line, which read_top_meta takes or leaves like any other line.
            leading.append(f"{line.marker} {line.text}")
            continue
        if line.marker:
            break
        leading.append(line.text)
    taken, top = read_top_meta(leading, markers, default_tz)
    found.author = found.author or top.author
    found.dek = found.dek or top.dek
    found.published = found.published or top.published
    found.updated = found.updated or top.updated
    found.url = found.url or top.url
    return lines[taken:]


def _take_closing_byline(lines: list[Line], markers: Markers, found: _Found) -> list[Line]:
    """The author's box at the end (see bios.py): the author and bio leave the body."""
    start = len(lines)
    if lines and lines[-1].marker in ("-", "–") and (len(lines) < 2 or not lines[-2].marker):
        start -= 1  # "- Jane Doe is a freelance writer." reads as a one-item list
    while start > 0 and not lines[start - 1].marker:
        start -= 1
    tail = [Closing(f"— {ln.text}" if ln.marker else ln.text) for ln in lines[start:]]
    box = find_author_box(
        tail,
        known=found.author.name if found.author else None,
        earlier=[ln.text for ln in lines[:start]],
        markers=markers,
    )
    if box is not None:
        found.author = box[1]
        return lines[: start + box[0]]
    # A sign-off on the last line: "— Jane Doe", "(Jane Doe)", "Oleh: Jane Doe".
    name = sign_off_name(tail[-1].text, markers) if tail else None
    if name:
        found.author = found.author or Author(name=name)
        return lines[:-1]
    return lines


# --- blocks --------------------------------------------------------------------------------


def _is_heading_like(text: str) -> bool:
    if not any(ch.isalpha() for ch in text) or len(text) > 100:
        return False
    if ends_sentence(text):
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
    author = front_matter_author(meta)
    article = read_text(
        body,
        source=context.source,
        markers=context.markers,
        default_tz=context.default_tz,
        language_hint=meta.get("lang")
        if isinstance(meta.get("lang"), str)
        else context.language_hint,
        known_author=author.name if author else None,
    )
    return apply_front_matter(article, meta, context.default_tz)
