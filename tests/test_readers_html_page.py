"""What a saved web page's own markup says (issue #25): the standfirst becomes the dek, the
author's bio comes from the markup that marks it, related-link blocks become related links,
and only the article holding the headline is read."""

from __future__ import annotations

import pytest

from syndicate.core.model import Author, RelatedLink
from syndicate.readers.markers import load_markers
from syndicate.readers.page import keep_headline_article, page_facts
from tests.reader_helpers import read_string

PARAGRAPHS = (
    "The harbour at Port Ellis reopened on Monday after storm damage to the breakwater kept "
    "every vessel in port since Friday, the harbour master said.",
    "Ferries to the islands resumed their timetable in the afternoon, and the first fishing "
    "boats left shortly after noon, three days later than planned.",
    "Engineers will inspect the outer wall again on Thursday, when the next storm is due to "
    "pass over the coast.",
)
DEK = (
    "The port is open again after a three-day closure, but fishermen say they lost a week of "
    "income."
)
BIO = "Jane Doe covers shipping and the coast for the Ledger."


def page(top: str = "", end: str = "", head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        '<!doctype html><html lang="en"><head><title>Harbour reopens after storm</title>'
        f'<link rel="canonical" href="https://news.example.org/harbour">{head}</head><body>'
        '<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>'
        f"<main><article><h1>Harbour reopens after storm</h1>{top}{body}{end}</article></main>"
        "<footer><p>© 2025 The Ledger. All rights reserved.</p></footer></body></html>"
    )


def read_page(tmp_path, markup: str):
    return read_string(tmp_path, markup, "harbour.html")


@pytest.mark.parametrize(
    "standfirst",
    [
        f'<p class="standfirst">{DEK}</p>',
        f'<h2 class="article__dek">{DEK}</h2>',
        f'<div class="c-standfirst"><p>{DEK}</p></div>',
        f'<p class="subtitle">{DEK}</p>',
        f'<p class="ArticleSubheadline">{DEK}</p>',
        f'<p class="lede">{DEK}</p>',
        f'<p>{DEK}</p><p class="byline">By <a rel="author" href="/jane">Jane Doe</a></p>',
    ],
)
def test_standfirst_is_the_dek_and_leaves_the_body(tmp_path, standfirst):
    article = read_page(tmp_path, page(top=standfirst))
    assert article.dek == DEK
    assert article.paragraphs == PARAGRAPHS
    assert "lost a week" not in (article.body_html or "")


def test_the_summary_does_not_repeat_the_dek(tmp_path, config):
    from syndicate import ingest

    article = read_page(tmp_path, page(top=f'<p class="standfirst">{DEK}</p>'))
    enriched = ingest.enrich(article, config)
    assert "lost a week of income" not in enriched.summary
    assert enriched.summary.startswith("The harbour at Port Ellis reopened on Monday")


@pytest.mark.parametrize(
    "box",
    [
        f'<p class="author-bio">{BIO}</p>',
        f'<div class="author-bio"><h3>About the author</h3><p>{BIO}</p></div>',
        f'<section class="c-bio"><img src="/jane.jpg" alt=""><p>{BIO}</p></section>',
        f'<footer><p><a rel="author" href="/jane">Jane Doe</a>{BIO[8:]}</p></footer>',
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        f'<span itemprop="name">Jane Doe</span><p itemprop="description">{BIO}</p></div>',
        f"<p><em>{BIO}</em></p>",
        f"<h3>About the author</h3><p>{BIO}</p>",
    ],
)
def test_bio_marked_in_the_page(tmp_path, box):
    article = read_page(tmp_path, page(top="<p>By Jane Doe</p>", end=box))
    assert article.author == Author(name="Jane Doe", bio=BIO)
    assert article.paragraphs == PARAGRAPHS
    assert "covers shipping" not in (article.body_html or "")


def test_bio_from_json_ld(tmp_path):
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "NewsArticle", "headline": "Harbour reopens", "author": {"@type": '
        f'"Person", "name": "Jane Doe", "description": "{BIO}"}}}}]}}</script>'
    )
    article = read_page(tmp_path, page(head=ld))
    assert article.author == Author(name="Jane Doe", bio=BIO)


def test_an_italic_closing_line_about_the_analyst_is_no_bio(tmp_path):
    end = (
        '<p>"We lost a week," said Maria Chen, an analyst at Harbour Economics.</p>'
        "<p><em>Maria Chen is a senior analyst at Harbour Economics.</em></p>"
    )
    article = read_page(tmp_path, page(top="<p>By Tom Baxter</p>", end=end))
    assert article.author == Author(name="Tom Baxter")
    assert article.paragraphs[-1] == "Maria Chen is a senior analyst at Harbour Economics."


