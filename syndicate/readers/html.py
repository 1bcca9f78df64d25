"""HTML pages → Article: main content and metadata through trafilatura.

trafilatura finds the article in a page full of navigation, ads and comments better than
anything we would write (F1 ≈ 0.96 on the Scrapinghub benchmark; see bench/html_extraction.py
for our own measurement). Around it:

- page.py reads what the page's markup says before trafilatura prunes the tree (standfirst,
  bio, related blocks, language, canonical link), and keeps only the article holding the
  headline on pages that scroll on into the next story;
- the default extraction is trimmed to the span its precision mode agrees with
  (`_trim_to_core`);
- html_blocks.py maps trafilatura's XML onto our blocks, and renders the sanitized
  `body_html` from them;
- then what is not the story leaves the body: in-article furniture, lines that are only a
  link to another headline (related links), the standfirst (the dek), bylines and date lines
  at the top, the author's box at the end (bios.py).

Importing trafilatura costs ~0.3 s, so this module is only imported when an HTML file shows up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from syndicate.core.language import detect_language
from syndicate.core.model import Article, Author, Block, RelatedLink
from syndicate.readers.bios import Closing, find_author_box, vouched_bio
from syndicate.readers.dates import parse_date
from syndicate.readers.errors import ArticleError
from syndicate.readers.html_blocks import (
    Piece,
    element_text,
    italic_texts,
    pieces_from_body,
    render_body,
)
from syndicate.readers.hygiene import clean_field
from syndicate.readers.markers import Markers, furniture_kind, match_marker
from syndicate.readers.meta import as_name, take_dateline, take_top_meta
from syndicate.readers.page import PageFacts, keep_headline_article, page_facts

if TYPE_CHECKING:
    from syndicate.readers.read import ReadContext

# Extraction settings, measured on the shared corpus (bench/html_extraction.py): tables are
# article content often enough to keep, comments never are.
EXTRACTION_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": True,  # for related links' URLs; also measured +0.002 F1
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
}


def extract(markup: str, markers: Markers) -> tuple[Any, PageFacts]:
    """(trafilatura Document or None, what the page's markup says) for an HTML page."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(markup)
    if tree is None:
        raise ArticleError("not a readable HTML page")
    facts = page_facts(tree, markers)  # before trafilatura prunes the tree
    document = trafilatura.bare_extraction(
        keep_headline_article(tree),
        with_metadata=True,
        date_extraction_params={
            "original_date": True,
            "extensive_search": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        },
        **EXTRACTION_OPTIONS,
    )
    if document is not None and document.body is not None:
        # trafilatura prunes the tree it is given: the second pass needs a fresh one.
        core = trafilatura.bare_extraction(
            keep_headline_article(load_html(markup)),
            **{**EXTRACTION_OPTIONS, "favor_precision": True},
        )
        if core is not None and core.body is not None:
            _trim_to_core(document.body, core.body)
    return document, facts


# How much of the text the precision pass must keep for its edges to be trusted. Below this
# it did not find a smaller version of the same article but a fragment of it (or something
# else); measured on the shared corpus: 0.65–0.75 is a plateau on both halves of it.
_CORE_SHARE = 0.7
_WORDS = re.compile(r"\w+")


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(text))


