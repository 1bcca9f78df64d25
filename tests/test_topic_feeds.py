"""Topic and language feeds (#23): feeds/tags/<tag>/ and feeds/lang/<tag>/ with RSS, Atom,
JSON Feed and an index page announcing them, read back as readers read them (feedparser,
json, the page's <link rel="alternate">), kept up to date like the main feeds."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import feedparser
import httpx

from syndicate.config import load_config
from syndicate.core.report import RunReport
from syndicate.core.topics import article_topics, language_matches, topic_slug
from syndicate.run import pipeline
from syndicate.site import topics as topic_feeds
from syndicate.site.outputs import Outputs
from syndicate.site.publish import publish
from syndicate.store.sqlite import open_store
from tests.conftest import record_calls, write_config
from tests.newsletter_support import cli, story
from tests.web_support import running

V4_DUMP = Path(__file__).parent / "samples" / "state" / "v4.sql"


def feeds(site: Path) -> dict[str, bytes]:
    root = site / "feeds"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def titles(site: Path, name: str) -> list[str]:
    parsed = feedparser.parse((site / "feeds" / name).read_bytes())
    assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
    return [e.title for e in parsed.entries]


def topic_site(tmp_path: Path) -> Path:
    write_config(tmp_path, "\n[feed]\nentries = 2\n")
    story(tmp_path, "a.md", "Harbour reopens", ("Ports & Harbours", "weather"), "en")
    story(tmp_path, "b.md", "Pelabuhan dibuka lagi", ("ports & harbours",), "id")
    story(tmp_path, "c.md", "Storm warning for the coast", ("Weather",), "en-GB")
    story(tmp_path, "d.md", "円安が続く", ("経済",), "ja")
    assert cli(tmp_path, "publish") == 0
    return tmp_path


def test_topics_are_slugs_of_tags_and_primary_language_subtags():
    assert topic_slug("Ports & Harbours") == topic_slug("ports-harbours") == "ports-harbours"
    assert topic_slug("経済") == "経済" and topic_slug("!!") == ""
    assert article_topics(("Weather", "WEATHER", "!!"), "en-GB") == "lang/en tags/weather"
    assert language_matches("en", "en-GB") and language_matches("en", "en")
    assert not language_matches("en", "eng") and not language_matches("pt-BR", "pt")


def test_every_tag_and_language_gets_three_feeds_and_a_page_announcing_them(tmp_path):
    site = topic_site(tmp_path)
    written = feeds(site)
    for topic in ("tags/ports-harbours", "tags/weather", "tags/経済", "lang/en", "lang/id"):
        for name in ("rss.xml", "atom.xml", "feed.json", "index.html"):
            assert f"{topic}/{name}" in written, (topic, name)
    # The two spellings of one tag are one topic, newest first, as the main feed orders them.
    assert titles(site, "tags/ports-harbours/atom.xml") == [
        "Pelabuhan dibuka lagi",
        "Harbour reopens",
    ]
    assert titles(site, "tags/ports-harbours/rss.xml") == [
        "Pelabuhan dibuka lagi",
        "Harbour reopens",
    ]
    # en and en-GB are both English; `feed.entries` (2) newest of each topic.
    assert titles(site, "lang/en/atom.xml") == ["Storm warning for the coast", "Harbour reopens"]
    atom = feedparser.parse(written["lang/en/atom.xml"])
    assert atom.feed.title == "Test Site: Artikel berbahasa Inggris"  # the site's language: id
    assert atom.feed.language == "en" or atom.feed.get("language") == "en"
    self_link = next(link.href for link in atom.feed.links if link.rel == "self")
    assert self_link == "https://news.example.org/lang/en/atom.xml"
    assert atom.feed.id == "https://news.example.org/lang/en/atom.xml"
    main_ids = {e.id for e in feedparser.parse(written["atom.xml"]).entries}
    assert {e.id for e in atom.entries} <= main_ids  # an article is one entry wherever it is
    doc = json.loads(written["tags/経済/feed.json"])
    # A URL, not an IRI: the folder's name percent-encoded (RSS and the W3C validator).
    assert doc["feed_url"] == "https://news.example.org/tags/%E7%B5%8C%E6%B8%88/feed.json"
    assert doc["home_page_url"] == "https://news.example.org/tags/%E7%B5%8C%E6%B8%88/"
    assert [item["title"] for item in doc["items"]] == ["円安が続く"]
    page = written["tags/ports-harbours/index.html"].decode()
    alternates = re.findall(
        r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"', page
    )
    assert alternates == [
        ("application/rss+xml", "/tags/ports-harbours/rss.xml"),
        ("application/atom+xml", "/tags/ports-harbours/atom.xml"),
        ("application/feed+json", "/tags/ports-harbours/feed.json"),
    ]
    assert "Artikel bertopik “ports &amp; harbours”" in page  # as its newest article spells it
    assert "Pelabuhan dibuka lagi" in page and "Storm warning" not in page


def test_topic_feeds_are_history_independent_and_byte_stable(tmp_path, monkeypatch):
    site = topic_site(tmp_path)
    before = feeds(site)
    assert cli(site, "publish") == 0
    assert feeds(site) == before  # nothing changed: not a byte
    # An edit re-renders the topics holding the article, and decodes only their entries.
    story(site, "d.md", "円安がさらに続く", ("経済",), "ja")
    decoded = record_calls(monkeypatch, topic_feeds, "articles_by_id", lambda c, ids: set(ids))
    config = load_config(site / "config.toml")
    report = pipeline.run(config, digest="never")
    assert report.updated and decoded[-1] and len(decoded[-1]) == 1
    changed = sorted({n.rsplit("/", 1)[0] for n in report.feeds_written if "/" in n})
    assert changed == ["lang/ja", "tags/経済"]
    after = feeds(site)
    untouched = [
        n for n in before if n.startswith(("tags/ports-harbours/", "tags/weather/", "lang/en/"))
    ]
    assert untouched and all(after[n] == before[n] for n in untouched)


def test_a_retracted_article_is_a_tombstone_and_a_tag_edited_away_takes_its_feeds(tmp_path):
    site = topic_site(tmp_path)
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    (victim,) = [r["id"] for r in conn.execute("SELECT id FROM articles WHERE source = 'd.md'")]
    conn.close()
    assert cli(site, "retract", victim, "--reason", "wrong figures") == 0
    assert titles(site, "tags/経済/rss.xml") == []  # RSS has no tombstones: it goes
    atom = (site / "feeds" / "tags/経済/atom.xml").read_text()
    assert f'<at:deleted-entry ref="{victim}"' in atom
    story(site, "d.md", "円安が続く", ("為替",), "ja")  # its only tag edited away
    assert cli(site, "publish") == 0
    assert not (site / "feeds" / "tags/経済/atom.xml").exists()
    assert titles(site, "tags/為替/atom.xml") == []  # retracted still: a tombstone only


def test_articles_stored_before_topics_were_kept_get_their_topics_once(tmp_path, monkeypatch):
    # A state from before #23 (schema 4) knows no topics: the first publish decodes those
    # articles once and records them; the next one decodes none.
    write_config(tmp_path)
    config = load_config(tmp_path / "config.toml")
    config.db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(config.db_path)
    raw.executescript(V4_DUMP.read_text(encoding="utf-8"))
    raw.close()
    conn = open_store(config.db_path)
    try:
        publish(conn, config, RunReport(), Outputs(config.path("feeds")))
        assert sorted(titles(tmp_path, "tags/ports/atom.xml")) == [
            "Harbour reopens",
            "Pelabuhan dibuka",
        ]
        assert titles(tmp_path, "lang/id/atom.xml") == ["Pelabuhan dibuka"]
        stored = {r["topics"] for r in conn.execute("SELECT topics FROM articles")}
        assert None not in stored and "lang/en tags/ports tags/weather" in stored
        decoded = record_calls(monkeypatch, topic_feeds, "articles_by_id", lambda c, ids: set(ids))
        publish(conn, config, RunReport(), Outputs(config.path("feeds")), changed_ids=["x"])
        assert decoded == []
    finally:
        conn.close()


def test_the_service_serves_a_topic_named_in_any_script(tmp_path):
    site = topic_site(tmp_path)
    with (
        running(load_config(site / "config.toml")) as server,
        httpx.Client(base_url=server.base, follow_redirects=False) as client,
    ):
        moved = client.get("/tags/%E7%B5%8C%E6%B8%88")
        assert moved.status_code == 301 and moved.headers["location"] == "%E7%B5%8C%E6%B8%88/"
        page = client.get("/tags/%E7%B5%8C%E6%B8%88/")
        assert page.status_code == 200 and "円安が続く" in page.text
        feed = client.get("/tags/%E7%B5%8C%E6%B8%88/atom.xml")
        assert feed.headers["content-type"].startswith("application/atom+xml")
        assert feedparser.parse(feed.content).entries[0].title == "円安が続く"
