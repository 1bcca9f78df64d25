"""RSS 2.0 and Atom 1.0 documents: feedgen builds the skeleton, lxml repairs what feedgen
1.0.0 gets wrong or cannot express (see the package docstring, "Known traps")."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from syndicate import __version__
from syndicate.config import Config
from syndicate.site.feeds.entries import (
    GENERATOR,
    Entry,
    absolute_url,
    base_url,
    plain_text,
    site_language,
)
from syndicate.site.feeds.archive import (
    ATOM_TYPE,
    MAIN,
    RSS_TYPE,
    Channel,
    Page,
    document_url,
    file_name,
    history_links,
    page_updated,
)

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator
    from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FH_NS = "http://purl.org/syndication/history/1.0"
AT_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
# Elements whose text is plain text (not HTML) in our RSS and Atom documents.
_PLAIN_ELEMENTS = re.compile(
    rb"(<(title|subtitle|summary|name|category|dc:creator)>)([^<]*)(</\2>)"
)


def _feed_generator(page: Page, kind: str, config: Config, channel: Channel) -> FeedGenerator:
    from feedgen.feed import FeedGenerator  # the heavy edge: feedgen and lxml load here

    site = config.site
    base = base_url(config)
    fg = FeedGenerator()
    # dc at feed level: it registers on every entry added later, and RSS needs dc:creator
    # for name-only authors. Atom has author/name, so dc stays out of Atom.
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media", atom=True, rss=True)
    fg.id(document_url(base, "atom", 0, channel))  # one logical feed: archive pages share it
    fg.title(plain_text(channel.title or site.title) or "Syndicate")
    description = (
        plain_text(channel.description or site.description) or plain_text(site.title) or "Syndicate"
    )
    fg.subtitle(description)
    fg.description(description)
    fg.language(channel.language or site_language(config))
    fg.author({"name": plain_text(site.title) or "Syndicate"})  # Atom: covers authorless entries
    fg.generator(GENERATOR, version=__version__)
    fg.updated(page_updated(page))
    icon = absolute_url(site.icon, base)
    logo = absolute_url(site.logo, base)
    if icon:
        fg.icon(icon)
    if logo or icon:
        fg.logo(logo or icon)  # also RSS <image>
    self_type = RSS_TYPE if kind == "rss" else ATOM_TYPE
    fg.link(href=document_url(base, kind, page.number, channel), rel="self", type=self_type)
    # Must stay the last link() call: feedgen uses the last href as RSS <channel><link>.
    fg.link(href=channel.home or base, rel="alternate", type="text/html")

    for entry in page.entries:
        if entry.deleted:
            continue  # RSS has no tombstones; Atom's are added after feedgen (render_atom)
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
    from lxml import etree

    return etree.Element(f"{{{ATOM_NS}}}link", rel=rel, href=href)


def _serialize(root: etree._Element) -> bytes:
    from lxml import etree

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
    from lxml import etree

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


def render_atom(page: Page, config: Config, channel: Channel = MAIN) -> bytes:
    from lxml import etree

    data = _feed_generator(page, "atom", config, channel).atom_str()
    tombstones = [e for e in page.entries if e.deleted]
    extra_ns = {"fh": FH_NS} if page.number else {}
    if tombstones:
        extra_ns["at"] = AT_NS
    root = _reparse(data, extra_ns)
    # Feed metadata must come before the first entry (RFC 4287 schema; the validator errs).
    first_entry = root.find(f"{{{ATOM_NS}}}entry")
    _insert_feed_links(
        root,
        root.index(first_entry) if first_entry is not None else len(root),
        "atom",
        page,
        config,
        channel,
    )
    by_id = {e.id: e for e in page.entries}
    for node in root.iter(f"{{{ATOM_NS}}}entry"):
        _fix_atom_entry(node, by_id[node.findtext(f"{{{ATOM_NS}}}id")])
    # RFC 4287's schema allows extension elements among the feed's metadata only, before the
    # first entry (RFC 6721's own examples put tombstones last, which the schema rejects).
    first = root.find(f"{{{ATOM_NS}}}entry")
    at = root.index(first) if first is not None else len(root)
    for offset, entry in enumerate(tombstones):
        # ref = the entry's id, when = the retraction; no reason and no title, which may be
        # exactly what had to come down.
        when = entry.updated.isoformat().replace("+00:00", "Z")
        root.insert(
            at + offset, etree.Element(f"{{{AT_NS}}}deleted-entry", ref=entry.id, when=when)
        )
    return _serialize(root)


def _fix_atom_entry(node: etree._Element, entry: Entry) -> None:
    from lxml import etree

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


def render_rss(page: Page, config: Config, channel: Channel = MAIN) -> bytes:
    data = _feed_generator(page, "rss", config, channel).rss_str()
    root = _reparse(data, {"fh": FH_NS} if page.number else {})
    element = root.find("channel")
    self_link = element.find(f"{{{ATOM_NS}}}link")
    _insert_feed_links(element, element.index(self_link) + 1, "rss", page, config, channel)
    return _serialize(root)


def _insert_feed_links(
    parent: etree._Element, at: int, kind: str, page: Page, config: Config, channel: Channel
) -> None:
    """What feedgen cannot write: WebSub hub links (the main feed's: the hub is pinged for
    it alone), RFC 5005 history links, fh:archive."""
    from lxml import etree

    base = base_url(config)
    hubs = _hub_links(config) if channel == MAIN else []
    extra = [_atom_link(rel, href) for rel, href in hubs]
    extra += [_atom_link(rel, href) for rel, href in history_links(kind, page, base)]
    if page.number:
        extra.append(etree.Element(f"{{{FH_NS}}}archive"))
    for offset, element in enumerate(extra):
        parent.insert(at + offset, element)


def _hub_links(config: Config) -> list[tuple[str, str]]:
    hub = config.feed.hub.strip()
    return [("hub", hub)] if hub else []