def _trim_to_core(body: Any, core: Any) -> None:
    """Drop what the default extraction kept *around* the article's core.

    The default settings find the whole article but often keep furniture before and after it
    ("Order Reprints", a newsletter box, a list of related stories); trafilatura's precision
    mode drops that furniture but also loses real paragraphs. So the default extraction is
    kept, cut to the span between the first and the last of its blocks that the precision
    pass kept too: everything inside the span stays, so no paragraph of the story is lost.
    Measured on the shared corpus (bench/html_extraction.py): precision 0.958 → 0.970 at the
    same recall.
    """
    # Both sides read as the body's blocks are (_text): itertext would split a word that
    # inline markup cuts ("Mac<b>Book</b>"), and a block would then not be found in the core.
    core_words = _words(" ".join(element_text(e) for e in core))
    elements = list(body)
    texts = [_words(element_text(e)) for e in elements]
    total = sum(len(t.split()) for t in texts)
    if len(core_words.split()) < _CORE_SHARE * total:
        return
    kept = [bool(w) and w in core_words for w in texts]
    if True not in kept:
        return
    first, last = kept.index(True), len(kept) - 1 - kept[::-1].index(True)
    outside = list(range(first)) + list(range(last + 1, len(elements)))
    if sum(len(texts[i].split()) for i in outside) > (1 - _CORE_SHARE) * total:
        return  # the core holds most of the words: the edges cannot be more than the rest
    for i in outside:
        body.remove(elements[i])


def _tags(raw: list[str] | None) -> tuple[str, ...]:
    # trafilatura passes <meta name="keywords"> through as one comma-separated string.
    tags = (clean_field(t) for entry in raw or [] for t in entry.split(","))
    return tuple(dict.fromkeys(t for t in tags if t))


def _drop_furniture(pieces: list[Piece], markers: Markers) -> tuple[list[Block], list[RelatedLink]]:
    """In-article furniture that extractors keep: "Baca juga: …" links, "Sumber: …" lines."""
    blocks: list[Block] = []
    related: list[RelatedLink] = []
    expect_headline = False
    for block, link, _linked in pieces:
        kind = furniture_kind(block.text, markers) if block.kind != "item" else None
        if kind is not None:
            if kind[0] == "related" and kind[1]:
                related.append(RelatedLink(title=kind[1], url=link))
            expect_headline = kind[0] == "announce"
            continue
        if expect_headline and link and len(block.text.split()) <= 25:
            related.append(RelatedLink(title=block.text, url=link))
            expect_headline = False
            continue
        expect_headline = False
        blocks.append(block)
    return blocks, related


_MAX_HEADLINE_WORDS = 20


def _is_headline(piece: Piece) -> bool:
    """A linked line that reads as a headline: short, not a sentence of the story."""
    text = piece.block.text
    return (
        piece.linked
        and piece.link is not None
        and len(text.split()) <= _MAX_HEADLINE_WORDS
        and not text.endswith((".", ";", ":"))
    )


def _take_link_lists(pieces: list[Piece]) -> tuple[list[Piece], list[RelatedLink]]:
    """Lines that are only a link to another headline are related reading, not the story:
    the run of them the body ends with, and lists made of nothing else."""
    end = len(pieces)
    while end > 0 and _is_headline(pieces[end - 1]):
        end -= 1
    taken = set(range(end, len(pieces)))
    i = 0
    while i < end:
        j = i
        while j < end and pieces[j].block.kind == "item" and _is_headline(pieces[j]):
            j += 1
        if (
            j - i >= 2
            and (j == end or pieces[j].block.kind != "item")
            and (i == 0 or pieces[i - 1].block.kind != "item")
        ):
            taken.update(range(i, j))
        i = max(j, i + 1)
    related = [RelatedLink(pieces[k].block.text, pieces[k].link) for k in sorted(taken)]
    return [p for k, p in enumerate(pieces) if k not in taken], related


def _leading_standfirst(pairs: list[Piece]) -> str:
    """A sentence-long heading right above the first paragraph is the standfirst (the dek
    under the headline), not the story's first section; the benchmark's article bodies leave
    it out (measured: +0.007 F1 on each half of the shared corpus)."""
    if (
        len(pairs) > 1
        and pairs[0][0].kind == "heading"
        and pairs[1][0].kind == "paragraph"
        and len(pairs[0][0].text.split()) >= 6
    ):
        return pairs[0][0].text
    return ""


