"""One stored article → one `Entry`: everything a feed shows of it, cleaned once for all
three formats (text and URL hygiene, sanitized content, dates, enclosure)."""

from __future__ import annotations

import hashlib
import html
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import nh3

from syndicate.config import Config
from syndicate.core.labels import fill, labels_for
from syndicate.core.model import Article, Block, article_link

# Enclosure types by file suffix: a fixed table, not the host's mime.types, so the same
# articles give the same bytes on every machine.
_IMAGE_TYPES = {
    ".avif": "image/avif",
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}

# With no entries there is no "newest change"; a fixed date keeps empty feeds byte-stable.
EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
GENERATOR = "syndicate"

# XML 1.0 forbids most C0 controls, surrogates and U+FFFE/U+FFFF; the W3C validator also
# warns on C1 controls, noncharacters and U+FFFD (which only ever marks text damaged
# upstream), so those go too.
_XML_ILLEGAL = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffc\U00010000-\U0010ffff]"
)
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
# Script and style bodies are code, never visible text: drop them with their tags.
_CODE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_PATH_SAFE = "/:@!$&'()*+,;=~%"
_QUERY_SAFE = _PATH_SAFE + "?"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
# Elements whose text is plain text (not HTML) in our RSS and Atom documents.
_PLAIN_ELEMENTS = re.compile(
    rb"(<(title|subtitle|summary|name|category|dc:creator)>)([^<]*)(</\2>)"
)


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str


@dataclass(frozen=True)
class Entry:
    """One article, prepared once and rendered identically into every format."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    author: str  # "" when unknown
    author_url: str | None
    summary: str  # plain text
    content_html: str  # sanitized HTML, absolute URLs
    tags: tuple[str, ...]
    image: str | None  # absolute URL
    enclosure: Enclosure | None
    language: str | None  # only when it differs from the feed's
    order: tuple[datetime, str]  # archival order: first seen, then id
    updated_stamp: datetime  # `updated` as written in Atom and JSON Feed: see _tie_break
    # Retracted: RSS and JSON Feed leave the entry out, Atom writes an RFC 6721 tombstone
    # (at:deleted-entry) in its place. `updated` is then the retraction time.
    deleted: datetime | None = None


# ---------------------------------------------------------------------------------------------
# text and URL hygiene


def clean_text(text: str | None) -> str:
    """Drop characters XML cannot carry (or the validator warns on)."""
    return _XML_ILLEGAL.sub("", text or "")


def plain_text(text: str | None) -> str:
    """Markup-free single-line text: tags stripped, entities decoded, whitespace collapsed.

    Tags are stripped again after decoding so `&lt;script&gt;` cannot come back as a tag that
    a reader (or the validator) would take for HTML in a title.
    """
    text = _TAG.sub(" ", _CODE.sub(" ", clean_text(text)))
    # Decode until stable: double-escaped input (`&amp;lt;b&amp;gt;`) would otherwise keep
    # entity-looking text that readers show raw. Each round only shrinks the string.
    for _ in range(5):
        decoded = _TAG.sub(" ", _CODE.sub(" ", html.unescape(text)))
        if decoded == text:
            break
        text = decoded
    return _SPACE.sub(" ", clean_text(text)).strip()


def absolute_url(url: str | None, base: str) -> str | None:
    """An absolute http(s) URL with unsafe characters percent-encoded, or None."""
    url = clean_text(url).strip()
    if not url:
        return None
    try:
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(base, url))
        host, port = parts.hostname, parts.port  # both raise ValueError on garbage
        if parts.scheme not in ("http", "https") or not host:
            return None
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except (ValueError, UnicodeError):
        return None
    host = f"[{host}]" if ":" in host else host
    if not _HOST.fullmatch(host):
        return None
    # User info is dropped: credentials have no business in a feed.
    netloc = f"{host}:{port}" if port is not None else host
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            _quote(parts.path, _PATH_SAFE),
            _quote(parts.query, _QUERY_SAFE),
            _quote(parts.fragment, _QUERY_SAFE),
        )
    )


def _quote(part: str, safe: str) -> str:
    """Percent-encode what RFC 3986 does not allow; keep existing %XX escapes as they are."""
    return urllib.parse.quote(_LONE_PERCENT.sub("%25", part), safe=safe)


def _language(tag: str | None) -> str | None:
    tag = clean_text(tag).strip()
    return tag if tag and _LANG.match(tag) else None


def site_language(config: Config) -> str:
    return _language(config.site.language) or "en"


def base_url(config: Config) -> str:
    """The site's base URL in the same normal form as every other URL we write."""
    base = config.site.base_url
    return absolute_url(base, base) or base


