"""Articles → RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes. The only module that touches feedgen.
Issue #5.

feedgen builds the skeleton of both XML formats; a small lxml pass then repairs what feedgen
1.0.0 gets wrong or cannot express (each trap pinned by a test):

- Atom entry links lose `rel`/`type`/`length` (an enclosure would become a second alternate
  link), so entry links are written by `_fix_atom_entry` instead.
- RSS `<channel><link>` is the href of the *last* `fg.link()` call, so the site link is always
  added last.
- `updated`/`lastBuildDate` default to "now", so they are always set from the entries.
- name-only authors vanish from RSS unless the `dc` extension is loaded at feed level, so it is
  and `dc:creator` carries the name.
- `content(type='CDATA')` is invalid in Atom, so content is plain escaped text (`type="html"`).
- RSS gets only the `self` atom:link from feedgen; hub and archive links are added here.

JSON Feed is written with `json` (feedgen has none) from the same prepared entries, so the
three formats cannot drift apart.

Other decisions:
- `rel="self"` is always `site.base_url` + the file name: set base_url to where `feeds/` is
  served, or the validator (rightly) warns that self does not match the location.
- Lead images get an RSS enclosure (and Atom `rel="enclosure"`, JSON attachment) only when the
  byte length is known without the network: the URL is under base_url and the file exists in
  the feeds folder. Every lead image gets `media:thumbnail` and an `<img>` atop the content.
- Content = short byline, lead image, key bullets, body (body_html re-sanitized with nh3, else
  the blocks escaped), author bio; every URL absolute against the article's link.
- Plain-text elements write `&` and `<` as hex character references (RSS Profile), so no
  reader takes "AT&T" or "a <b" for markup.

Window and archives (RFC 5005): articles are ordered by when the store first saw them (then
id), so a back-dated article still lands in the main feed instead of reshuffling old pages.
Only *full* pages of `feed.archive_page_size` entries, counted from the oldest, are archived:
RFC 5005 clients may cache an archive document forever, so the set of entries in one must
never change. The main feeds therefore hold the newest `feed.entries` entries plus the few
(fewer than one page) that wait for the next page to fill. An archive page's bytes change in
two cases only: once, when the next page is cut and it gains its `next-archive` link, and when
one of its articles is edited. Edited archived articles are also repeated in the main feeds
while the edit is recent (newer than the oldest entry there), as RFC 5005 section 4.1
suggests, so readers that never refetch archives still see the change.
"""
from __future__ import annotations

from collections.abc import Sequence

from syndicate.config import Config
from syndicate.site.feeds.entries import EMPTY_FEED_DATE, Entry, clean_text, plain_text, prepare_entry
from syndicate.site.feeds.jsonfeed import render_json
from syndicate.site.feeds.archive import (
    ATOM_TYPE,
    JSON_TYPE,
    RSS_TYPE,
    Page,
    content_type,
    feed_urls,
    file_name,
    paginate,
)
from syndicate.site.feeds.websub import HubPingError, ping_hub
from syndicate.site.feeds.xml import render_atom, render_rss
from syndicate.core.model import Article



def render_feeds(articles: Sequence[Article], config: Config) -> dict[str, bytes]:
    """File name (relative to the feeds folder) → bytes, for every feed document.

    `articles` are stored articles (id, slug, first_seen, published, updated set), any order.
    Deterministic: the same articles give byte-identical output.
    """
    entries: dict[str, Entry] = {}
    for article in articles:
        entry = prepare_entry(article, config)
        # Ids are unique in the store; if not, keep one entry per id (the latest edit), since
        # duplicate ids make readers drop or merge entries unpredictably.
        known = entries.get(entry.id)
        if known is None or (entry.updated, entry.order) > (known.updated, known.order):
            entries[entry.id] = entry
    pages = paginate(list(entries.values()), config.feed.entries, config.feed.archive_page_size)
    out: dict[str, bytes] = {}
    for page in pages:
        out[file_name("rss", page.number)] = render_rss(page, config)
        out[file_name("atom", page.number)] = render_atom(page, config)
        out[file_name("json", page.number)] = render_json(page, config)
    return out
