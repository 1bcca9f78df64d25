"""Articles → RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes. The only module that touches feedgen.
Issue #5.

feedgen builds the skeleton of both XML formats; a small lxml pass then repairs what feedgen
1.0.0 gets wrong or cannot express (see DESIGN.md, "Known traps", each pinned by a test):

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

import hashlib
import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import nh3
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate import __version__
from syndicate.config import Config
from syndicate.labels import fill, labels_for
from syndicate.model import Article, Block, article_link

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FH_NS = "http://purl.org/syndication/history/1.0"

RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
ARCHIVE_DIR = "archive"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"
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


class HubPingError(Exception):
    """A WebSub hub did not accept our publish ping; the message says which hub and why."""


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


@dataclass(frozen=True)
class Page:
    """One feed document: the main feed (number 0) or archive page `number` (1 = oldest)."""

    number: int
    entries: tuple[Entry, ...]  # newest first
    prev_archive: int | None  # page number of the next-older archive page
    next_archive: int | None  # page number of the next-newer archive page


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


def _absolute_url(url: str | None, base: str) -> str | None:
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


def _site_language(config: Config) -> str:
    return _language(config.site.language) or "en"


def _base_url(config: Config) -> str:
    """The site's base URL in the same normal form as every other URL we write."""
    base = config.site.base_url
    return _absolute_url(base, base) or base


def _utc(dt: datetime) -> datetime:
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
            return _absolute_url(value, base)
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
    base = _base_url(config)
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
    base = _base_url(config)
    # A canonical URL that is not http(s) (javascript:, mailto:) is no link to give out.
    link = (
        _absolute_url(article_link(article, base), base)
        or _absolute_url(article_link(article.with_(url=None), base), base)
        or base
    )
    first_seen = article.first_seen or article.published or EMPTY_FEED_DATE
    published = _utc(article.published or first_seen)
    updated = max(_utc(article.updated or published), published)
    lang = _language(article.language)
    site_lang = _site_language(config)
    image = _absolute_url(article.image, base)
    author = plain_text(article.author.name) if article.author else ""
    author_url = _absolute_url(article.author.url, base) if article.author else None
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
        order=(_utc(first_seen), article.id),
        updated_stamp=_tie_break(updated, article.id),
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


def paginate(entries: Sequence[Entry], window: int, page_size: int) -> list[Page]:
    """Main page (number 0) plus the full archive pages, numbered from the oldest."""
    ordered = sorted(entries, key=lambda e: e.order)
    full_pages = max(len(ordered) - window, 0) // page_size
    cut = full_pages * page_size
    archived, current = ordered[:cut], ordered[cut:]
    pages = [
        Page(
            number=n,
            entries=_newest_first(archived[(n - 1) * page_size : n * page_size]),
            prev_archive=n - 1 if n > 1 else None,
            next_archive=n + 1 if n < full_pages else None,
        )
        for n in range(1, full_pages + 1)
    ]
    if current:
        # Recently edited archived entries are repeated in the main feed (see module doc).
        since = current[0].order[0]
        current += [e for e in archived if e.updated >= since and e.updated > e.published]
    main = Page(0, _newest_first(current), full_pages or None, None)
    return [main, *pages]


