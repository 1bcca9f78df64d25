"""One site design (issue #20): the article page in the site's layout with a subscribe box,
no summary box repeating the lead, lead images on the front page, the article page and in
the digest, the site's logo in the digest, digest headings that tell one day's digests
apart, and links between the site's pages root-relative (absolute in feeds and mail), so
the pages browse on 127.0.0.1 before the DNS exists. Outputs are parsed, not grepped."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import lxml.html
import pytest

from syndicate.config import Config, load_config
from syndicate.run.pipeline import run
from tests.conftest import write_config
from tests.web_support import outbox_messages, running

BASE = "https://news.example.org/"
LEAD = "The harbour reopened on Tuesday after a three-day closure. Damage was limited to piers."
SECOND = "Ferries were running again by the afternoon, the port authority said on Tuesday."
OG_IMAGE_PAGE = (
    "<html lang='en'><head><title>Ferry timetable changes</title>"
    "<link rel='canonical' href='https://harbour.example.net/ferries'>"
    "<meta property='og:image' content='/img/ferry.jpg'></head>"
    "<body><article><h1>Ferry timetable changes</h1>"
    "<p>The ferry company publishes a new timetable for the winter months, starting in January"
    " with fewer crossings on weekdays and more on the weekend.</p>"
    "<p>Passengers with season tickets keep their seats on the morning crossings, the company"
    " said in a statement on Monday.</p></article></body></html>"
)


def _site(tmp_path: Path, extra: str = "") -> Config:
    write_config(tmp_path, "[server]\naccess_log = false\n" + extra)
    inbox = tmp_path / "articles"
    (inbox / "storm.md").write_text(
        "---\ntitle: Harbour reopens after the storm\nauthor: Jane Doe\n"
        "date: 2026-12-01T10:00:00+07:00\nimage: /img/harbour.jpg\n"
        "bullets: [Ferries run again., Two piers were damaged.]\n---\n\n"
        f"{LEAD}\n\n{SECOND}\n",
        encoding="utf-8",
    )
    (inbox / "quay.txt").write_text(
        "Fishermen count the cost\n\nThe fishing fleet lost a week of work to the storm, its"
        " association said. Prices at the fish market rose by a third.\n",
        encoding="utf-8",
    )
    (inbox / "quay.meta.toml").write_text(
        'image = "https://cdn.example.net/quay.png"\nsummary = "A week of work was lost."\n',
        encoding="utf-8",
    )
    (inbox / "ferries.html").write_text(OG_IMAGE_PAGE, encoding="utf-8")
    (inbox / "notice.md").write_text(
        "---\ntitle: Harbour office hours\nsummary: Open at nine.\nbullets: [Nine.]\n---\n\n"
        "The harbour office opens at nine from Monday.\n",
        encoding="utf-8",
    )
    return load_config(tmp_path / "config.toml")


def _page(config: Config, name: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((config.path("feeds") / name).read_bytes())


def _slug(config: Config, title_start: str) -> str:
    front = _page(config, "index.html")
    [link] = [
        a.get("href") for a in front.cssselect(".entry h3 a") if a.text.startswith(title_start)
    ]
    return link.removeprefix("/")


def _links(doc: lxml.html.HtmlElement) -> list[str]:
    found = [e.get("href") for e in doc.iter("a", "link")]
    found += [e.get("src") for e in doc.iter("img")] + [e.get("action") for e in doc.iter("form")]
    return [url for url in found if url]


def test_the_article_page_has_the_sites_layout_image_and_subscribe_box(tmp_path: Path):
    config = _site(tmp_path)
    run(config, digest="never")
    page = _page(config, _slug(config, "Harbour reopens"))
    nav = [a.get("href") for a in page.cssselect("header.masthead nav a")]
    assert nav == ["/articles/", "/digests/", "/subscribe"]
    assert page.cssselect("header.masthead a.site")[0].get("href") == "/"
    [article] = page.cssselect("main article.story")
    [image] = article.cssselect("figure.lead img")
    assert image.get("src") == "/img/harbour.jpg"
    assert image.get("alt") == "Harbour reopens after the storm" and image.get("width")
    # The subscribe box comes after the article, posting to the site itself.
    [form] = page.cssselect("main section#subscribe form.subscribe")
    assert form.get("action") == "/subscribe" and form.get("method") == "post"
    main = page.cssselect("main")[0]
    assert list(main).index(article) < list(main).index(form.getparent())
    feeds = {a.text: a.get("href") for a in page.cssselect("footer a")}
    assert feeds == {"RSS": "/rss.xml", "Atom": "/atom.xml", "JSON Feed": "/feed.json"}
    assert page.cssselect("link[rel=canonical]")[0].get("href").startswith(BASE)
    # Every other link inside the site is root-relative.
    own = [u for u in _links(page) if u != page.cssselect("link[rel=canonical]")[0].get("href")]
    assert own and all(u.startswith("/") for u in own), own
    assert not any(BASE in u for u in own)


def test_the_summary_box_never_repeats_the_lead(tmp_path: Path):
    config = _site(tmp_path)
    run(config, digest="never")
    storm = _page(config, _slug(config, "Harbour reopens"))
    # The summarizer took the first sentences: the box keeps the key points only.
    assert [h.text for h in storm.cssselect("section.summary h2")] == ["Poin penting"]
    body = [p.text_content() for p in storm.cssselect("article.story > p")]
    assert body[1:] == [LEAD, SECOND]
    text = storm.cssselect("article.story")[0].text_content()
    assert text.count("The harbour reopened on Tuesday") == 1
    # A summary of its own (the sidecar's) is not the lead: it stays.
    quay = _page(config, _slug(config, "Fishermen count"))
    [summary] = quay.cssselect("section.summary p")
    assert summary.text_content() == "A week of work was lost."


def test_lead_images_from_front_matter_sidecar_and_og_image_everywhere(tmp_path: Path):
    config = _site(tmp_path)
    run(config, digest="now")
    front = _page(config, "index.html")
    shown = {
        e.cssselect("h3 a")[0].text: e.cssselect(".lead-image img")[0].get("src")
        for e in front.cssselect(".entry")
        if e.cssselect(".lead-image img")
    }
    assert shown == {
        "Harbour reopens after the storm": "/img/harbour.jpg",  # front matter, ours
        "Fishermen count the cost": "https://cdn.example.net/quay.png",  # sidecar
        "Ferry timetable changes": "https://harbour.example.net/img/ferry.jpg",  # og:image
    }
    without = [e for e in front.cssselect(".entry") if "office hours" in e.text_content()]
    assert without and not without[0].cssselect("img")  # none, and no empty frame

    [message_path] = outbox_messages(config)
    message = email.message_from_bytes(message_path.read_bytes(), policy=policy.default)
    html = lxml.html.fromstring(message.get_body(("html",)).get_content())
    images = {img.get("alt"): img for img in html.cssselect("img.lead-image")}
    assert set(images) == set(shown)
    for alt, img in images.items():
        assert img.get("width") == "536" and "height:auto" in img.get("style").replace(" ", "")
        assert img.get("src").startswith(("https://news.example.org/", "https://cdn.", "https://h"))
        assert img.getparent().tag == "a", alt  # linked to the article
    assert images["Harbour reopens after the storm"].get("src") == f"{BASE}img/harbour.jpg"
    assert not html.cssselect("img.logo")  # no site.logo set
    assert "<img" not in message.get_body(("plain",)).get_content()


def test_the_sites_logo_heads_the_digest(tmp_path: Path):
    config = _site(tmp_path)
    config = config.model_copy(
        update={"site": config.site.model_copy(update={"logo": "/logo.png"})}
    )
    run(config, digest="now")
    [message_path] = outbox_messages(config)
    message = email.message_from_bytes(message_path.read_bytes(), policy=policy.default)
    html = lxml.html.fromstring(message.get_body(("html",)).get_content())
    [logo] = html.cssselect("td.header img.logo")
    assert logo.get("src") == f"{BASE}logo.png" and logo.get("alt") == "Test Site"
    assert logo.get("width") == "240"
    assert logo.getparent().get("href") == BASE


def test_two_digests_of_one_day_have_headings_that_tell_them_apart(tmp_path: Path):
    from datetime import datetime, timedelta

    config = _site(tmp_path)
    morning = datetime(2026, 12, 7, 7, 0, tzinfo=config.site.tz)
    run(config, digest="now", now=morning)
    (config.path("inbox") / "late.md").write_text(
        "---\ntitle: A late story\nsummary: Late.\nbullets: [Late.]\n---\n\nIt came late.\n",
        encoding="utf-8",
    )
    run(config, digest="now", now=morning + timedelta(hours=9, minutes=30))
    headings = [a.text for a in _page(config, "digests/index.html").cssselect(".entry h3 a")]
    assert len(headings) == 2 and len(set(headings)) == 2, headings
    assert all("7 Desember 2026" in h for h in headings)
    assert re.search(r"16[.:]30", headings[0]) and re.search(r"07[.:]00", headings[1])


def test_feeds_and_mail_keep_absolute_links(tmp_path: Path):
    config = _site(tmp_path)
    run(config, digest="now")
    for entry in feedparser.parse(str(config.path("feeds") / "atom.xml")).entries:
        assert entry.link.startswith(("https://", "http://")), entry.link
    [message_path] = outbox_messages(config)
    message = email.message_from_bytes(message_path.read_bytes(), policy=policy.default)
    html = lxml.html.fromstring(message.get_body(("html",)).get_content())
    hrefs = [a.get("href") for a in html.iter("a")]
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs


@pytest.mark.parametrize("start", ["index.html", "articles/index.html"])
def test_the_pages_browse_on_localhost_before_the_dns_exists(tmp_path: Path, start: str):
    config = _site(tmp_path)
    run(config, digest="now")  # base_url stays https://news.example.org/
    with running(config, site_here=False) as web, httpx.Client(base_url=web.base) as client:
        seen, todo = set(), ["/" if start == "index.html" else "/articles/"]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            answer = client.get(path)
            assert answer.status_code == 200, path
            if not answer.headers["content-type"].startswith("text/html"):
                continue
            doc = lxml.html.fromstring(answer.content)
            for url in _links(doc):
                parts = urlsplit(url)
                if parts.netloc or url.startswith("#"):
                    continue  # the canonical link, images elsewhere
                assert url.startswith("/"), (path, url)
                if not url.startswith("/img/"):  # an image the site does not hold
                    todo.append(parts.path)
        assert {"/articles/", "/digests/", "/subscribe", "/rss.xml"} <= seen
        assert any(p.startswith("/articles/") and p.endswith(".html") for p in seen)
        assert any(p.startswith("/digests/20") for p in seen)
