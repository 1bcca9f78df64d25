"""Feeds (issue #5): RSS 2.0, Atom 1.0 and JSON Feed 1.1 from stored articles.

Everything is asserted on the rendered bytes, read back with feedparser, lxml and json. Fixed
dates only, so no test depends on the clock.
"""

from __future__ import annotations

import json
import random
import stat
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import feedgen.entry
import feedgen.feed
import feedparser
import pytest
from lxml import etree

from syndicate.config import Config, FeedConfig, load_config
from syndicate.feeds import (
    EMPTY_FEED_DATE,
    HubPingError,
    feed_urls,
    ping_hub,
    plain_text,
    render_feeds,
)
from syndicate.files import write_atomic
from syndicate.model import Author, Block
from tests.feeds_fixtures import (
    FEEDS_BASE,
    HOSTILE_TITLES,
    feeds_article,
    feeds_config,
    feeds_hostile_articles,
)

A = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
FH = "{http://purl.org/syndication/history/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False))


def parsed(data: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def atom_links(parent: etree._Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in parent.findall(f"{A}link")}


@pytest.fixture
def config() -> Config:
    return feeds_config()


@pytest.fixture
def articles() -> list:
    return [feeds_article(n) for n in range(5)]


# ---------------------------------------------------------------------------------------------
# the three formats


def test_renders_three_main_documents(articles, config):
    out = render_feeds(articles, config)
    assert set(out) == {"rss.xml", "atom.xml", "feed.json"}
    assert parsed(out["rss.xml"]).version == "rss20"
    assert parsed(out["atom.xml"]).version == "atom10"
    assert json.loads(out["feed.json"])["version"] == "https://jsonfeed.org/version/1.1"


def test_same_entries_in_all_three_formats(config):
    articles = [feeds_article(n) for n in range(3)] + feeds_hostile_articles()
    out = render_feeds(articles, config)
    rss, atom = parsed(out["rss.xml"]), parsed(out["atom.xml"])
    items = json.loads(out["feed.json"])["items"]

    def summary(e):
        return [e.id, e.title, e.link, e.get("author"), e.published_parsed]

    # RSS has no per-entry updated (pubDate is the publication date), so it is not compared.
    assert [summary(e) for e in rss.entries] == [summary(e) for e in atom.entries]
    assert len(items) == len(articles) == len(atom.entries)
    for item, entry in zip(items, atom.entries, strict=True):
        assert item["id"] == entry.id
        assert item["title"] == entry.title
        assert item["url"] == entry.link
        assert item.get("authors", [{}])[0].get("name") == entry.get("author")
        published = datetime.fromisoformat(item["date_published"])
        assert published.utctimetuple()[:6] == tuple(entry.published_parsed)[:6]
        modified = datetime.fromisoformat(item["date_modified"])
        assert modified.utctimetuple()[:6] == tuple(entry.updated_parsed)[:6]


def test_entry_fields(config):
    article = feeds_article(
        1,
        published=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        updated=datetime(2026, 11, 22, 10, 15, tzinfo=UTC),
        tags=("politik", "asia", "politik"),
    )
    out = render_feeds([article], config)
    atom = xml(out["atom.xml"]).find(f"{A}entry")
    assert atom.findtext(f"{A}id") == "tag:news.example.org,2026:articles/001"
    assert atom.findtext(f"{A}title") == "Artikel nomor 1"
    assert atom.findtext(f"{A}published") == "2026-11-21T09:00:00+00:00"
    assert atom.findtext(f"{A}updated") == "2026-11-22T10:15:00+00:00"
    assert atom.findtext(f"{A}author/{A}name") == "Sari Wulandari"
    assert atom.findtext(f"{A}summary") == "Ringkasan artikel 1."
    assert [c.get("term") for c in atom.findall(f"{A}category")] == ["politik", "asia"]
    content = atom.find(f"{A}content")
    assert content.get("type") == "html"
    # Byline with bio, key bullets, then the body; list items grouped in one list.
    html = content.text
    assert "<em>Oleh Sari Wulandari</em> — Wartawan senior." in html
    assert "<li>Butir satu.</li><li>Butir dua.</li>" in html
    assert "<h2>Latar belakang</h2>" in html
    assert "<ul>\n<li>Poin pertama</li>\n<li>Poin kedua</li>\n</ul>" in html

    item = xml(out["rss.xml"]).find("channel/item")
    assert item.findtext("link") == f"{FEEDS_BASE}articles/artikel-001.html"
    assert item.findtext("pubDate") == "Sat, 21 Nov 2026 09:00:00 +0000"
    assert item.findtext("description") == "Ringkasan artikel 1."
    assert item.findtext(f"{CONTENT}encoded") == html
    assert [c.text for c in item.findall("category")] == ["politik", "asia"]
    guid = item.find("guid")
    assert guid.text == article.id and guid.get("isPermaLink") == "false"


def test_published_and_updated_fall_back_to_first_seen(config):
    article = feeds_article(2, published=None, updated=None)
    entry = parsed(render_feeds([article], config)["atom.xml"]).entries[0]
    seen = article.first_seen.utctimetuple()[:6]
    assert tuple(entry.published_parsed)[:6] == seen
    assert tuple(entry.updated_parsed)[:6] == seen


def test_guid_is_permalink_only_when_id_is_the_link(config):
    url = "https://publisher.example.com/2026/story"
    same = feeds_article(1, url=url, id=url)
    other = feeds_article(2, url=url + "-2")  # tag: id, canonical URL as link
    out = render_feeds([same, other], config)
    guids = {i.findtext("link"): i.find("guid") for i in xml(out["rss.xml"]).iter("item")}
    assert guids[url].get("isPermaLink") == "true"
    assert guids[url + "-2"].get("isPermaLink") == "false"
    assert guids[url + "-2"].text == other.id


def test_non_http_canonical_url_falls_back_to_our_page(config):
    article = feeds_article(3, url="javascript:alert(1)")
    entry = parsed(render_feeds([article], config)["atom.xml"]).entries[0]
    assert entry.link == f"{FEEDS_BASE}articles/artikel-003.html"


def test_content_from_body_html_is_sanitized_with_absolute_urls(config):
    article = feeds_article(
        4,
        url="https://publisher.example.com/2026/11/story.html",
        body_html=(
            '<p onclick="x()">See <a href="/about">about</a> and '
            '<a href="javascript:alert(1)">this</a>.</p><script>alert(1)</script>'
            '<img src="img/a b.png" alt="pic"><iframe src="https://evil.example"></iframe>'
        ),
    )
    content = xml(render_feeds([article], config)["atom.xml"]).findtext(f"{A}entry/{A}content")
    assert 'href="https://publisher.example.com/about"' in content
    assert 'src="https://publisher.example.com/2026/11/img/a%20b.png"' in content
    for bad in ("<script", "onclick", "javascript:", "<iframe", "evil.example"):
        assert bad not in content
    assert "<em>Oleh Sari Wulandari</em>" in content  # byline and bullets still added
    assert "<li>Butir satu.</li>" in content


def test_blocks_text_is_escaped_not_markup(config):
    article = feeds_article(
        5,
        blocks=(
            Block("paragraph", "Use <b>bold</b> & <script>alert(1)</script> here"),
            Block("item", "First", marker="1."),
            Block("item", "Second", marker="2."),
        ),
    )
    content = xml(render_feeds([article], config)["atom.xml"]).findtext(f"{A}entry/{A}content")
    assert "<p>Use bold &amp; here</p>" in content
    assert "<ol>\n<li>First</li>\n<li>Second</li>\n</ol>" in content


# ---------------------------------------------------------------------------------------------
# feed-level metadata


def test_feed_metadata(articles, config):
    out = render_feeds(articles, config)
    channel = xml(out["rss.xml"]).find("channel")
    assert channel.findtext("title") == "Kabar Syndicate"
    assert channel.findtext("description") == "Berita dan analisis pilihan."
    assert channel.findtext("language") == "id"
    assert channel.findtext("generator") == "syndicate"
    atom = xml(out["atom.xml"])
    assert atom.get(XML_LANG) == "id"
    assert atom.findtext(f"{A}subtitle") == "Berita dan analisis pilihan."
    assert atom.findtext(f"{A}generator") == "syndicate"
    assert atom_links(atom)["self"] == f"{FEEDS_BASE}atom.xml"
    assert atom_links(atom)["alternate"] == FEEDS_BASE
    assert atom_links(channel)["self"] == f"{FEEDS_BASE}rss.xml"
    doc = json.loads(out["feed.json"])
    assert doc["feed_url"] == f"{FEEDS_BASE}feed.json"
    assert doc["home_page_url"] == FEEDS_BASE
    assert doc["language"] == "id"
    assert "icon" not in doc and atom.find(f"{A}icon") is None  # none configured


def test_icon_and_logo_when_configured(articles):
    config = feeds_config(icon="static/icon.png", logo="https://cdn.example.net/logo.png")
    out = render_feeds(articles, config)
    atom = xml(out["atom.xml"])
    assert atom.findtext(f"{A}icon") == f"{FEEDS_BASE}static/icon.png"
    assert atom.findtext(f"{A}logo") == "https://cdn.example.net/logo.png"
    image = xml(out["rss.xml"]).find("channel/image")
    assert image.findtext("url") == "https://cdn.example.net/logo.png"
    assert image.findtext("link") == FEEDS_BASE
    doc = json.loads(out["feed.json"])
    assert doc["icon"] == "https://cdn.example.net/logo.png"
    assert doc["favicon"] == f"{FEEDS_BASE}static/icon.png"


def test_feed_updated_is_newest_entry_change(config):
    edited = feeds_article(1, updated=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    out = render_feeds([feeds_article(0), edited, feeds_article(2)], config)
    assert xml(out["atom.xml"]).findtext(f"{A}updated") == "2026-12-01T12:00:00+00:00"
    last_build = xml(out["rss.xml"]).findtext("channel/lastBuildDate")
    assert last_build == "Tue, 01 Dec 2026 12:00:00 +0000"


def test_empty_feed_is_valid_and_stable(config):
    out = render_feeds([], config)
    assert parsed(out["atom.xml"]).entries == []
    assert parsed(out["rss.xml"]).entries == []
    assert json.loads(out["feed.json"])["items"] == []
    assert xml(out["atom.xml"]).findtext(f"{A}updated") == EMPTY_FEED_DATE.isoformat()
    assert render_feeds([], config) == out


# ---------------------------------------------------------------------------------------------
# feedgen 1.0.0 traps (DESIGN.md, "Known traps"), one test each


def test_trap_atom_entry_links_keep_rel_and_type(tmp_path):
    """feedgen drops rel/type on Atom entry links, turning an enclosure into a 2nd alternate."""
    (tmp_path / "feeds" / "images").mkdir(parents=True)
    (tmp_path / "feeds" / "images" / "lead.jpg").write_bytes(b"\xff\xd8" + b"x" * 1232)
    config = feeds_config(tmp_path)
    article = feeds_article(1, image=f"{FEEDS_BASE}images/lead.jpg")
    out = render_feeds([article], config)
    entry = xml(out["atom.xml"]).find(f"{A}entry")
    links = [(ln.get("rel"), ln.get("type"), ln.get("href")) for ln in entry.findall(f"{A}link")]
    assert links == [
        ("alternate", "text/html", f"{FEEDS_BASE}articles/artikel-001.html"),
        ("enclosure", "image/jpeg", f"{FEEDS_BASE}images/lead.jpg"),
    ]
    assert entry.find(f"{A}link[@rel='enclosure']").get("length") == "1234"
    enclosure = xml(out["rss.xml"]).find("channel/item/enclosure")
    assert enclosure.attrib == {
        "url": f"{FEEDS_BASE}images/lead.jpg",
        "length": "1234",
        "type": "image/jpeg",
    }
    attachment = json.loads(out["feed.json"])["items"][0]["attachments"][0]
    assert attachment["size_in_bytes"] == 1234
    assert parsed(out["atom.xml"]).entries[0].enclosures[0]["length"] == "1234"


def test_trap_rss_channel_link_is_the_site_not_the_last_link(articles):
    """feedgen makes <channel><link> the href of the *last* link() call."""
    with_hub = render_feeds(articles, feeds_config(hub="https://hub.example.net/"))
    with_archives = render_feeds(articles, feeds_config(entries=2, page=1))
    for data in (with_hub, with_archives, with_archives["archive/rss-1.xml"]):
        data = data if isinstance(data, bytes) else data["rss.xml"]
        channel = xml(data).find("channel")
        assert channel.findtext("link") == FEEDS_BASE
        assert parsed(data).feed.link == FEEDS_BASE


def test_trap_updated_is_never_now(articles, config, monkeypatch):
    """feedgen defaults updated/lastBuildDate to now; a changed clock must change nothing."""
    before = render_feeds(articles, config)

    class Clock(type):
        def __instancecheck__(cls, obj):  # feedgen type-checks values with isinstance
            return isinstance(obj, datetime)

    class Future(metaclass=Clock):
        @staticmethod
        def now(tz=None):
            return datetime(2099, 1, 1, tzinfo=tz)

    monkeypatch.setattr(feedgen.feed, "datetime", Future)
    monkeypatch.setattr(feedgen.entry, "datetime", Future)
    assert feedgen.feed.FeedGenerator().updated().year == 2099  # the patch took
    after = render_feeds(articles, config)
    assert after == before
    for data in after.values():
        assert b"2099" not in data


def test_trap_name_only_author_survives_in_rss_via_dc_creator(config):
    """Without the dc extension at feed level a name-only author vanishes from RSS."""
    article = feeds_article(1, author=Author(name="Sari Wulandari"))
    rss = xml(render_feeds([article], config)["rss.xml"])
    item = rss.find("channel/item")
    assert item.findtext(f"{DC}creator") == "Sari Wulandari"
    assert item.find("author") is None  # RSS <author> must be an email; we publish none
    assert rss.nsmap["dc"] == DC.strip("{}")  # declared once, at the root
    assert parsed(etree.tostring(rss)).entries[0].author == "Sari Wulandari"


def test_trap_no_cdata_content_in_atom_or_rss(config):
    """content(type='CDATA') is invalid in Atom; content is escaped text of type html."""
    article = feeds_article(1, body_html="<p>a ]]> b</p>", title="x ]]> y")
    out = render_feeds([article], config)
    for name in ("atom.xml", "rss.xml"):
        assert b"<![CDATA[" not in out[name]
    content = xml(out["atom.xml"]).find(f"{A}entry/{A}content")
    assert content.get("type") == "html"
    assert "<p>a ]]&gt; b</p>" in content.text


# ---------------------------------------------------------------------------------------------
# determinism and identity


def test_byte_identical_rerun_and_input_order_does_not_matter(config):
    articles = [feeds_article(n) for n in range(12)] + feeds_hostile_articles()
    first = render_feeds(articles, feeds_config(entries=5, page=4))
    shuffled = list(articles)
    random.Random(5).shuffle(shuffled)
    assert render_feeds(shuffled, feeds_config(entries=5, page=4)) == first
    assert render_feeds(articles, feeds_config(entries=5, page=4)) == first


def test_edit_keeps_id_and_moves_updated(config):
    original = feeds_article(1)
    edited = original.with_(
        title="Artikel nomor 1 (diperbarui)",
        slug="artikel-001-diperbarui",
        updated=original.first_seen + timedelta(days=2),
    )
    before = parsed(render_feeds([original], config)["atom.xml"]).entries[0]
    after = parsed(render_feeds([edited], config)["atom.xml"]).entries[0]
    assert after.id == before.id == original.id
    assert after.published_parsed == before.published_parsed
    assert after.updated_parsed > before.updated_parsed
    assert after.title == "Artikel nomor 1 (diperbarui)"


# ---------------------------------------------------------------------------------------------
# window and RFC 5005 archives


def test_window_and_archive_pages(config):
    # 9 articles, 3 in the window, pages of 2 from the oldest: [0,1] [2,3] [4,5], window 6–8.
    config = feeds_config(entries=3, page=2)
    out = render_feeds([feeds_article(n) for n in range(9)], config)
    archives = [
        f"archive/{stem}-{n}.{ext}"
        for n in (1, 2, 3)
        for stem, ext in (("rss", "xml"), ("atom", "xml"), ("feed", "json"))
    ]
    assert sorted(out) == sorted(["rss.xml", "atom.xml", "feed.json", *archives])

    def ids(name):
        return [e.id.rsplit("/", 1)[1] for e in parsed(out[name]).entries]

    assert ids("atom.xml") == ["008", "007", "006"]
    assert ids("rss.xml") == ["008", "007", "006"]
    assert ids("archive/atom-1.xml") == ["001", "000"]
    assert ids("archive/atom-2.xml") == ["003", "002"]
    assert ids("archive/rss-3.xml") == ["005", "004"]

    main = xml(out["atom.xml"])
    assert atom_links(main)["prev-archive"] == f"{FEEDS_BASE}archive/atom-3.xml"
    assert main.find(f"{FH}archive") is None
    page2 = xml(out["archive/atom-2.xml"])
    assert atom_links(page2) == {
        "self": f"{FEEDS_BASE}archive/atom-2.xml",
        "alternate": FEEDS_BASE,
        "current": f"{FEEDS_BASE}atom.xml",
        "prev-archive": f"{FEEDS_BASE}archive/atom-1.xml",
        "next-archive": f"{FEEDS_BASE}archive/atom-3.xml",
    }
    assert page2.find(f"{FH}archive") is not None
    assert "prev-archive" not in atom_links(xml(out["archive/atom-1.xml"]))
    assert "next-archive" not in atom_links(xml(out["archive/atom-3.xml"]))

    channel = xml(out["archive/rss-2.xml"]).find("channel")
    assert channel.findtext("link") == FEEDS_BASE
    assert atom_links(channel)["current"] == f"{FEEDS_BASE}rss.xml"
    assert atom_links(channel)["prev-archive"] == f"{FEEDS_BASE}archive/rss-1.xml"
    assert channel.find(f"{FH}archive") is not None
    assert atom_links(xml(out["rss.xml"]).find("channel"))["prev-archive"] == (
        f"{FEEDS_BASE}archive/rss-3.xml"
    )

    # JSON Feed pages towards older items with next_url.
    doc = json.loads(out["feed.json"])
    assert doc["next_url"] == f"{FEEDS_BASE}archive/feed-3.json"
    assert json.loads(out["archive/feed-1.json"]).get("next_url") is None
    assert json.loads(out["archive/feed-3.json"])["next_url"] == f"{FEEDS_BASE}archive/feed-2.json"
    # Each archive page's updated is its own newest entry, not the main feed's.
    assert xml(out["archive/atom-1.xml"]).findtext(f"{A}updated") == (
        feeds_article(1).published.isoformat()
    )


def test_full_archive_pages_never_change(config):
    config = feeds_config(entries=3, page=2)
    before = render_feeds([feeds_article(n) for n in range(9)], config)
    after = render_feeds([feeds_article(n) for n in range(12)], config)
    # Pages 1 and 2 had a newer page already: byte-identical. Page 3 was the newest page and
    # gains its next-archive link (once); the main feed moves on.
    for name in ("archive/atom-1.xml", "archive/rss-1.xml", "archive/feed-1.json"):
        assert after[name] == before[name]
    for name in ("archive/atom-2.xml", "archive/rss-2.xml", "archive/feed-2.json"):
        assert after[name] == before[name]
    assert after["archive/atom-3.xml"] != before["archive/atom-3.xml"]
    assert "archive/atom-4.xml" in after and "archive/atom-4.xml" not in before
    assert after["atom.xml"] != before["atom.xml"]


def test_backdated_article_goes_to_the_main_feed_not_an_old_page(config):
    config = feeds_config(entries=2, page=2)
    articles = [feeds_article(n) for n in range(6)]
    before = render_feeds(articles, config)
    late = feeds_article(6, published=feeds_article(0).published - timedelta(days=30))
    after = render_feeds([*articles, late], config)
    assert late.id in {e.id for e in parsed(after["atom.xml"]).entries}
    assert after["archive/atom-1.xml"] == before["archive/atom-1.xml"]


# ---------------------------------------------------------------------------------------------
# hostile text


def test_hostile_text_never_breaks_a_feed(config):
    articles = [*feeds_hostile_articles(), feeds_article(1)]
    out = render_feeds(articles, config)
    rss, atom = parsed(out["rss.xml"]), parsed(out["atom.xml"])
    items = json.loads(out["feed.json"])["items"]
    assert len(rss.entries) == len(atom.entries) == len(items) == len(articles)
    titles = {e.title for e in atom.entries}
    assert {e.title for e in rss.entries} == titles == {i["title"] for i in items}
    assert "Bold & title" in titles
    assert "Control chars end" in titles
    assert "CDATA ]]> breaker ]]> twice" in titles
    assert "Emoji 🎉🇮🇩 and ZWJ 👩‍💻" in titles
    assert "RTL עברית and العربية mixed" in titles
    assert "escaped" in titles
    assert "Lone surrogate here" in titles
    for title in titles:
        assert "<" not in title and "alert" not in title
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in title)
    for data in out.values():
        data.decode("utf-8")  # lone surrogates never reach the encoder
    for entry in atom.entries:
        assert entry.author.startswith(("Eve", "Sari", "John"))
        assert "<script" not in entry.content[0].value
    five_k = next(e for e in atom.entries if e.title == "Five thousand words")
    assert "kata4999" in five_k.content[0].value
    assert five_k.summary.endswith("…") and len(five_k.summary.split()) == 61
    tags = {t.term for e in atom.entries for t in e.get("tags", [])}
    assert "a&b" in tags and "" not in tags and "<tag>" not in tags


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_each_hostile_title_alone(title, config):
    out = render_feeds([feeds_article(1, title=title, summary=title)], config)
    for name in ("rss.xml", "atom.xml"):
        entry = parsed(out[name]).entries[0]
        assert entry.title == plain_text(title)
        assert entry.title and "<" not in entry.title
    assert json.loads(out["feed.json"])["items"][0]["title"] == plain_text(title)


def test_missing_title_and_author(config):
    article = feeds_article(1, title="<p></p>", author=None, summary="", blocks=())
    out = render_feeds([article], config)
    entry = parsed(out["atom.xml"]).entries[0]
    assert entry.title == "artikel-001"
    # Atom needs an author per entry or feed: the feed-level author (the site) covers it.
    assert xml(out["atom.xml"]).findtext(f"{A}author/{A}name") == "Kabar Syndicate"
    assert xml(out["rss.xml"]).find(f"channel/item/{DC}creator") is None


# ---------------------------------------------------------------------------------------------
# language, images, hub


def test_per_entry_language_only_where_it_differs(config):
    english = feeds_article(1, language="en")
    indonesian = feeds_article(2, language="id")
    unknown = feeds_article(3, language="not a tag!")
    out = render_feeds([english, indonesian, unknown], config)
    atom = {e.findtext(f"{A}id"): e for e in xml(out["atom.xml"]).iter(f"{A}entry")}
    assert atom[english.id].get(XML_LANG) == "en"
    assert atom[indonesian.id].get(XML_LANG) is None
    assert atom[unknown.id].get(XML_LANG) is None
    assert "<em>By Sari Wulandari</em>" in atom[english.id].findtext(f"{A}content")
    rss = {i.findtext("guid"): i for i in xml(out["rss.xml"]).iter("item")}
    assert rss[english.id].findtext(f"{DC}language") == "en"
    assert rss[indonesian.id].find(f"{DC}language") is None
    items = {i["id"]: i for i in json.loads(out["feed.json"])["items"]}
    assert items[english.id]["language"] == "en"
    assert "language" not in items[indonesian.id]
    assert parsed(out["atom.xml"]).entries[-1].title_detail.language == "en"


def test_remote_image_is_a_thumbnail_without_enclosure(config):
    article = feeds_article(1, image="https://cdn.example.net/lead.jpg")
    out = render_feeds([article], config)
    item = xml(out["rss.xml"]).find("channel/item")
    assert item.find("enclosure") is None  # length unknown without the network
    assert item.find(f"{MEDIA}thumbnail").get("url") == "https://cdn.example.net/lead.jpg"
    entry = xml(out["atom.xml"]).find(f"{A}entry")
    assert entry.find(f"{A}link[@rel='enclosure']") is None
    assert entry.find(f"{MEDIA}thumbnail").get("url") == "https://cdn.example.net/lead.jpg"
    item = json.loads(out["feed.json"])["items"][0]
    assert item["image"] == "https://cdn.example.net/lead.jpg" and "attachments" not in item


def test_local_image_outside_feeds_folder_gets_no_enclosure(tmp_path):
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (tmp_path / "feeds").mkdir()
    article = feeds_article(1, image=f"{FEEDS_BASE}../secret.jpg")
    item = xml(render_feeds([article], feeds_config(tmp_path))["rss.xml"]).find("channel/item")
    assert item.find("enclosure") is None


def test_hub_links_in_every_format(articles):
    config = feeds_config(hub="https://hub.example.net/")
    out = render_feeds(articles, config)
    assert atom_links(xml(out["atom.xml"]))["hub"] == "https://hub.example.net/"
    assert atom_links(xml(out["rss.xml"]).find("channel"))["hub"] == "https://hub.example.net/"
    assert json.loads(out["feed.json"])["hubs"] == [
        {"type": "WebSub", "url": "https://hub.example.net/"}
    ]
    assert "hub" not in atom_links(xml(render_feeds(articles, feeds_config())["atom.xml"]))


def test_feed_urls_are_the_main_feeds(config):
    assert feed_urls(config) == [
        f"{FEEDS_BASE}rss.xml",
        f"{FEEDS_BASE}atom.xml",
        f"{FEEDS_BASE}feed.json",
    ]


class _Hub(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, list[str]]]] = []
    status = 204

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = parse_qs(self.rfile.read(length).decode())
        type(self).received.append({**body, "_ct": [self.headers["Content-Type"]]})
        self.send_response(type(self).status)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"nope")

    def log_message(self, *args):
        pass


