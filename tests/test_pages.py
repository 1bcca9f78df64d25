"""The front page and the lists of articles and digests: static files written by a run,
with render keys, pagination, feed autodiscovery and the site's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate import pages
from syndicate.config import Config, load_config
from syndicate.control import retract
from syndicate.pipeline import run
from tests.conftest import write_config

AUTODISCOVERY = re.compile(r'<link rel="alternate" type="([^"]+)" title="[^"]+" href="([^"]+)">')


def add_articles(site: Path, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        (site / "articles" / f"story-{i:03d}.md").write_text(
            f"---\ntitle: Story number {i}\nauthor: Writer {i}\n"
            f"date: 2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00+07:00\n---\n"
            f"The body of story {i}. It has a second sentence.\n",
            encoding="utf-8",
        )


def read(config: Config, name: str) -> str:
    return (config.path("feeds") / name).read_text(encoding="utf-8")


def test_front_page_and_lists_list_what_was_published(config: Config):
    run(config, digest="now")
    feeds = config.path("feeds")
    front = read(config, "index.html")
    title = "Kerja sama militer antara Korea Utara dan Rusia"
    assert title in front and "Alexander Rossi" in front
    assert 'action="https://news.example.org/subscribe"' in front and 'type="email"' in front
    assert '<html lang="id" dir="ltr">' in front and "Artikel terbaru" in front
    assert title in read(config, "articles/index.html")
    digests = read(config, "digests/index.html")
    [digest_page] = (feeds / "digests").glob("20*.html")
    assert f'href="https://news.example.org/digests/{digest_page.name}"' in digests
    assert "1 artikel" in digests and title[:40] in digests
    for name in ("index.html", "articles/index.html", "digests/index.html"):
        found = dict(AUTODISCOVERY.findall(read(config, name)))
        assert found == {
            "application/rss+xml": "https://news.example.org/rss.xml",
            "application/atom+xml": "https://news.example.org/atom.xml",
            "application/feed+json": "https://news.example.org/feed.json",
        }, name
    article = read(config, "articles/000-6bd5c2adaf47451d.html")
    assert len(AUTODISCOVERY.findall(article)) == 3
    assert 'href="https://news.example.org/articles/">Semua artikel' in article


def test_a_run_with_nothing_new_writes_no_page(config: Config):
    run(config, digest="now")
    second = run(config, digest="now")
    assert second.pages_written == [] and second.feeds_written == []


def test_lists_are_paginated_newest_first(site: Path, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    monkeypatch.setattr(pages, "FRONT_ARTICLES", 3)
    add_articles(site, 9)
    config = load_config(site / "config.toml")
    run(config, digest="never")
    first = read(config, "articles/index.html")
    assert "Halaman 1 dari 3" in first
    assert 'rel="next" href="https://news.example.org/articles/page/2.html"' in first
    third = read(config, "articles/page/3.html")
    assert 'rel="prev" href="https://news.example.org/articles/page/2.html"' in third
    assert 'rel="next"' not in third
    titles = [
        t
        for name in ("articles/index.html", "articles/page/2.html", "articles/page/3.html")
        for t in re.findall(r"<h3><a [^>]+>([^<]+)</a></h3>", read(config, name))
    ]
    assert len(titles) == 10 and len(set(titles)) == 10  # every article exactly once
    front = read(config, "index.html")
    assert len(re.findall(r'<li class="entry"', front)) == 3

    # A new article shifts the pages; one retracted away shrinks them, and the page that
    # fell off is removed instead of left stale.
    add_articles(site, 1, start=50)
    report = run(config, digest="never")
    assert "articles/page/3.html" in report.pages_written
    assert "Story number 50" in read(config, "index.html")
    for i in range(6):
        retract(config, f"story-{i:03d}.md", "test")
    run(config, digest="never")
    assert not (config.path("feeds") / "articles/page/3.html").exists()
    assert "Story number 0<" not in read(config, "articles/index.html")


def test_pages_speak_the_sites_language(tmp_path: Path):
    write_config(tmp_path, "\n[feed]\nentries = 5\n")
    path = tmp_path / "config.toml"
    path.write_text(path.read_text().replace('language = "id"', 'language = "ar"'))
    add_articles(tmp_path, 2)
    config = load_config(path)
    run(config, digest="now")
    front = read(config, "index.html")
    assert '<html lang="ar" dir="rtl">' in front and "أحدث المقالات" in front
    assert "مقالان" in read(config, "digests/index.html")  # the dual, by CLDR


def test_index_is_never_an_article_slug(site: Path):
    (site / "articles" / "index.md").write_text("---\ntitle: Index story\n---\nText.\n")
    config = load_config(site / "config.toml")
    run(config, digest="never")
    assert (config.path("feeds") / "articles" / "index-2.html").is_file()
    assert "Index story" in read(config, "articles/index.html")  # the list, listing it


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("articles/index.html", "https://news.example.org/articles/"),
        ("articles/page/2.html", "https://news.example.org/articles/page/2.html"),
    ],
)
def test_list_urls(config: Config, name: str, url: str):
    number = 1 if name.endswith("index.html") else 2
    assert pages.list_page("articles", number) == name
    assert pages.list_url(config, "articles", number) == url


def test_empty_site_still_has_a_front_page(tmp_path: Path):
    write_config(tmp_path)
    config = load_config(tmp_path / "config.toml")
    run(config, digest="now")
    front = read(config, "index.html")
    assert "Belum ada yang diterbitkan." in front
    assert "Belum ada yang diterbitkan." in read(config, "digests/index.html")