def _newest_first(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    return tuple(sorted(entries, key=lambda e: (e.published, e.order), reverse=True))


# ---------------------------------------------------------------------------------------------
# documents


def file_name(kind: str, number: int) -> str:
    """Feeds-folder-relative name of a document: main feed for 0, archive page otherwise."""
    main = {"rss": RSS_FILE, "atom": ATOM_FILE, "json": JSON_FILE}[kind]
    if number == 0:
        return main
    stem, ext = main.rsplit(".", 1)
    return f"{ARCHIVE_DIR}/{stem}-{number}.{ext}"


def feed_urls(config: Config) -> list[str]:
    """URLs of the main feeds: the WebSub topics to ping after a publish."""
    return [_base_url(config) + file_name(k, 0) for k in ("rss", "atom", "json")]


def content_type(name: str) -> str:
    """The HTTP Content-Type to serve a feed file with (the validator checks it too)."""
    stem = name.rsplit("/", 1)[-1]
    if stem.endswith(".json"):
        kind = JSON_TYPE
    else:
        kind = RSS_TYPE if stem.startswith("rss") else ATOM_TYPE
    return f"{kind}; charset=utf-8"


def _history_links(kind: str, page: Page, base: str) -> list[tuple[str, str]]:
    """(rel, href) of the RFC 5005 links of one document."""
    links = []
    if page.number:
        links.append(("current", base + file_name(kind, 0)))
    if page.prev_archive:
        links.append(("prev-archive", base + file_name(kind, page.prev_archive)))
    if page.next_archive:
        links.append(("next-archive", base + file_name(kind, page.next_archive)))
    return links


def _page_updated(page: Page) -> datetime:
    # Never "now": the newest change among the document's entries.
    return max((e.updated_stamp for e in page.entries), default=EMPTY_FEED_DATE)


def _feed_generator(page: Page, kind: str, config: Config) -> FeedGenerator:
    site = config.site
    base = _base_url(config)
    fg = FeedGenerator()
    # dc at feed level: it registers on every entry added later, and RSS needs dc:creator
    # for name-only authors. Atom has author/name, so dc stays out of Atom.
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media", atom=True, rss=True)
    fg.id(base + file_name("atom", 0))  # one logical feed: archive pages share its id
    fg.title(plain_text(site.title) or "Syndicate")
    description = plain_text(site.description) or plain_text(site.title) or "Syndicate"
    fg.subtitle(description)
    fg.description(description)
    fg.language(_site_language(config))
    fg.author({"name": plain_text(site.title) or "Syndicate"})  # Atom: covers authorless entries
    fg.generator(GENERATOR, version=__version__)
    fg.updated(_page_updated(page))
    icon = _absolute_url(site.icon, base)
    logo = _absolute_url(site.logo, base)
    if icon:
        fg.icon(icon)
    if logo or icon:
        fg.logo(logo or icon)  # also RSS <image>
    self_type = RSS_TYPE if kind == "rss" else ATOM_TYPE
    fg.link(href=base + file_name(kind, page.number), rel="self", type=self_type)
    # Must stay the last link() call: feedgen uses the last href as RSS <channel><link>.
    fg.link(href=base, rel="alternate", type="text/html")

    for entry in page.entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        permalink = entry.id == entry.link and entry.id.startswith(("http://", "https://"))
        fe.guid(entry.id, permalink=permalink)
        fe.title(entry.title)
        fe.link(href=entry.link, rel="alternate", type="text/html")
        if entry.enclosure:
            enc = entry.enclosure
            fe.enclosure(enc.url, str(enc.length), enc.type)
        fe.published(entry.published)
        fe.updated(entry.updated_stamp)
        if entry.author:
            author = {"name": entry.author}
            if entry.author_url:
                author["uri"] = entry.author_url
            fe.author(author)  # Atom only: RSS <author> needs an email we do not publish
            fe.dc.dc_creator(entry.author)
        if entry.language:
            fe.dc.dc_language(entry.language)
        # Atom summary is plain text; RSS description is HTML, so it gets the escaped text.
        # description() also sets Atom content, which content() then replaces.
        fe.summary(entry.summary)
        fe.description(html.escape(entry.summary, quote=False))
        fe.content(entry.content_html, type="html")
        for tag in entry.tags:
            fe.category(term=tag)
        if entry.image:
            fe.media.thumbnail({"url": entry.image}, group=None)
    return fg


def _atom_link(rel: str, href: str) -> etree._Element:
    return etree.Element(f"{{{ATOM_NS}}}link", rel=rel, href=href)


def _serialize(root: etree._Element) -> bytes:
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return _PLAIN_ELEMENTS.sub(_hex_refs, data)


def _hex_refs(match: re.Match[bytes]) -> bytes:
    """Write `&` and `<` in plain-text elements as hexadecimal character references.

    Same XML, but it is how the RSS Advisory Board's profile tells a reader "this is text, not
    HTML": "AT&amp;T" could be either, "AT&#x26;T" cannot. The W3C validator warns otherwise.
    """
    text = match.group(3).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
    return match.group(1) + text + match.group(4)


def _reparse(data: bytes, extra_ns: dict[str, str]) -> etree._Element:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    if not extra_ns:
        return root
    # Declare the extra namespaces on the root so they are not repeated on every element.
    nsmap = {**root.nsmap, **extra_ns}
    new_root = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    new_root.text = root.text
    new_root.extend(list(root))
    return new_root


def render_atom(page: Page, config: Config) -> bytes:
    data = _feed_generator(page, "atom", config).atom_str()
    root = _reparse(data, {"fh": FH_NS} if page.number else {})
    # Feed metadata must come before the first entry (RFC 4287 schema; the validator errs).
    first_entry = root.find(f"{{{ATOM_NS}}}entry")
    _insert_feed_links(
        root,
        root.index(first_entry) if first_entry is not None else len(root),
        "atom",
        page,
        config,
    )
    by_id = {e.id: e for e in page.entries}
    for node in root.iter(f"{{{ATOM_NS}}}entry"):
        _fix_atom_entry(node, by_id[node.findtext(f"{{{ATOM_NS}}}id")])
    return _serialize(root)


def _fix_atom_entry(node: etree._Element, entry: Entry) -> None:
    # feedgen drops rel/type/length on entry links: write them ourselves.
    for link in node.findall(f"{{{ATOM_NS}}}link"):
        node.remove(link)
    title = node.find(f"{{{ATOM_NS}}}title")
    at = node.index(title) + 1
    alternate = etree.Element(f"{{{ATOM_NS}}}link", rel="alternate", type="text/html")
    alternate.set("href", entry.link)
    node.insert(at, alternate)
    if entry.enclosure:
        enc = entry.enclosure
        link = etree.Element(f"{{{ATOM_NS}}}link", rel="enclosure", type=enc.type)
        link.set("href", enc.url)
        link.set("length", str(enc.length))
        node.insert(at + 1, link)
    if entry.language:
        node.set(XML_LANG, entry.language)


def render_rss(page: Page, config: Config) -> bytes:
    data = _feed_generator(page, "rss", config).rss_str()
    root = _reparse(data, {"fh": FH_NS} if page.number else {})
    channel = root.find("channel")
    self_link = channel.find(f"{{{ATOM_NS}}}link")
    _insert_feed_links(channel, channel.index(self_link) + 1, "rss", page, config)
    return _serialize(root)


def _insert_feed_links(
    parent: etree._Element, at: int, kind: str, page: Page, config: Config
) -> None:
    """What feedgen cannot write: WebSub hub links, RFC 5005 history links, fh:archive."""
    base = _base_url(config)
    extra = [_atom_link(rel, href) for rel, href in _hub_links(config)]
    extra += [_atom_link(rel, href) for rel, href in _history_links(kind, page, base)]
    if page.number:
        extra.append(etree.Element(f"{{{FH_NS}}}archive"))
    for offset, element in enumerate(extra):
        parent.insert(at + offset, element)


def _hub_links(config: Config) -> list[tuple[str, str]]:
    hub = config.feed.hub.strip()
    return [("hub", hub)] if hub else []


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def render_json(page: Page, config: Config) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1); older pages chained via next_url."""
    site = config.site
    base = _base_url(config)
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": plain_text(site.title) or "Syndicate",
        "home_page_url": base,
        "feed_url": base + file_name("json", page.number),
        "description": plain_text(site.description),
        "language": _site_language(config),
        "authors": [{"name": plain_text(site.title) or "Syndicate"}],
    }
    # JSON Feed wants a square icon (512 px) and a small favicon: both from site.icon; the
    # wide logo is the fallback for the former only.
    icon = _absolute_url(site.icon or site.logo, base)
    favicon = _absolute_url(site.icon, base)
    if icon:
        feed["icon"] = icon
    if favicon:
        feed["favicon"] = favicon
    if config.feed.hub.strip():
        feed["hubs"] = [{"type": "WebSub", "url": config.feed.hub.strip()}]
    if page.prev_archive:
        # JSON Feed paginates towards older items with next_url.
        feed["next_url"] = base + file_name("json", page.prev_archive)
    items = []
    for e in page.entries:
        item: dict[str, object] = {
            "id": e.id,
            "url": e.link,
            "title": e.title,
            "content_html": e.content_html,
            "summary": e.summary,
            "date_published": _iso(e.published),
            "date_modified": _iso(e.updated_stamp),
        }
        if e.image:
            item["image"] = e.image
        if e.author:
            author = {"name": e.author}
            if e.author_url:
                author["url"] = e.author_url
            item["authors"] = [author]
        if e.tags:
            item["tags"] = list(e.tags)
        if e.language:
            item["language"] = e.language
        if e.enclosure:
            item["attachments"] = [
                {
                    "url": e.enclosure.url,
                    "mime_type": e.enclosure.type,
                    "size_in_bytes": e.enclosure.length,
                }
            ]
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


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


# ---------------------------------------------------------------------------------------------
# WebSub


def ping_hub(hub_url: str, topic_urls: list[str], *, timeout: float = 10) -> None:
    """Tell a WebSub hub that our feeds changed (`hub.mode=publish`, one POST per topic).

    Hubs differ in whether they accept several `hub.url` values in one request, so each topic
    gets its own request. All topics are tried; one HubPingError lists every failure.
    """
    failures = []
    for topic in topic_urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
        request = urllib.request.Request(
            hub_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"{GENERATOR}/{__version__}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            failures.append(f"{topic}: HTTP {exc.code} {exc.reason}: {detail}".rstrip(": "))
            continue
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            failures.append(f"{topic}: {reason}")
            continue
        if not 200 <= status < 300:
            failures.append(f"{topic}: HTTP {status}")
    if failures:
        raise HubPingError(
            f"WebSub hub {hub_url} did not accept the publish ping for "
            f"{len(failures)} of {len(topic_urls)} feed(s): " + "; ".join(failures)
        )
