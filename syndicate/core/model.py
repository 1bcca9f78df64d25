"""The shared vocabulary: plain frozen dataclasses that flow readers → pipeline → writers.

Nothing here does I/O. Readers build `Article`s, the summarizer fills `summary`/`key_bullets`,
the store gives them a stable `id` and dates, and writers (feeds, digest, mail) only read them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, TypeVar

BlockKind = Literal["paragraph", "heading", "item"]


@dataclass(frozen=True)
class Author:
    name: str
    bio: str = ""
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Block:
    """One piece of an article body, in reading order.

    `heading` is a section heading, `item` a list item or bullet point. `marker` keeps the
    bullet the publisher used ("•", "-", "1.") so plain-text renderings and the summarizer can
    tell a `•` point from a plain heading.
    """

    kind: BlockKind
    text: str
    marker: str = ""

    def as_text(self) -> str:
        return f"{self.marker} {self.text}" if self.marker else self.text


@dataclass(frozen=True)
class RelatedLink:
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Article:
    """One article as understood from its inbox file (plus what later stages add)."""

    source: str  # path relative to the inbox, with forward slashes
    title: str
    blocks: tuple[Block, ...]
    author: Author | None = None
    dek: str = ""  # the standfirst under the headline, kept out of `blocks`
    language: str | None = None  # BCP 47; detected when the source does not say
    published: datetime | None = None  # timezone-aware, or None: the store uses first-seen
    updated: datetime | None = None
    url: str | None = None  # canonical URL given by the publisher
    tags: tuple[str, ...] = ()
    image: str | None = None  # lead image URL
    location: str | None = None  # dateline place ("JAKARTA")
    related: tuple[RelatedLink, ...] = ()
    body_html: str | None = None  # sanitized HTML when the source had markup
    summary: str = ""  # front matter or summarizer
    key_bullets: tuple[str, ...] = ()
    # Filled in by the store: stable identity and first publication.
    id: str = ""  # feed guid/id: canonical URL, else a tag: URI; never changes once stored
    slug: str = ""  # file-name-safe, unique; names the article's web page
    first_seen: datetime | None = None
    # Set by the store from its own column (never from the file): `syndicate retract`.
    retracted: datetime | None = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "paragraph")

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "heading")

    @property
    def text(self) -> str:
        """The body as plain text, blocks separated by blank lines; bullets keep their marker."""
        return "\n\n".join(b.as_text() for b in self.blocks)

    def content_hash(self) -> str:
        """Hash of everything a reader can see; a change here means the entry was updated."""
        h = hashlib.sha256()
        for part in (
            self.title,
            self.text,
            self.author.name if self.author else "",
            self.author.bio if self.author else "",
            self.language or "",
            self.url or "",
            "\x1f".join(self.tags),
            self.image or "",
            self.body_html or "",
            self.summary,
            "\x1f".join(self.key_bullets),
            self.published.isoformat() if self.published else "",
            self.updated.isoformat() if self.updated else "",
        ):
            h.update(part.encode("utf-8"))
            h.update(b"\x1e")
        if self.dek:  # only when there is one: the hashes of articles without stay as they were
            h.update(f"dek:{self.dek}".encode())
        return h.hexdigest()

    def with_(self, **changes: object) -> Article:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Summary:
    """What `syndicate.summarize` returns."""

    summary: str
    bullets: list[str]


@dataclass(frozen=True)
class Digest:
    """One email digest: the articles published since the previous one, newest first."""

    id: str  # e.g. "2026-11-27-001"; also the web version's file name
    created: datetime
    articles: tuple[Article, ...]  # shown, newest first
    # Articles of the same period left out to keep the email readable and under Gmail's
    # clipping size (digest.max_articles); the digest points to the site for them.
    omitted: int = 0


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str = ""
    token: str = ""  # secret for one-click unsubscribe links
    status: str = "active"  # active, pending, unsubscribed, bounced, complained
    language: str = ""  # BCP 47; "" = the site's
    newsletters: str = ""  # the ids held, separated by spaces; "" = the default ones


def article_link(article: Article, base_url: str) -> str:
    """Where a reader goes for the full article: the publisher's canonical URL, else our page."""
    return article.url or f"{base_url}{article_page(article.slug)}"


T = TypeVar("T")


def archive_cut(items: Sequence[T], window: int, page_size: int) -> tuple[list[T], list[list[T]]]:
    """`items` in archival order (oldest first) → (the current page, the archive pages from
    the oldest). Only *full* pages of `page_size` are archived, once at least `window` newer
    items remain, so an archive page never gains or loses an entry and the current page holds
    the newest `window` plus the fewer-than-a-page waiting for the next cut. One rule for the
    feeds' RFC 5005 archives and the site's lists: neither shifts when an item is added."""
    full = max(len(items) - window, 0) // page_size
    pages = [list(items[k * page_size : (k + 1) * page_size]) for k in range(full)]
    return list(items[full * page_size :]), pages


def epoch_seconds(dt: datetime) -> int:
    """Whole epoch seconds, as the feeds compare instants (feeds.entries.utc drops the
    microseconds; naive = UTC): the same order, without building a UTC datetime per row."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return math.floor(dt.timestamp())


def article_page(slug: str) -> str:
    """The article's own page, relative to the feeds folder (and to site.base_url)."""
    return f"articles/{slug}.html"


def digest_page(digest_id: str) -> str:
    """A digest's web version, relative to the feeds folder (and to site.base_url)."""
    return f"digests/{digest_id}.html"


def capped_digest(
    digest_id: str, created: datetime, articles: Sequence[Article], max_articles: int
) -> Digest:
    """The digest as subscribers see it: the newest `max_articles`, the rest counted."""
    shown = tuple(articles[:max_articles])
    return Digest(digest_id, created, shown, omitted=len(articles) - len(shown))
