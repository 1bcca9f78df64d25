"""The front page and the lists of articles and digests: static files written by a run,
with render keys, pagination, feed autodiscovery and the site's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate.config import Config, load_config
from syndicate.ops.control import retract
from syndicate.run.pipeline import run
from syndicate.site import pages
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
    assert 'action="/subscribe"' in front and 'type="email"' in front  # root-relative
    assert '<html lang="id" dir="ltr">' in front and "Artikel terbaru" in front
    assert title in read(config, "articles/index.html")
    digests = read(config, "digests/index.html")
    [digest_page] = (feeds / "digests").glob("20*.html")
    assert f'href="/digests/{digest_page.name}"' in digests
    assert "1 artikel" in digests and title[:40] in digests
    for name in ("index.html", "articles/index.html", "digests/index.html"):
        found = dict(AUTODISCOVERY.findall(read(config, name)))
        assert found == {
            "application/rss+xml": "/rss.xml",
            "application/atom+xml": "/atom.xml",
            "application/feed+json": "/feed.json",
        }, name
    article = read(config, "articles/000-6bd5c2adaf47451d.html")
    assert len(AUTODISCOVERY.findall(article)) == 3
    assert 'href="/articles/">Semua artikel' in article


def test_a_run_with_nothing_new_writes_no_page(config: Config):
    run(config, digest="now")
    second = run(config, digest="now")
    assert second.pages_written == [] and second.feeds_written == []


def titles_on(config: Config, name: str) -> list[str]:
    return re.findall(r"<h3><a [^>]+>Story number (\d+)</a></h3>", read(config, name))


def test_lists_are_cut_into_stable_pages_from_the_oldest(site: Path, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    monkeypatch.setattr(pages, "FRONT_ARTICLES", 3)
    add_articles(site, 13)
    config = load_config(site / "config.toml")
    run(config, digest="never")
    # 14 articles (the seed one too): pages 1 and 2 hold the 8 first seen, the index the rest.
    index = read(config, "articles/index.html")
    assert 'rel="next" href="/articles/page/2.html"' in index
    assert 'rel="prev"' not in index
    second = read(config, "articles/page/2.html")
    assert 'rel="prev" href="/articles/"' in second
    assert 'rel="next" href="/articles/page/1.html"' in second
    oldest = read(config, "articles/page/1.html")
    assert 'rel="prev" href="/articles/page/2.html"' in oldest
    assert 'rel="next"' not in oldest
    listed = {
        name: titles_on(config, name)
        for name in ("articles/index.html", "articles/page/2.html", "articles/page/1.html")
    }
    every = [t for found in listed.values() for t in found]
    assert len(every) == 13 and len(set(every)) == 13  # every story exactly once
    assert len(listed["articles/page/1.html"]) == 3  # the seed article is the 4th
    assert len(listed["articles/page/2.html"]) == 4
    # Newest first within a page, by date.
    dates = re.findall(r'<time datetime="([^"]+)"', read(config, "articles/page/2.html"))
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    # An archive page is labelled with the dates it holds (CLDR interval, Indonesian).
    title = re.search(r"<title>([^<]+)</title>", second)[1]
    assert re.search(r"\(\d+(–| – )\d+ Nov 2026\)", title), title
    assert len(re.findall(r'<li class="entry"', read(config, "index.html"))) == 3

    # A new article re-renders the index only: the archive pages do not shift.
    before = {n: read(config, n) for n in ("articles/page/1.html", "articles/page/2.html")}
    add_articles(site, 1, start=50)
    report = run(config, digest="never")
    assert not [n for n in report.pages_written if n.startswith("articles/page/")]
    assert "50" in titles_on(config, "articles/index.html")
    assert {n: read(config, n) for n in before} == before

    # Filling the next page cuts page 3 and gives page 2 its newer link; page 1 is not even
    # rendered again (at 10,000 articles that is 200 pages).
    rendered = []
    real_render = pages.render_article_list

    def counting_render(conn, config, rows, number, archived):
        rendered.append(number)
        return real_render(conn, config, rows, number, archived)

    monkeypatch.setattr(pages, "render_article_list", counting_render)
    add_articles(site, 4, start=60)
    report = run(config, digest="never")
    assert sorted(rendered) == [0, 2, 3]
    written = sorted(n for n in report.pages_written if n.startswith("articles/page/"))
    assert written == ["articles/page/2.html", "articles/page/3.html"]
    assert read(config, "articles/page/1.html") == before["articles/page/1.html"]
    assert 'rel="prev" href="/articles/page/3.html"' in read(config, "articles/page/2.html")

    # A retraction re-renders only the page that listed the article; nothing shifts.
    lists = ["articles/index.html", *(f"articles/page/{n}.html" for n in (1, 2, 3))]
    before = {n: read(config, n) for n in lists}
    retract(config, "story-000.md", "test")
    assert [n for n in lists if read(config, n) != before[n]] == ["articles/page/1.html"]
    assert "0" not in titles_on(config, "articles/page/1.html")
    assert len(titles_on(config, "articles/page/1.html")) == 2


def test_pages_of_an_earlier_scheme_past_the_last_are_removed(site: Path, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    add_articles(site, 8)  # 9 with the seed article: one full page, five on the index
    config = load_config(site / "config.toml")
    stale = config.path("feeds") / "articles" / "page" / "7.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<p>old</p>")
    run(config, digest="never")
    assert not stale.exists()
    assert (config.path("feeds") / "articles" / "page" / "1.html").is_file()


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
    number = 0 if name.endswith("index.html") else 2
    assert pages.list_page("articles", number) == name
    assert pages.list_url(config, "articles", number) == url


def test_empty_site_still_has_a_front_page(tmp_path: Path):
    write_config(tmp_path)
    config = load_config(tmp_path / "config.toml")
    run(config, digest="now")
    front = read(config, "index.html")
    assert "Belum ada yang diterbitkan." in front
    assert "Belum ada yang diterbitkan." in read(config, "digests/index.html")