@pytest.fixture
def hub():
    _Hub.received = []
    _Hub.status = 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hub", _Hub
    server.shutdown()
    server.server_close()


def test_ping_hub_posts_publish_for_each_topic(hub, config):
    url, handler = hub
    ping_hub(url, feed_urls(config), timeout=5)
    assert [r["hub.url"] for r in handler.received] == [[u] for u in feed_urls(config)]
    assert all(r["hub.mode"] == ["publish"] for r in handler.received)
    assert handler.received[0]["_ct"] == ["application/x-www-form-urlencoded"]


def test_ping_hub_reports_rejection(hub):
    url, handler = hub
    handler.status = 500
    with pytest.raises(HubPingError) as err:
        ping_hub(url, [f"{FEEDS_BASE}atom.xml"], timeout=5)
    assert url in str(err.value) and "HTTP 500" in str(err.value) and "atom.xml" in str(err.value)


def test_ping_hub_reports_unreachable_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    with pytest.raises(HubPingError, match=f"127.0.0.1:{port}"):
        ping_hub(f"http://127.0.0.1:{port}/", [f"{FEEDS_BASE}rss.xml"], timeout=2)


# ---------------------------------------------------------------------------------------------
# writing and config


def test_written_atomically_with_mode_0644(tmp_path):
    config = feeds_config(tmp_path, entries=2, page=2)
    out = render_feeds([feeds_article(n) for n in range(5)], config)
    folder = config.path("feeds")
    for name, data in out.items():
        assert write_atomic(folder / name, data) is True
    for name, data in out.items():
        assert write_atomic(folder / name, data) is False  # unchanged: not rewritten
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == sorted(out)  # no temp files left behind
    for name in out:
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644


def test_feed_config_defaults_and_validation(tmp_path):
    assert FeedConfig().entries == 50 and FeedConfig().archive_page_size == 50
    assert FeedConfig(hub=" https://hub.example.net/ ").hub == "https://hub.example.net/"
    with pytest.raises(ValueError, match="WebSub hub"):
        FeedConfig(hub="hub.example.net")
    shipped = load_config(Path(__file__).resolve().parent.parent / "config.toml")
    assert shipped.feed.archive_page_size == 50 and shipped.feed.hub == ""
