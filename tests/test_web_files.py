"""The feeds folder over real HTTP: validators, 304, gzip, caching headers, media types,
WebSub Link headers, and nothing outside the folder, whatever the URL."""

from __future__ import annotations

import gzip
import os
import socket
from email.utils import formatdate
from pathlib import Path

import pytest

from syndicate.config import Config
from syndicate.run.pipeline import run
from syndicate.web import static
from tests.web_support import raw, running


@pytest.fixture
def published(config: Config) -> Config:
    run(config, digest="never")
    return config


def test_feed_has_a_strong_etag_and_answers_conditional_gets(published: Config):
    with running(published) as web:
        status, h, body = raw(web.port, "GET", "/atom.xml")
        assert status == 200 and body.startswith(b"<?xml")
        assert h["content-type"] == "application/atom+xml; charset=utf-8"
        etag = h["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert h["cache-control"] == "public, max-age=300"
        assert h["vary"] == "Accept-Encoding"
        assert int(h["content-length"]) == len(body)
        assert h["last-modified"].endswith("GMT")
        for validators in (
            {"If-None-Match": etag},
            {"If-None-Match": f'"nope", W/{etag}'},  # weak comparison, lists
            {"If-None-Match": "*"},
            {"If-Modified-Since": h["last-modified"]},
        ):
            status, h304, body304 = raw(web.port, "GET", "/atom.xml", validators)
            assert status == 304 and body304 == b"", validators
            assert h304["etag"] == etag and h304["cache-control"] == "public, max-age=300"
        # If-None-Match wins over If-Modified-Since; a changed file is a new ETag.
        stale = {"If-None-Match": '"old"', "If-Modified-Since": h["last-modified"]}
        assert raw(web.port, "GET", "/atom.xml", stale)[0] == 200
        old = {"If-Modified-Since": formatdate(0, usegmt=True)}
        assert raw(web.port, "GET", "/atom.xml", old)[0] == 200
        path = web.config.path("feeds") / "atom.xml"
        path.write_bytes(path.read_bytes().replace(b"</feed>", b"<!-- x --></feed>"))
        status, h2, _ = raw(web.port, "GET", "/atom.xml", {"If-None-Match": etag})
        assert status == 200 and h2["etag"] != etag


def test_gzip_when_accepted_with_its_own_etag(published: Config):
    with running(published) as web:
        _, plain_h, plain = raw(web.port, "GET", "/rss.xml")
        status, h, body = raw(web.port, "GET", "/rss.xml", {"Accept-Encoding": "gzip, br"})
        assert status == 200 and h["content-encoding"] == "gzip"
        assert gzip.decompress(body) == plain and len(body) < len(plain)
        assert h["etag"] != plain_h["etag"] and h["vary"] == "Accept-Encoding"
        assert int(h["content-length"]) == len(body)
        # q=0 refuses gzip; identity is served.
        _, h0, body0 = raw(web.port, "GET", "/rss.xml", {"Accept-Encoding": "gzip;q=0, *"})
        assert "content-encoding" not in h0 and body0 == plain
        # Either representation's tag means "you have these bytes".
        assert raw(web.port, "GET", "/rss.xml", {"If-None-Match": h["etag"]})[0] == 304


def test_head_answers_like_get_without_a_body(published: Config):
    with running(published) as web:
        status, h, body = raw(web.port, "HEAD", "/health")
        assert status == 200 and body == b""
        _, get_h, get_body = raw(web.port, "GET", "/feed.json")
        status, h, body = raw(web.port, "HEAD", "/feed.json")
        assert status == 200 and body == b""
        assert h["etag"] == get_h["etag"] and h["content-length"] == str(len(get_body))
        assert h["content-type"] == "application/feed+json; charset=utf-8"


def test_cache_control_and_media_types_per_kind(published: Config):
    feeds = published.path("feeds")
    (feeds / "archive").mkdir(exist_ok=True)
    (feeds / "archive" / "atom-1.xml").write_bytes(b"<feed xmlns='http://www.w3.org/2005/Atom'/>")
    (feeds / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(600))
    with running(published) as web:
        expected = {
            "/": ("text/html; charset=utf-8", "public, max-age=300"),
            "/articles/": ("text/html; charset=utf-8", "public, max-age=300"),
            "/articles/000-6bd5c2adaf47451d.html": ("text/html; charset=utf-8", "max-age=3600"),
            "/archive/atom-1.xml": ("application/atom+xml; charset=utf-8", "max-age=86400"),
            "/rss.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
            "/logo.png": ("image/png", "max-age=86400"),
        }
        for path, (ctype, cache) in expected.items():
            status, h, _ = raw(web.port, "GET", path, {"Accept-Encoding": "gzip"})
            assert status == 200, path
            assert h["content-type"] == ctype and cache in h["cache-control"], (path, h)
            assert h["x-content-type-options"] == "nosniff"
        _, h, _ = raw(web.port, "GET", "/logo.png", {"Accept-Encoding": "gzip"})
        assert "content-encoding" not in h and "vary" not in h  # images are not gzipped
        _, h, _ = raw(web.port, "GET", "/")
        assert "default-src 'none'" in h["content-security-policy"]


def test_websub_link_headers_only_with_a_hub_and_only_on_main_feeds(published: Config):
    with running(published) as web:
        assert "link" not in raw(web.port, "GET", "/atom.xml")[1]
    hub = published.model_copy(
        update={"feed": published.feed.model_copy(update={"hub": "https://hub.example.org/"})}
    )
    with running(hub) as web:
        _, h, _ = raw(web.port, "GET", "/atom.xml")
        assert h["link"] == (
            f'<https://hub.example.org/>; rel="hub", <{web.base}/atom.xml>; rel="self"'
        )
        assert raw(web.port, "HEAD", "/rss.xml")[1]["link"].endswith('/rss.xml>; rel="self"')
        assert "link" not in raw(web.port, "GET", "/")[1]


TRAVERSALS = [
    "/../config.toml",
    "/%2e%2e/config.toml",
    "/..%2fconfig.toml",
    "/articles/..%2f..%2fconfig.toml",
    "/articles/%2e%2e/%2e%2e/state/syndicate.db",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/articles/%00.html",
    "/..\\config.toml",
    "/state/syndicate.db",
    "/.hidden.xml",
    "/escape/config.toml",
    "/escape.toml",
]


def test_nothing_outside_the_feeds_folder_is_ever_served(published: Config):
    feeds = published.path("feeds")
    (feeds / ".hidden.xml").write_text("<secret/>")  # like write_atomic's temp files
    os.symlink(published.root, feeds / "escape")  # a link out of the folder
    os.symlink(published.root / "config.toml", feeds / "escape.toml")
    with running(published) as web:
        for path in TRAVERSALS:
            status, _h, body = raw(web.port, "GET", path)
            assert status in (400, 404), (path, status)
            assert b"digest@news.example.org" not in body and b"SQLite" not in body, path
        # The same with a raw request line (no client normalisation at all).
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
            host = f"127.0.0.1:{web.port}".encode()
            s.sendall(b"GET /../../config.toml HTTP/1.1\r\nHost: %s\r\n" % host)
            s.sendall(b"Connection: close\r\n\r\n")
            answer = s.recv(65536)
        assert answer.split(b" ", 2)[1] in (b"400", b"404")
        assert b"Unknown Host" not in answer  # refused for its path, not for its Host


def test_folders_redirect_to_their_slash_and_missing_files_are_404_pages(published: Config):
    with running(published) as web:
        status, h, _ = raw(web.port, "GET", "/articles")
        assert status == 301 and h["location"] == "articles/"
        status, h, body = raw(web.port, "GET", "/no-such-page.html")
        assert status == 404 and h["content-type"].startswith("text/html")
        assert b"Halaman tidak ditemukan" in body  # the site's language (id)
        assert raw(web.port, "POST", "/atom.xml")[0] == 405


def test_big_files_are_streamed_with_validators(published: Config, monkeypatch):
    monkeypatch.setattr(static, "MAX_CACHED_FILE", 1000)
    big = published.path("feeds") / "big.txt"
    big.write_bytes(b"x" * 5000)
    with running(published) as web:
        status, h, body = raw(web.port, "GET", "/big.txt", {"Accept-Encoding": "gzip"})
        assert status == 200 and body == b"x" * 5000 and "content-encoding" not in h
        assert raw(web.port, "GET", "/big.txt", {"If-None-Match": h["etag"]})[0] == 304


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0", False),
        ("identity", False),
        ("", False),
        ("x-gzip", True),
        ("gzip;q=bogus", False),
    ],
)
def test_accept_encoding(header: str, expected: bool):
    assert static.accepts_gzip(header) is expected


def test_resolve_maps_only_clean_segments(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("x")
    (tmp_path / "f.xml").write_text("x")
    assert static.resolve(tmp_path, "f.xml").name == "f.xml"
    assert static.resolve(tmp_path, "a/").name == "a/index.html"
    assert static.resolve(tmp_path, "a").redirect == "a/"
    assert static.resolve(tmp_path, "").path is None  # no index.html at the top here
    for bad in ("../f.xml", "a/../f.xml", "a//index.html", ".f", "f.xml/", "a\\b", "x\x00"):
        assert static.resolve(tmp_path, bad).path is None, bad
