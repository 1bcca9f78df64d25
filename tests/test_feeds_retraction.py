"""Retracted articles in the feeds: out of RSS and JSON Feed, an RFC 6721 tombstone in Atom
(placed where RFC 4287's schema allows extension elements), pages never shifting."""

import json
from datetime import timedelta

import feedparser
from lxml import etree

from syndicate.site.feeds.render import render_feeds
from tests.feeds_fixtures import FEEDS_T0, feeds_article, feeds_config

ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"


def test_a_retracted_article_becomes_a_tombstone_before_the_entries(tmp_path):
    when = FEEDS_T0 + timedelta(days=3)
    gone = feeds_article(1, retracted=when)
    docs = render_feeds([feeds_article(0), gone, feeds_article(2)], feeds_config(tmp_path))
    root = etree.fromstring(docs["atom.xml"])
    children = [c.tag for c in root]
    tombstone = root.find(f"{AT}deleted-entry")
    assert tombstone.get("ref") == gone.id and tombstone.get("when") == "2026-11-23T08:30:00Z"
    assert children.index(f"{AT}deleted-entry") < children.index(f"{ATOM}entry")
    assert len(tombstone) == 0  # no comment: nothing of what came down is repeated
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(docs[name])
        assert parsed.bozo == 0
        assert [e.title for e in parsed.entries] == ["Artikel nomor 2", "Artikel nomor 0"]
    assert [i["id"] for i in json.loads(docs["feed.json"])["items"]] == [
        feeds_article(2).id,
        feeds_article(0).id,
    ]
    assert b"Artikel nomor 1" not in b"".join(docs.values())


def test_retraction_keeps_archive_pages_cut_where_they_were(tmp_path):
    config = feeds_config(tmp_path, entries=2, page=2)
    articles = [feeds_article(n) for n in range(6)]
    before = render_feeds(articles, config)
    articles[1] = articles[1].with_(retracted=FEEDS_T0 + timedelta(days=9))
    after = render_feeds(articles, config)
    assert set(before) == set(after)  # same pages: nothing shifted
    page = feedparser.parse(after["archive/rss-1.xml"])
    assert [e.id for e in page.entries] == [articles[0].id]
    assert after["archive/rss-2.xml"] == before["archive/rss-2.xml"]
    assert articles[1].id.encode() in after["archive/atom-1.xml"]  # its tombstone
