"""Each article's own page (feeds/articles/<slug>.html), and the notice that replaces it when
the article is retracted: rendered here, written by publish.py when their render key changes.

Decisions (issue #20): the page is where a reader arriving from a shared link lands, so it
has the site's layout (site.html.j2: navigation, feeds, footer, root-relative links) and a
subscribe box after the article, as the front page does; labels are in the site's
language and the article carries its own `lang`/`dir`, as in the digest. The summary box
leaves out a summary that only repeats the lead (`repeats_the_lead`), and the lead image
is shown above it by its own URL; images inside an article's HTML body stay out.
"""

from __future__ import annotations

from dataclasses import replace

from syndicate.config import Config
from syndicate.core.labels import fill, labels_for
from syndicate.core.model import Article, article_page
from syndicate.core.rendering import article_view, clean_text, format_day, one_line, safe_url
from syndicate.site.pages import page_context, render
from syndicate.text.sentences import split_sentences


def render_article_page(article: Article, config: Config) -> str:
    """The article's own web page (feeds/articles/<slug>.html): the link of feed entries
    without a canonical URL, and where a reader arriving from a shared link lands. It has
    the site's layout (site.html.j2: navigation, feeds, footer) and a subscribe box after
    the article; labels in the site's language, the article in its own (`lang`/`dir`)."""
    from markupsafe import Markup

    site_lang = config.site.language or "en"
    labels = labels_for(site_lang, config.path("templates"))
    view = article_view(article, 1, site_lang, config, labels, local=True)
    if not article.summary.strip() or repeats_the_lead(article.summary, article):
        # The box would show the very sentences the body starts with: the lead says it.
        view = replace(view, summary="")
    # Group consecutive list items so they become one <ul>, as the reader saw them.
    groups: list[tuple[str, list[str]]] = []
    for b in article.blocks:
        text = clean_text(b.text).strip()
        if not text:
            continue
        if b.kind == "item" and groups and groups[-1][0] == "item":
            groups[-1][1].append(text)
        else:
            groups.append((b.kind, [text]))
    body_html = ""
    if not groups and article.body_html:
        # Only when the reader produced no blocks. Sanitized again here (it came from input,
        # and a template is the last edge before a browser); images stay out: no tracking or
        # remote loads from our pages (the lead image is shown above, by its own URL).
        import nh3

        body_html = Markup(
            nh3.clean(
                clean_text(article.body_html),
                tags=nh3.ALLOWED_TAGS - {"img"},
                url_schemes={"http", "https", "mailto"},
            )
        )
    own = config.site.base_url + article_page(article.slug)
    return render(
        config,
        "article.html.j2",
        body_html=body_html,
        article=view,
        description=one_line(view.summary or clean_text(article.summary) or "", limit=300),
        canonical=safe_url(article.url) or own,
        original=safe_url(article.url),
        groups=groups,
        tags=tuple(one_line(t) for t in article.tags),
        related=tuple(
            (one_line(clean_text(r.title)), safe_url(r.url)) for r in article.related if r.title
        ),
        location=one_line(article.location or ""),
        dek=one_line(clean_text(article.dek)),
    )


LEAD_PARAGRAPHS = 3  # what a reader takes in first: the lead a summary must not repeat


def repeats_the_lead(summary: str, article: Article) -> bool:
    """Whether every sentence of the summary is one of the lead's: the summarizer takes
    sentences from the top when there is no hook to skip, so its summary is often the
    article's own opening, and a box showing it right above that opening says it twice.
    The lead is the first LEAD_PARAGRAPHS paragraphs before any heading."""
    lead: list[str] = []
    for block in article.blocks:
        if block.kind == "heading" or len(lead) == LEAD_PARAGRAPHS:
            break
        if block.kind == "paragraph":
            lead.append(" ".join(clean_text(block.text).split()))
    opening = " ".join(lead)
    said = [" ".join(s.split()) for s in split_sentences(clean_text(summary))]
    return bool(said) and all(sentence in opening for sentence in said)


def render_retracted_page(article: Article, config: Config) -> str:
    """What stays at a retracted article's address: a dated notice, no title, no text."""

    context = page_context(config)
    date = format_day(article.retracted, context["lang"], config.site.tz)
    return render(
        config,
        "retracted.html.j2",
        notice=fill(context["labels"]["retracted_notice"], date=date),
    )
