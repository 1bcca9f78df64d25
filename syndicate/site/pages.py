"""Store → the site's own pages, as static files under `paths.feeds`: the front page
(`index.html`), the list of articles (`articles/index.html`, then `articles/page/2.html` …)
and the list of digests (`digests/index.html`, `digests/page/2.html` …). Issue #10. Each
article's own page is in article_pages.py; every page shares site.html.j2's layout and
`page_context` (root-relative links between the pages, issue #20).

Static files written by a run, not pages the service renders per request: any web server
can serve the feeds folder as it is, and `syndicate serve` answers them with the same
ETag/304/gzip handling as the feeds. Only the subscribe form needs the service behind it.

Decisions:
- Stable pages, cut as the feed archives are (`model.archive_cut`): the list's own page (the
  folder's `index.html`, so `…/articles/` is the list) shows the newest `PAGE_SIZE` entries
  plus the fewer-than-a-page that wait for the next page to fill; older entries sit on *full*
  pages counted from the oldest (`page/1.html` is the oldest), cut in archival order (first
  seen, then id: the feeds' order, which `state adopt` keeps). A new article therefore
  re-renders the index and, once every `PAGE_SIZE` articles, cuts one new page and gives the
  previous newest page its "newer" link: never the whole history (issue #11: a run's cost must
  not grow with the store; shifting pages re-rendered all 200 at 10,000 articles, 3.5 s).
  Pages are labelled with the span of dates they hold (CLDR intervals), not "page 3 of 7",
  which would change on every page whenever a page is added. Archive pages live in a `page/`
  sub-folder, where no article page can land (article pages are `articles/<slug>.html`; the
  slug "index" is reserved in the store). Within a page: newest first.
- Each page has a render key like the article pages (publish.py): the hash of what it shows
  (ids and data hashes of its entries, its place among the pages) and of the render
  fingerprint (config, templates, labels, version). A run with nothing new renders nothing.
- Retracted articles leave the lists (their page stays, with the notice) but keep their
  place in the cut, so a retraction re-renders one page and shifts none; skipped ones
  (`digest skip`) are published articles and stay.
- Labels come from the one catalog (core/labels.py) in the site's language; an article in another
  language carries its own `lang`/`dir`, as in the digest.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syndicate.config import Config
from syndicate.config.newsletters import newsletter_for, newsletters
from syndicate.core import rendering
from syndicate.core.labels import fill, labels_for, plural_label
from syndicate.core.model import archive_cut, digest_page
from syndicate.core.rendering import (
    article_view,
    clean_text,
    format_moment,
    format_span,
    one_line,
    text_direction,
)
from syndicate.store.article_rows import ArticleRow
from syndicate.store.articles import get_article
from syndicate.store.db import Database
from syndicate.store.digests import digest_articles
from syndicate.store.digests import digests as recent_digests

if TYPE_CHECKING:
    from syndicate.site.publish import Outputs, Pass

PAGE_SIZE = 50  # entries on one list page
FRONT_ARTICLES = 10  # newest articles on the front page
TITLES_PER_DIGEST = 3  # titles shown under each digest in the list of digests
FRONT_PAGE = "index.html"


def list_page(folder: str, number: int) -> str:
    """File name (relative to the feeds folder) of a list's page: its index for 0 (the
    newest), else archive page `number`, counted from the oldest (1)."""
    return f"{folder}/index.html" if number == 0 else f"{folder}/page/{number}.html"


def list_url(config: Config, folder: str, number: int, *, local: bool = False) -> str:
    """Its URL: the folder itself for the index (`local`: root-relative, for links between
    the site's pages; else absolute, for its canonical link)."""
    base = config.site.root if local else config.site.base_url
    return f"{base}{folder}/" if number == 0 else f"{base}{list_page(folder, number)}"


@dataclass(frozen=True)
class DigestView:
    """What the list of digests shows of one digest."""

    id: str
    newsletter: str  # its newsletter's name; "" for the one digest of a site without any
    url: str
    date: str
    count: str  # "5 articles", in the site's language
    titles: tuple[str, ...]


# ---------------------------------------------------------------- publishing


def publish_site_pages(run: Pass) -> None:
    """Bring the front page and the two lists up to date (called by publish.publish)."""
    conn, config = run.conn, run.config
    archival = run.archival  # the feeds' order (feeds/archive.py paginate)
    live = [r for r in archival if not r.retracted]
    digests = recent_digests(conn, limit=1_000_000)  # newest first: (id, created, n, newsletter)
    members = run.digest_members

    front = heapq.nlargest(FRONT_ARTICLES, live, key=_newest)
    run.write_page(
        FRONT_PAGE,
        run.key("front", len(live) > len(front), bool(digests), *_ids(front)),
        lambda: render_front_page(conn, config, front, more=len(live) > len(front)),
    )

    current, archive = archive_cut(archival, PAGE_SIZE, PAGE_SIZE)
    article_pages = [current, *archive]  # page 0 is the index
    last = len(article_pages) - 1
    for number, page in enumerate(article_pages):
        # Keyed by its entries in archival order: their order on the page follows from their
        # data (the publication date is in it) and first sight, so it is sorted only to render.
        live_here = [r for r in page if not r.retracted]
        run.write_page(
            list_page("articles", number),
            run.key("articles", number, _links(number, last), *_ids(live_here)),
            lambda rows=live_here, number=number: render_article_list(
                conn, config, sorted(rows, key=_newest, reverse=True), number, last
            ),
        )
    _remove_stale_pages(run.outputs, "articles", last)

    current, archive = archive_cut(digests[::-1], PAGE_SIZE, PAGE_SIZE)
    digest_pages = [current, *archive]
    last = len(digest_pages) - 1
    for number, page in enumerate(digest_pages):
        chunk = page[::-1]  # newest first
        shown = [
            f"{d[0]}|" + ",".join(f"{i}:{h}:{r}" for i, h, r in members.get(d[0], []))
            for d in chunk
        ]
        run.write_page(
            list_page("digests", number),
            run.key("digests", number, _links(number, last), *shown),
            lambda chunk=chunk, number=number: render_digest_list(
                conn, config, chunk, number, last
            ),
        )
    _remove_stale_pages(run.outputs, "digests", last)


def _links(number: int, last: int) -> str:
    """What a list page's links depend on: the index links to the newest archive page; an
    archive page to the index when it is the newest, else to the page after it. (Not the
    count itself: cutting a page must not re-render every older one.)"""
    if number == 0:
        return f"older:{last}"
    return "newest" if number == last else "archived"


def _newest(row: ArticleRow) -> tuple[int, int, str]:
    # Newest first within a page: whole seconds published, then first seen, then id, the
    # feeds' order, which a state rebuilt from the feeds (`state adopt`) reproduces.
    return (row.published_s, row.first_seen_s, row.id)


def _ids(rows: Sequence[ArticleRow]) -> list[str]:
    return [f"{r.id}|{r.data_hash}" for r in rows]


def _remove_stale_pages(outputs: Outputs, folder: str, pages: int) -> None:
    """Archive pages past the last one (pages of an older scheme, or a state that lost
    articles): gone, not left stale."""
    try:  # one listing, no Path per page: 200 of them at 10,000 articles
        with os.scandir(outputs.root / folder / "page") as found:
            names = sorted(entry.name for entry in found)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        page = f"{folder}/page/{name}"
        stale = dot and suffix == "html" and stem.isdigit() and int(stem) > pages
        if stale and not outputs.removed(page):
            outputs.remove(page)


# ---------------------------------------------------------------- rendering


def page_context(config: Config, lang: str | None = None) -> dict[str, Any]:
    """What every site page's template needs: language, labels, site name and URLs, the
    feeds to announce (`<link rel="alternate">`). The service's pages use it too. Links
    between the site's pages are root-relative (SiteConfig.root), so a site browses on
    http://127.0.0.1:PORT/ before its DNS exists; only `canonical` links are absolute."""
    lang = lang or config.site.language or "en"
    site = one_line(config.site.title)
    base = config.site.root
    labels = labels_for(lang, config.path("templates"))
    return {
        "lang": lang,
        "dir": text_direction(lang),
        "labels": labels,
        "subscribe_intro": fill(labels["subscribe_intro"], site=site),
        "site": site,
        "description": one_line(config.site.description),
        "site_url": base,
        "postal_address": one_line(config.site.postal_address),
        "subscribe_url": f"{base}subscribe",
        # The subscribe form's checkboxes, with several [[newsletters]] (the default ones
        # ticked); with one or none there is nothing to choose.
        "newsletters": [
            {"id": n.id, "name": one_line(n.name), "default": n.default}
            for n in (newsletters(config) if len(config.newsletters) > 1 else ())
        ],
        "feeds": (
            ("application/rss+xml", f"{site} (RSS)", f"{base}rss.xml"),
            ("application/atom+xml", f"{site} (Atom)", f"{base}atom.xml"),
            ("application/feed+json", f"{site} (JSON Feed)", f"{base}feed.json"),
        ),
    }


def render(config: Config, template: str, *, lang: str | None = None, **values: Any) -> str:
    """Render one of the site's page templates (user folder first, then the built-in), in
    `lang` (None: the site's language)."""
    return rendering.template(config, template).render({**page_context(config, lang), **values})


def _article_views(conn: Database, config: Config, rows: Sequence[ArticleRow]):
    # The digest's own view of an article (title, link, byline, date, summary, lang/dir):
    # the lists show an article exactly as the digest announced it.

    lang = config.site.language or "en"
    labels = labels_for(lang, config.path("templates"))
    views = []
    for number, row in enumerate(rows, 1):
        article = get_article(conn, row.id)
        if article is not None:
            views.append(article_view(article, number, lang, config, labels, local=True))
    return views


def render_front_page(
    conn: Database, config: Config, rows: Sequence[ArticleRow], *, more: bool
) -> str:
    return render(
        config,
        "index.html.j2",
        articles=_article_views(conn, config, rows),
        more=more,
        canonical=config.site.base_url,
        with_images=True,
    )


def render_article_list(
    conn: Database,
    config: Config,
    rows: Sequence[ArticleRow],
    number: int,
    archived: int,
) -> str:
    """List page `number` (0: the index) of a list with `archived` archive pages."""
    span = [r.published for r in rows]
    return render(
        config,
        "articles.html.j2",
        articles=_article_views(conn, config, rows),
        **_pagination(config, "articles", number, archived, span),
    )


def render_digest_list(
    conn: Database,
    config: Config,
    digests: Sequence[tuple[str, datetime, int, str]],
    number: int,
    archived: int,
) -> str:
    lang = config.site.language or "en"
    labels = labels_for(lang, config.path("templates"))
    views = []
    for digest_id, created, _count, newsletter in digests:
        found = digest_articles(conn, digest_id)
        articles = found.articles if found else []
        views.append(
            DigestView(
                id=digest_id,
                newsletter=one_line(newsletter_for(config, newsletter).name) if newsletter else "",
                url=config.site.root + digest_page(digest_id),
                # The day and the time: two digests of one day (a `--digest now` after the
                # scheduled one) are told apart.
                date=format_moment(created, lang, config.site.tz),
                count=plural_label(labels, "article_count", len(articles), lang),
                titles=tuple(
                    one_line(clean_text(a.title), limit=140) for a in articles[:TITLES_PER_DIGEST]
                ),
            )
        )
    span = [created for _id, created, _count, _newsletter in digests]
    pagination = _pagination(config, "digests", number, archived, span)
    return render(config, "digests.html.j2", digests=views, **pagination)


def _pagination(
    config: Config, folder: str, number: int, archived: int, dates: Sequence[datetime]
) -> dict[str, Any]:
    """Links and label of list page `number` (0: the index, newest; 1 … `archived`: from the
    oldest). An archive page is labelled with the dates it spans; the index with nothing."""
    newer = (
        ""
        if number == 0
        else list_url(config, folder, 0 if number == archived else number + 1, local=True)
    )
    older = number - 1 if number > 1 else (archived if number == 0 else 0)
    label = ""
    if number and dates:
        label = format_span(min(dates), max(dates), config.site.language, config.site.tz)
    return {
        "page": number,
        "paged": archived > 0,
        "page_label": label,
        "canonical": list_url(config, folder, number),
        "newer_url": newer,
        "older_url": list_url(config, folder, older, local=True) if older else "",
    }