def _take_author(
    blocks: list[Block], facts: PageFacts, known: str | None, italic: set[str], markers: Markers
) -> tuple[list[Block], Author | None]:
    """The bio the page marks as the author's, else an author's box at the end of the body
    (bios.py); either way out of the body."""
    if facts.bio:
        author = vouched_bio(facts.bio, known, markers)
        if author is not None:
            bio = author.bio
            kept = [b for b in blocks if not (b.text in bio and len(b.text) > 0.3 * len(bio))]
            return _without_about_heading(kept, len(blocks), markers), author
    start = len(blocks)
    while start > 0 and blocks[start - 1].kind != "item":
        start -= 1
    tail = [
        Closing(b.text, set_apart=b.text in italic, heading=b.kind == "heading")
        for b in blocks[start:]
    ]
    earlier = [b.text for b in blocks[:start]]
    box = find_author_box(tail, known=known, earlier=earlier, markers=markers)
    if box is not None:
        return blocks[: start + box[0]], box[1]
    return blocks, Author(name=known) if known else None


def _without_about_heading(blocks: list[Block], before: int, markers: Markers) -> list[Block]:
    """Drop an "About the author" heading the bio left at the end of the body."""
    if (
        len(blocks) < before
        and blocks
        and blocks[-1].kind == "heading"
        and match_marker(blocks[-1].text, markers.about_author, max_words=8) is not None
    ):
        return blocks[:-1]
    return blocks


def read_html(text: str, context: ReadContext) -> Article:
    markers = context.markers
    document, facts = extract(text, markers)
    if document is None or document.body is None:
        raise ArticleError("no article text found in the HTML page")
    title = clean_field(document.title or "")
    pairs = [
        p._replace(block=Block(p.block.kind, clean_field(p.block.text), p.block.marker))
        for p in pieces_from_body(document.body, title)
    ]
    pairs = [p for p in pairs if p.block.text]
    dek = facts.dek or _leading_standfirst(pairs)
    related_titles = {r.title for r in facts.related}
    pairs = [p for p in pairs if p[0].text != dek and p[0].text not in related_titles]
    pairs, listed = _take_link_lists(pairs)
    blocks, related = _drop_furniture(pairs, markers)
    related += listed
    blocks, top = take_top_meta(blocks, markers, context.default_tz)
    dek = dek or top.dek
    blocks, location = take_dateline(blocks)
    if not title and blocks:
        title = blocks.pop(0).text
    if not title:
        raise ArticleError("no title and no text in the HTML page")
    # trafilatura's author is sometimes the text of an author box ("About the author Jane Doe
    # covers …"): only a name is one.
    meta_author = clean_field(document.author or "")
    known = (
        facts.author_name
        or (meta_author if as_name(meta_author) else None)
        or (top.author.name if top.author else None)
    )
    blocks, author = _take_author(blocks, facts, known, italic_texts(document.body), markers)
    if not blocks:
        raise ArticleError("title but no body text")
    published = parse_date(facts.published or document.date, context.default_tz) or top.published
    updated = parse_date(facts.updated, context.default_tz)
    url = facts.canonical or document.url
    url = url if url and url.startswith(("http://", "https://")) else None
    image = urljoin(url, document.image) if url and document.image else document.image
    # The page's lang attribute is a hint, not the answer: CMS templates often say lang="en"
    # around Indonesian articles. It wins close calls and keeps its region ("en-GB").
    declared = facts.lang
    detected = detect_language(
        "\n".join([title, *(b.text for b in blocks)]), hint=declared or context.language_hint
    )
    if declared and declared.split("-")[0].lower() == detected:
        detected = declared
    return Article(
        source=context.source,
        title=title,
        blocks=tuple(blocks),
        author=author,
        dek=dek,
        language=detected,
        published=published,
        updated=updated if updated and updated != published else None,
        url=url,
        tags=_tags(document.tags),
        image=image if image and image.startswith(("http://", "https://")) else None,
        location=location,
        related=tuple(dict.fromkeys([*related, *facts.related])),
        body_html=render_body(blocks),
    )
