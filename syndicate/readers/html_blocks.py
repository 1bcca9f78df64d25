"""trafilatura's XML body → our blocks, and the blocks → the sanitized HTML body.

trafilatura returns the article as a small XML tree (`head`, `p`, `list/item`, `quote`,
`table`, `hi` for emphasis, `ref` for links), which maps one-to-one onto our blocks. Each block
keeps what its links say (its first link's URL; whether it is nothing but a link, i.e. a
headline pointing elsewhere), and the body's HTML is rendered from the blocks, so it never
carries the page's markup, scripts or tracking. Works on lxml elements only: no trafilatura
import here.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any, NamedTuple

from syndicate.core.model import Block
from syndicate.readers.hygiene import clean_field
from syndicate.readers.sanitize import clean_html

_WORDS = re.compile(r"\w+")

# trafilatura's block-level tags: their text never runs into the neighbour's ("tobuilding").
_BREAKING = frozenset({"lb", "p", "item", "list", "head", "quote", "row", "cell", "table", "div"})


def element_text(element: Any, *, skip: frozenset[str] = frozenset()) -> str:
    """Visible text of an element: line breaks and nested blocks become spaces, inline
    formatting (`hi`, `ref`) joins seamlessly; subtrees tagged `skip` are left out."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        breaking = node.tag in _BREAKING
        if breaking:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            if child.tag not in skip:
                walk(child)
            elif breaking:
                parts.append(" ")
            parts.append(child.tail or "")
        if breaking:
            parts.append(" ")

    walk(element)
    return clean_field("".join(parts))


class Piece(NamedTuple):
    """A block of the extracted body, with what its links say about it."""

    block: Block
    link: str | None = None  # its first link ("Baca juga: <a>…</a>" keeps its URL there)
    linked: bool = False  # it is all link: a headline pointing elsewhere, not article text


def _all_link(element: Any, text: str) -> bool:
    """Is the element's text (almost) all the text of its links?"""
    linked = sum(len(_WORDS.findall(element_text(ref))) for ref in element.iter("ref"))
    return bool(text) and linked >= 0.9 * len(_WORDS.findall(text))


def _list_items(element: Any, depth: int = 0) -> list[Piece]:
    """Items of a trafilatura `list`, nested lists flattened after their parent item."""
    ordered = (element.get("rend") or "").startswith("ol")
    items: list[Piece] = []
    for number, item in enumerate((c for c in element if c.tag == "item"), start=1):
        text = element_text(item, skip=frozenset({"list"}))
        if text:
            marker = f"{number}." if ordered else ("•" if depth == 0 else "◦")
            linked = next(item.iter("list"), None) is None and _all_link(item, text)
            items.append(Piece(Block("item", text, marker), _first_link(item), linked))
        for nested in item.iter("list"):
            owner = next(nested.iterancestors("item"), None)
            if owner is item:  # deeper lists are handled by their own item
                items.extend(_list_items(nested, depth + 1))
    return items


def _first_link(element: Any) -> str | None:
    for ref in element.iter("ref"):
        target = (ref.get("target") or "").strip()
        if target.startswith(("http://", "https://")):
            return target
    return None


def pieces_from_body(body: Any, title: str) -> list[Piece]:
    """trafilatura's XML body → blocks in reading order, with what their links say."""
    blocks: list[Piece] = []

    def looseelement_text(text: str | None) -> None:
        # trafilatura leaves some paragraphs as bare text between elements (an element's
        # .tail, or the body's own .text); losing them cost 0.4 recall on list-style pages.
        if text and text.strip():
            blocks.append(Piece(Block("paragraph", clean_field(text))))

    looseelement_text(body.text)
    for element in body:
        tag = element.tag
        if tag == "head":
            text = element_text(element)
            if text and not (not blocks and text == title):
                blocks.append(Piece(Block("heading", text), None, _all_link(element, text)))
        elif tag == "list":
            blocks.extend(_list_items(element))
        elif tag == "table":
            for row in element.iter("row"):
                cells = [element_text(cell) for cell in row.iter("cell")]
                text = " | ".join(c for c in cells if c)
                if text:
                    blocks.append(Piece(Block("paragraph", text)))
        elif tag in ("p", "quote", "code", "div"):
            text = element_text(element)
            if text:
                linked = _all_link(element, text)
                blocks.append(Piece(Block("paragraph", text), _first_link(element), linked))
        looseelement_text(element.tail)
    return blocks


def render_body(blocks: list[Block]) -> str:
    """Sanitized HTML for the body, built from the blocks (never the page's own markup)."""
    out: list[str] = []
    open_list: str | None = None
    for block in blocks:
        list_tag = ("ol" if block.marker[:1].isdigit() else "ul") if block.kind == "item" else None
        if open_list and list_tag != open_list:
            out.append(f"</{open_list}>")
            open_list = None
        text = html_lib.escape(block.text, quote=False)
        if block.kind == "item":
            if open_list is None:
                out.append(f"<{list_tag}>")
                open_list = list_tag
            out.append(f"<li>{text}</li>")
        elif block.kind == "heading":
            out.append(f"<h2>{text}</h2>")
        else:
            out.append(f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return clean_html("\n".join(out))


def italic_texts(body: Any) -> set[str]:
    """Paragraphs trafilatura found wholly in italics (`<p><hi rend="#i">…</hi></p>`)."""
    out: set[str] = set()
    for p in body.iter("p"):
        children = list(p)
        if (
            len(children) == 1
            and children[0].tag == "hi"
            and "#i" in (children[0].get("rend") or "")
            and not (p.text or "").strip()
            and not (children[0].tail or "").strip()
        ):
            out.add(element_text(p))
    return out