def utc(dt: datetime) -> datetime:
    # Naive datetimes are taken as UTC; seconds precision so all three formats agree.
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# preparing entries


def _sanitize_html(fragment: str, base: str) -> str:
    def absolutize(tag: str, attr: str, value: str) -> str | None:
        if attr == "href" and value.strip().lower().startswith("mailto:"):
            return value.strip()
        if attr in ("href", "src"):
            # Readers resolve relative URLs against the feed, not the article: make them
            # absolute against the article's link. Anything not http(s) is dropped.
            return absolute_url(value, base)
        return value

    # nh3 decodes character references, so clean again after it (`&#0;` becomes U+FFFD).
    return clean_text(nh3.clean(clean_text(fragment), attribute_filter=absolutize)).strip()


def _blocks_html(blocks: Sequence[Block]) -> str:
    """Blocks → HTML; consecutive items form one list (numbered when the marker is)."""
    out: list[str] = []
    open_list = ""
    for block in blocks:
        text = html.escape(plain_text(block.text), quote=False)
        if not text:
            continue
        if block.kind == "item":
            kind = "ol" if block.marker[:1].isdigit() else "ul"
            if open_list != kind:
                if open_list:
                    out.append(f"</{open_list}>")
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{text}</li>")
            continue
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        out.append(f"<h2>{text}</h2>" if block.kind == "heading" else f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return "\n".join(out)


def _content_html(article: Article, link: str, labels: Mapping[str, str], image: str | None) -> str:
    parts: list[str] = []
    # The lead image in the content too: many readers ignore media:thumbnail. Not when the
    # body already shows it.
    if image and image not in (article.body_html or ""):
        parts.append(f'<p><img src="{html.escape(image)}" alt=""></p>')
    name = plain_text(article.author.name) if article.author else ""
    bio = plain_text(article.author.bio) if article.author and name else ""
    if name:
        who = html.escape(name, quote=False)
        byline = fill(html.escape(labels["byline"], quote=False), name=who)
        parts.append(f"<p><em>{byline}</em></p>")
    bullets = [html.escape(plain_text(b), quote=False) for b in article.key_bullets]
    bullets = [b for b in bullets if b]
    if bullets:
        items = "".join(f"<li>{b}</li>" for b in bullets)
        key_points = html.escape(labels["key_points"], quote=False)
        parts.append(f"<p><strong>{key_points}</strong></p>\n<ul>{items}</ul>")
    # body_html is sanitized upstream; sanitize again anyway: it is the one place where input
    # markup reaches a feed reader, and relative URLs must become absolute here.
    body = article.body_html if article.body_html else _blocks_html(article.blocks)
    parts.append(body)
    if bio:
        # Bios run long; after the article, not between the byline and the story.
        who, about = html.escape(name, quote=False), html.escape(bio, quote=False)
        parts.append(f"<p><em>{who}</em>: {about}</p>")
    return _sanitize_html("\n".join(parts), link)


def _summary(article: Article) -> str:
    summary = plain_text(article.summary)
    if summary:
        return summary
    # No summary yet (summarizer off or failed): the opening words, cut at a word boundary.
    words = plain_text(" ".join(article.paragraphs) or article.text).split(" ")
    text = " ".join(words[:60])
    return text + (" …" if len(words) > 60 else "") if text else plain_text(article.title)


def _local_enclosure(image: str, config: Config) -> Enclosure | None:
    """An RSS enclosure needs the real byte length, and rendering never touches the network,
    so only images we serve ourselves (under base_url, present in the feeds folder) get one;
    any other lead image is announced with media:thumbnail only."""
    base = base_url(config)
    if not image.startswith(base):
        return None
    relative = urllib.parse.unquote(urllib.parse.urlsplit(image[len(base) :]).path)
    root = config.path("feeds").resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    media_type = _IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None:
        return None
    return Enclosure(url=image, length=path.stat().st_size, type=media_type)


def prepare_entry(article: Article, config: Config) -> Entry:
    """Everything a feed shows of one article, cleaned once for all formats."""
    if not article.id:
        raise ValueError(f"{article.source}: article has no id; store it before rendering feeds")
    base = base_url(config)
    # A canonical URL that is not http(s) (javascript:, mailto:) is no link to give out.
    link = (
        absolute_url(article_link(article, base), base)
        or absolute_url(article_link(article.with_(url=None), base), base)
        or base
    )
    first_seen = article.first_seen or article.published or EMPTY_FEED_DATE
    if article.retracted:
        return _tombstone(article, first_seen)
    published = utc(article.published or first_seen)
    updated = max(utc(article.updated or published), published)
    lang = _language(article.language)
    site_lang = site_language(config)
    image = absolute_url(article.image, base)
    author = plain_text(article.author.name) if article.author else ""
    author_url = absolute_url(article.author.url, base) if article.author else None
    tags = tuple(dict.fromkeys(t for t in (plain_text(t) for t in article.tags) if t))
    return Entry(
        id=clean_text(article.id).strip(),
        title=plain_text(article.title) or plain_text(article.slug) or "Untitled",
        link=link,
        published=published,
        updated=updated,
        author=author,
        author_url=author_url if author else None,
        summary=_summary(article),
        content_html=_content_html(
            article, link, labels_for(lang or site_lang, config.path("templates")), image
        ),
        tags=tags,
        image=image,
        enclosure=_local_enclosure(image, config) if image else None,
        language=lang if lang and lang.lower() != site_lang.lower() else None,
        order=(utc(first_seen), article.id),
        updated_stamp=_tie_break(updated, article.id),
    )


def _tombstone(article: Article, first_seen: datetime) -> Entry:
    """A retracted article keeps its slot (pages never shift) and its id, nothing else: no
    title or text of a taken-down article may stay in any feed."""
    when = utc(article.retracted)  # type: ignore[arg-type]
    entry_id = clean_text(article.id).strip()
    return Entry(
        id=entry_id,
        title="",
        link="",
        published=utc(article.published or first_seen),
        updated=when,
        author="",
        author_url=None,
        summary="",
        content_html="",
        tags=(),
        image=None,
        enclosure=None,
        language=None,
        order=(utc(first_seen), article.id),
        updated_stamp=when,
        deleted=when,
    )


def _tie_break(updated: datetime, entry_id: str) -> datetime:
    """`updated` plus a sub-second offset that depends only on the entry's id.

    Articles first seen in the same run, or dated by the day only, share one `updated` second;
    the W3C validator then warns (DuplicateUpdated), and readers that key versions on it cannot
    tell the entries apart. An offset derived from the id never changes for an entry, so no
    reader sees a fake update, and it is the same in Atom and JSON Feed (RSS dates have no
    fractions, and feedparser's parsed dates keep whole seconds, so all formats still agree).
    """
    digest = hashlib.sha256(entry_id.encode("utf-8", "surrogatepass")).digest()
    return updated + timedelta(microseconds=int.from_bytes(digest[:4], "big") % 999_999 + 1)