def test_an_author_box_text_is_not_taken_for_the_name(tmp_path):
    # trafilatura reads "About the author Jane Doe covers …" as the author: not a name.
    box = f'<div class="author-bio"><h3>About the author</h3><p>{BIO}</p></div>'
    article = read_page(tmp_path, page(end=box))
    assert article.author == Author(name="Jane Doe", bio=BIO)


def test_related_block_becomes_related_links(tmp_path):
    aside = (
        '<aside class="related"><h3>Read more</h3><ul>'
        '<li><a href="https://news.example.org/storm">Storm hits the coast with 120 km/h gusts'
        '</a></li><li><a href="/breakwater">Breakwater repairs to cost £2m</a></li></ul></aside>'
    )
    article = read_page(tmp_path, page(end=aside))
    assert article.related == (
        RelatedLink("Storm hits the coast with 120 km/h gusts", "https://news.example.org/storm"),
        RelatedLink("Breakwater repairs to cost £2m", "https://news.example.org/breakwater"),
    )
    assert "Storm hits" not in article.text and "Read more" not in article.text


def test_linked_headlines_that_end_the_body_are_related_reading():
    # What trafilatura keeps of a "more stories" list (its link density filter lets some
    # through): lines that are only a link to a headline.
    from syndicate.core.model import Block
    from syndicate.readers.html import _take_link_lists
    from syndicate.readers.html_blocks import Piece as _Piece

    story = [_Piece(Block("paragraph", p)) for p in PARAGRAPHS]
    teasers = [
        _Piece(Block("item", "Ferry fares to rise in April", "•"), "https://e.org/1", True),
        _Piece(Block("item", "Council to review the contract", "•"), "https://e.org/2", True),
        _Piece(Block("paragraph", "Storm damage: what insurers pay"), "https://e.org/3", True),
    ]
    pieces, related = _take_link_lists(story + teasers[:2] + story[:1] + teasers[2:])
    assert [p.block.text for p in pieces] == [*PARAGRAPHS, PARAGRAPHS[0]]
    assert related == [
        RelatedLink("Ferry fares to rise in April", "https://e.org/1"),
        RelatedLink("Council to review the contract", "https://e.org/2"),
        RelatedLink("Storm damage: what insurers pay", "https://e.org/3"),
    ]
    # a linked sentence of the story stays: it is text, not a headline
    sentence = _Piece(
        Block("paragraph", "Read the harbour master's report."), "https://e.org/r", True
    )
    assert _take_link_lists([*story, sentence]) == ([*story, sentence], [])


def test_a_list_that_is_article_text_stays(tmp_path):
    items = "<ul><li>Ferries run again from Tuesday.</li><li>Fishing boats left at noon.</li></ul>"
    article = read_page(tmp_path, page(end=items))
    assert [b.text for b in article.blocks if b.kind == "item"] == [
        "Ferries run again from Tuesday.",
        "Fishing boats left at noon.",
    ]
    assert article.related == ()


def test_site_menus_and_tag_lists_are_not_related_links():
    from lxml import html

    markup = page(
        end='<div class="related-tags"><a href="/t/ports">Ports and harbours news</a></div>'
        '<nav><div><h3>More from the Ledger</h3><a href="/a">Our newsletters for you</a></div>'
        "</nav>"
    )
    assert page_facts(html.fromstring(markup), load_markers()).related == []


def test_only_the_article_with_the_headline_is_read(tmp_path):
    other = (
        "<article><h2>Next story: council approves bus lanes</h2>"
        + "<p>The city council approved three new bus lanes on Tuesday, ending a two-year "
        "dispute with shop owners on the high street, and work starts in May.</p>"
        * 2
        + "</article>"
    )
    markup = page().replace("</main>", other + "</main>")
    article = read_page(tmp_path, markup)
    assert article.paragraphs == PARAGRAPHS
    assert "bus lanes" not in article.text


def test_keep_headline_article_leaves_single_article_pages_alone():
    from lxml import html

    tree = html.fromstring(page())
    assert len(list(keep_headline_article(tree).iter("p"))) == len(PARAGRAPHS) + 1


def test_a_block_cut_by_inline_markup_is_still_found_in_the_core(tmp_path):
    # One long block whose words are split by inline markup ("Mac<b>Book</b>"): trimming to
    # the precision core must not take it for furniture and drop the article.
    words = " ".join(f"word{i}" for i in range(300))
    table = f"<table><tr><td>Mac<b>Book</b> {words} and the rest of the story.</td></tr></table>"
    markup = page(end=table)
    article = read_page(tmp_path, markup)
    assert "word299" in article.text
