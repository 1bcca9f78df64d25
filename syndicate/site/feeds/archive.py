"""Which entries go in which document: the main feed and RFC 5005 archive pages, their file
names, media types and history links (see the package docstring for the policy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote
from datetime import datetime

from syndicate.config import Config
from syndicate.site.feeds.entries import EMPTY_FEED_DATE, Entry, base_url
from syndicate.core.model import archive_cut

RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
ARCHIVE_DIR = "archive"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"


@dataclass(frozen=True)
class Page:
    """One feed document: the main feed (number 0) or archive page `number` (1 = oldest)."""

    number: int
    entries: tuple[Entry, ...]  # newest first
    prev_archive: int | None  # page number of the next-older archive page
    next_archive: int | None  # page number of the next-newer archive page


@dataclass(frozen=True)
class Channel:
    """Which feed a document is of: the site's main feed (folder "") or a topic feed
    (site/topics.py: "tags/ports/", "lang/en/"), with what it says about itself instead of
    the site's title, description, language and home page. A topic feed is one document of
    the newest entries, without archive pages or hub: its archive is the main feed's."""

    folder: str = ""  # under paths.feeds (and base_url), with its trailing "/"
    title: str = ""  # "" = the site's
    description: str = ""  # "" = the site's
    language: str = ""  # "" = the site's
    home: str = ""  # the page it belongs to; "" = base_url


MAIN = Channel()


def paginate(entries: Sequence[Entry], window: int, page_size: int) -> list[Page]:
    """Main page (number 0) plus the full archive pages, numbered from the oldest."""
    current, archive = archive_cut(sorted(entries, key=lambda e: e.order), window, page_size)
    full_pages = len(archive)
    pages = [
        Page(
            number=n,
            entries=_newest_first(page),
            prev_archive=n - 1 if n > 1 else None,
            next_archive=n + 1 if n < full_pages else None,
        )
        for n, page in enumerate(archive, 1)
    ]
    if current:
        # Recently edited archived entries are repeated in the main feed (see module doc).
        since = current[0].order[0]
        current += [
            e for page in archive for e in page if e.updated >= since and e.updated > e.published
        ]
    main = Page(0, _newest_first(current), full_pages or None, None)
    return [main, *pages]


def _newest_first(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    return tuple(sorted(entries, key=lambda e: (e.published, e.order), reverse=True))


# ---------------------------------------------------------------------------------------------
# documents


def file_name(kind: str, number: int, channel: Channel = MAIN) -> str:
    """Feeds-folder-relative name of a document: main feed for 0, archive page otherwise;
    a topic channel's in its folder."""
    main = {"rss": RSS_FILE, "atom": ATOM_FILE, "json": JSON_FILE}[kind]
    if number == 0:
        return channel.folder + main
    stem, ext = main.rsplit(".", 1)
    return f"{ARCHIVE_DIR}/{stem}-{number}.{ext}"


def document_url(base: str, kind: str, number: int, channel: Channel = MAIN) -> str:
    """A document's URL: a topic's folder may hold letters of any script ("tags/経済/"),
    which a URL carries percent-encoded (the W3C validator, and RSS, want URIs, not IRIs)."""
    return base + quote(file_name(kind, number, channel))


def feed_urls(config: Config) -> list[str]:
    """URLs of the main feeds: the WebSub topics to ping after a publish."""
    return [base_url(config) + file_name(k, 0) for k in ("rss", "atom", "json")]


def content_type(name: str) -> str:
    """The HTTP Content-Type to serve a feed file with (the validator checks it too)."""
    stem = name.rsplit("/", 1)[-1]
    if stem.endswith(".json"):
        kind = JSON_TYPE
    else:
        kind = RSS_TYPE if stem.startswith("rss") else ATOM_TYPE
    return f"{kind}; charset=utf-8"


def history_links(kind: str, page: Page, base: str) -> list[tuple[str, str]]:
    """(rel, href) of the RFC 5005 links of one document."""
    links = []
    if page.number:
        links.append(("current", base + file_name(kind, 0)))
    if page.prev_archive:
        links.append(("prev-archive", base + file_name(kind, page.prev_archive)))
    if page.next_archive:
        links.append(("next-archive", base + file_name(kind, page.next_archive)))
    return links


def page_updated(page: Page) -> datetime:
    # Never "now": the newest change among the document's entries.
    return max((e.updated_stamp for e in page.entries), default=EMPTY_FEED_DATE)
