"""Markdown articles (CommonMark + tables, via markdown-it-py) with YAML/TOML front matter.

Blocks come from the parsed token stream, so Markdown syntax never leaks into the text the
summarizer and the plain-text digest see. The HTML body is rendered from the same tokens and
then sanitized with nh3: raw HTML is allowed in Markdown, and an inbox file is untrusted input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from syndicate.readers.hygiene import clean_field, single_line
from syndicate.readers.markers import Markers, furniture_kind
from syndicate.readers.meta import match_dateline, read_top_meta
from syndicate.readers.sanitize import clean_html, html_to_text

if TYPE_CHECKING:
    from markdown_it.token import Token

    from syndicate.readers.read import ReadContext


@dataclass
class _Part:
    """One top-level block of the document: its tokens and what it means."""

    tokens: list[Token]
    blocks: list[Block] = field(default_factory=list)
    heading_level: int = 0


def _parser():  # -> MarkdownIt
    from markdown_it import MarkdownIt

    # "html": raw HTML is parsed (and sanitized afterwards) instead of shown as escaped tags,
    # which is what a publisher who pastes an <iframe> or <sup> means.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: formatting dropped, entities already decoded."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and child.content.lower().startswith("<br")
        ):
            out.append(" ")
        # Images' alt text is not article prose; other inline HTML is markup, not text.
    return clean_field("".join(out))


def _first_link(token: Token) -> str | None:
    for child in token.children or []:
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            if href.startswith(("http://", "https://")):
                return href
    return None


def _images(part: _Part) -> list[str]:
    """Absolute image URLs in a part, in order."""
    return [
        str(child.attrs.get("src", ""))
        for token in part.tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "image"
        and str(child.attrs.get("src", "")).startswith(("http://", "https://"))
    ]


def _top_level_parts(tokens: list[Token]) -> list[_Part]:
    parts: list[_Part] = []
    depth = 0
    for token in tokens:
        if depth == 0:
            parts.append(_Part(tokens=[]))
        parts[-1].tokens.append(token)
        depth += token.nesting
    return parts


def _describe(part: _Part) -> None:
    """Fill part.blocks: headings, paragraphs and list items in reading order."""
    markers: list[str] = []  # bullet markers of the open list items, innermost last
    in_item_paragraph = [False]
    row: list[str] | None = None  # cells of the table row being read
    for token in part.tokens:
        kind = token.type
        if kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            # A table row reads as one line: "Jakarta | 10.5 | 2.1".
            if any(row):
                part.blocks.append(Block("paragraph", " | ".join(row)))
            row = None
        elif kind == "inline" and row is not None:
            row.append(_inline_text(token))
        elif kind == "heading_open":
            part.heading_level = part.heading_level or int(token.tag[1])
        elif kind == "list_item_open":
            markers.append(f"{token.info}{token.markup}" if token.info else token.markup)
            in_item_paragraph.append(False)
        elif kind == "list_item_close":
            markers.pop()
            in_item_paragraph.pop()
        elif kind == "inline":
            text = _inline_text(token)
            if not text:
                continue
            if part.heading_level:
                part.blocks.append(Block("heading", text))
            elif markers and not in_item_paragraph[-1]:
                # The first paragraph of a list item is the item; later ones continue it.
                part.blocks.append(Block("item", text, markers[-1]))
                in_item_paragraph[-1] = True
            elif markers and part.blocks and part.blocks[-1].kind == "item":
                last = part.blocks[-1]
                part.blocks[-1] = Block("item", f"{last.text} {text}", last.marker)
            else:
                part.blocks.append(Block("paragraph", text))
        elif kind in ("fence", "code_block"):
            # Blocks are prose, one line each (the plain-text body separates them with blank
            # lines); the code keeps its layout in body_html.
            code = clean_field(token.content)
            if code:
                part.blocks.append(Block("paragraph", code))
        elif kind == "html_block":
            text = html_to_text(token.content)
            if text:
                part.blocks.append(Block("paragraph", text))


def _lead_text(block: Block) -> str:
    """A paragraph's text; a one-item list "3. März 2025" (a German date line that Markdown
    reads as a list starting at 3) as written, for read_top_meta to take or leave."""
    return f"{block.marker} {block.text}" if block.kind == "item" else block.text


def _is_furniture(part: _Part, markers: Markers, related: list[RelatedLink]) -> bool:
    """'**Baca juga:** [Headline](url)' → a related link; 'Sumber: Reuters' → dropped."""
    if len(part.blocks) != 1 or part.blocks[0].kind != "paragraph":
        return False
    kind = furniture_kind(part.blocks[0].text, markers)
    if kind is None:
        return False
    if kind[0] == "related" and kind[1]:
        inline = next((t for t in part.tokens if t.type == "inline"), None)
        url = _first_link(inline) if inline is not None else None
        related.append(RelatedLink(title=kind[1], url=url))
    return True


def _take_headlines(part: _Part, related: list[RelatedLink]) -> bool:
    """The paragraph or list right after a bare "Read also:": each line a linked headline."""
    if part.heading_level or not part.blocks:
        return False
    inlines = [t for t in part.tokens if t.type == "inline"]
    if len(inlines) != len(part.blocks) or any(len(b.text.split()) > 25 for b in part.blocks):
        return False
    links = [_first_link(t) for t in inlines]
    if not all(links) and len(part.blocks) > 1:
        return False
    related.extend(RelatedLink(b.text, url) for b, url in zip(part.blocks, links, strict=True))
    return True


def _take_dateline(parts: list[_Part]) -> str | None:
    """Strip a dateline from the first paragraph, in its block and in the tokens (for HTML)."""
    for part in parts[:2]:
        if part.heading_level:
            continue
        if not part.blocks or part.blocks[0].kind != "paragraph":
            return None
        found = match_dateline(part.blocks[0].text)
        if not found:
            return None
        place, end = found
        prefix = part.blocks[0].text[:end]
        part.blocks[0] = Block("paragraph", part.blocks[0].text[end:].strip())
        inline = next((t for t in part.tokens if t.type == "inline"), None)
        first = (inline.children or [None])[0] if inline is not None else None
        # Only when the dateline is plain text; "**JAKARTA** —" stays in the HTML, which is
        # harmless, rather than us rewriting formatted markup.
        if first is not None and first.type == "text" and first.content.startswith(prefix):
            first.content = first.content[len(prefix) :].lstrip()
        return place
    return None


def _closing(part: _Part, last: bool) -> Closing | None:
    """A part as the author's box sees it: one paragraph or heading (italics noted), or, as
    the very last part, a one-item dash list ("- Jane Doe is a freelance writer.")."""
    if len(part.blocks) != 1:
        return None
    block = part.blocks[0]
    if block.kind == "item":
        return Closing(f"— {block.text}") if last and block.marker in ("-", "–") else None
    inline = next((t for t in part.tokens if t.type == "inline"), None)
    children = (inline.children or []) if inline is not None else []
    italic = bool(children) and children[0].type == "em_open" and children[-1].type == "em_close"
    return Closing(block.text, set_apart=italic, heading=bool(part.heading_level))


def _take_author_box(
    parts: list[_Part], known: Author | None, markers: Markers
) -> tuple[list[_Part], Author | None]:
    """The author's box at the end (bios.py), or a sign-off ("— Jane Doe", "*Oleh: Budi*"):
    out of the body, into the author."""
    tail: list[Closing] = []
    for part in reversed(parts):
        closing = _closing(part, last=not tail)
        if closing is None:
            break
        tail.insert(0, closing)
    start = len(parts) - len(tail)
    earlier = [b.text for part in parts[:start] for b in part.blocks]
    box = find_author_box(
        tail, known=known.name if known else None, earlier=earlier, markers=markers
    )
    if box is not None:
        return parts[: start + box[0]], box[1]
    name = sign_off_name(tail[-1].text, markers) if tail and not tail[-1].heading else None
    if name:
        return parts[:-1], known or Author(name=name)
    return parts, known


def read_markdown(text: str, context: ReadContext) -> Article:
    meta, body = split_front_matter(text)
    meta = meta or {}
    md = _parser()
    parts = _top_level_parts(md.parse(body))
    for part in parts:
        _describe(part)
    # Keep rules and pictures for body_html even though they add no text blocks.
    parts = [p for p in parts if p.blocks or p.tokens[0].type == "hr" or _images(p)]
    lead_image = next((src for p in parts for src in _images(p)), None)
    while parts and not parts[0].blocks and not _images(parts[0]):
        parts.pop(0)  # a leading "---" rule

    title = meta.get("title") if isinstance(meta.get("title"), str) else None
    if title and parts and parts[0].heading_level and parts[0].blocks[0].text == single_line(title):
        parts.pop(0)  # the body repeats the front matter title
    if not title and parts and parts[0].heading_level:
        # The document's first heading is its title (and not also a section of its body).
        title = parts.pop(0).blocks[0].text
    if not title and parts and parts[0].blocks and parts[0].blocks[0].kind == "paragraph":
        title = parts.pop(0).blocks[0].text
    title = single_line(title or "")
    if not title:
        raise ArticleError("no title: no front matter title and no text to take one from")

    related: list[RelatedLink] = []
    kept: list[_Part] = []
    expect_headlines = False
    for part in parts:
        if expect_headlines and _take_headlines(part, related):
            expect_headlines = False
            continue
        expect_headlines = False
        if _is_furniture(part, context.markers, related):
            # A bare "Baca juga:" announces headlines in the next paragraph or list.
            text = part.blocks[0].text
            expect_headlines = furniture_kind(text, context.markers) == ("announce", "")
            continue
        kept.append(part)
    # "*By Jane Doe*", "27 November 2026" paragraphs right under the title.
    lead = 0
    while lead < min(len(kept), 4) and len(kept[lead].blocks) == 1 and not kept[lead].heading_level:
        lead += 1
    texts = [_lead_text(p.blocks[0]) for p in kept[:lead] if p.blocks[0].kind != "heading"]
    taken, top = read_top_meta(texts, context.markers, context.default_tz)
    kept = kept[taken:]
    known = top.author or front_matter_author(meta)
    kept, author = _take_author_box(kept, known, context.markers)

    location = _take_dateline(kept)
    blocks = [b for part in kept for b in part.blocks]
    if not blocks:
        raise ArticleError("title but no body text")
    body_tokens = [t for part in kept for t in part.tokens]
    body_html = clean_html(md.renderer.render(body_tokens, md.options, {}))
    article = Article(
        source=context.source,
        title=title,
        blocks=tuple(blocks),
        author=author,
        dek=top.dek,
        published=top.published,
        updated=top.updated,
        url=top.url,
        image=lead_image,  # front matter's image, if any, wins below
        location=location,
        related=tuple(dict.fromkeys(related)),
        body_html=body_html,
    )
    article = apply_front_matter(article, meta, context.default_tz)
    if article.language is None:  # front matter did not say (or said something unusable)
        text = "\n".join([article.title, *(b.text for b in blocks)])
        article = article.with_(language=detect_language(text, hint=context.language_hint))
    return article
