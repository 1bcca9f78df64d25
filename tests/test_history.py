"""Runs whose cost does not grow with the history: a run that changes nothing reads no
article, an edit re-renders (and decodes) only the feed documents that hold it — with the
same bytes a full render gives — and unchanged inbox files are not read (git's index, with
the hash as the truth)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate import ingest
from syndicate.config import Config, load_config
from syndicate.core.report import RunReport
from syndicate.run import pipeline
from syndicate.site import publish as publishing
from syndicate.site.feeds.render import render_feeds
from syndicate.site.outputs import Outputs
from syndicate.site.publish import publish
from syndicate.store.article_rows import article_rows
from syndicate.store.articles import (
    all_articles,
    get_article,
    save_article,
    set_retracted,
)
from syndicate.store.db import Database
from syndicate.store.inbox_index import inbox_index
from syndicate.store.renders import render_keys
from syndicate.store.sqlite import open_store
from tests.conftest import age, counting_fingerprint, record_calls, write_config
from tests.feeds_fixtures import FEEDS_T0, feeds_article, feeds_config


def _stored(conn: Database, config: Config, n: int) -> None:
    for i in range(n):
        article = feeds_article(i)
        save_article(
            conn,
            article.with_(url=f"https://news.example.org/a/{i}"),
            file_hash=f"h{i}",
            now=FEEDS_T0 + timedelta(hours=i),
            domain=config.site.domain,
        )


TOPICS = ("tags/", "lang/")  # the topic feeds (tests/test_topic_feeds.py), not render_feeds'


def _files(folder: Path) -> dict[str, bytes]:
    """The main feeds and their archive pages, as written."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in (".xml", ".json")
        and not p.relative_to(folder).as_posix().startswith(TOPICS)
    }


@pytest.fixture
def history(tmp_path: Path):
    config = feeds_config(tmp_path, entries=10, page=7)
    conn = open_store(config.db_path)
    _stored(conn, config, 60)  # main feed + 7 full archive pages of 7
    yield config, conn
    conn.close()


def _full_render(conn: Database, config: Config) -> dict[str, bytes]:
    return render_feeds(all_articles(conn), config)


def test_per_page_rendering_gives_the_bytes_of_a_full_render(history):
    config, conn = history
    report = RunReport()
    publish(conn, config, report, Outputs(config.path("feeds")))
    assert _files(config.path("feeds")) == _full_render(conn, config)
    main = [n for n in report.feeds_written if not n.startswith(TOPICS)]
    assert len(main) == 3 * 8
    topics = sorted({n.rsplit("/", 1)[0] for n in report.feeds_written if n not in main})
    assert topics == ["lang/id", "tags/asia", "tags/politik"]  # three formats each
    assert len(report.feeds_written) == len(main) + 3 * 3


def test_an_edit_renders_and_decodes_only_the_documents_holding_it(history, monkeypatch):
    config, conn = history
    publish(conn, config, RunReport(), Outputs(config.path("feeds")))
    edited = get_article(conn, "https://news.example.org/a/3")  # archive page 1
    save_article(
        conn,
        edited.with_(title="Artikel nomor 3 (diperbaiki)", updated=FEEDS_T0 + timedelta(days=9)),
        file_hash="h3-edited",
        now=FEEDS_T0 + timedelta(days=9),
        domain=config.site.domain,
    )
    asked = record_calls(monkeypatch, publishing, "articles_by_id", lambda conn, ids: list(ids))
    report = RunReport()
    publish(conn, config, report, Outputs(config.path("feeds")), changed_ids=[edited.id])
    decoded = [i for ids in asked for i in ids]
    assert sorted(report.feeds_written) == sorted(
        ["rss.xml", "atom.xml", "feed.json", "archive/rss-1.xml", "archive/atom-1.xml",
         "archive/feed-1.json"]
    )  # fmt: skip
    assert len(decoded) <= 7 + 10 + 7  # page 1, the main window and what waits for a page
    assert _files(config.path("feeds")) == _full_render(conn, config)


def test_a_run_that_changes_nothing_reads_no_article(history, monkeypatch):
    config, conn = history
    publish(conn, config, RunReport(), Outputs(config.path("feeds")))

    def forbidden(*args, **kwargs):
        raise AssertionError("a no-op publish read the articles")

    monkeypatch.setattr(publishing, "article_rows", forbidden)
    monkeypatch.setattr(publishing, "articles_by_id", forbidden)
    monkeypatch.setattr(publishing, "render_keys", forbidden)
    report = RunReport()
    publish(conn, config, report, Outputs(config.path("feeds")))
    assert report.feeds_written == [] and report.pages_written == []


def test_a_stale_archive_page_is_removed_when_the_page_size_changes(history):
    config, conn = history
    publish(conn, config, RunReport(), Outputs(config.path("feeds")))
    bigger = config.model_copy(
        update={"feed": config.feed.model_copy(update={"archive_page_size": 20})}
    )
    report = RunReport()
    publish(conn, bigger, report, Outputs(config.path("feeds")))
    assert _files(config.path("feeds")) == _full_render(conn, bigger)
    assert any("stale archive page" in w for w in report.warnings)


# ---------------------------------------------------------------- the inbox


def test_unchanged_files_are_not_read_and_edits_are_found(site: Path, monkeypatch):
    config = load_config(site / "config.toml")
    inbox = config.path("inbox")
    other = inbox / "kedua.txt"
    other.write_text("Berita kedua\n\nIsinya pendek saja.\n", encoding="utf-8")
    for p in inbox.iterdir():
        age(p)
    pipeline.run(config, digest="never")
    read = counting_fingerprint(monkeypatch)
    report = pipeline.run(config, digest="never")
    assert read == [] and report.unchanged == 2
    # An edit in place that keeps the size and puts the mtime back: ctime still moves.
    before = other.stat()
    other.write_text("Berita kedua\n\nIsinya PENDEK saja.\n", encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = pipeline.run(config, digest="never")
    assert [p.name for p in read] == ["kedua.txt"]
    assert [a.source for a in report.updated] == ["kedua.txt"]


def test_a_file_written_just_now_is_hashed_again_next_run(site: Path, monkeypatch):
    config = load_config(site / "config.toml")
    fresh = config.path("inbox") / "baru.txt"
    fresh.write_text("Berita baru\n\nBaru saja ditulis.\n", encoding="utf-8")
    pipeline.run(config, digest="never")
    conn = open_store(config.db_path)
    assert "baru.txt" not in inbox_index(conn)  # too recent to trust its signature
    conn.close()
    read = counting_fingerprint(monkeypatch)
    pipeline.run(config, digest="never")
    assert Path(fresh) in read


def test_a_sidecar_edit_is_an_article_edit(site: Path):
    config = load_config(site / "config.toml")
    inbox = config.path("inbox")
    article = next(inbox.glob("*.txt"))
    sidecar = article.with_name(article.name + ".meta.toml")
    sidecar.write_text('title = "Judul dari editor"\n', encoding="utf-8")
    for p in inbox.iterdir():
        age(p)
    pipeline.run(config, digest="never")
    pipeline.run(config, digest="never")
    sidecar.write_text('title = "Judul kedua dari editor"\n', encoding="utf-8")
    age(sidecar, 30)
    report = pipeline.run(config, digest="never")
    assert [a.title for a in report.updated] == ["Judul kedua dari editor"]


def test_an_unchanged_inbox_is_not_looked_up_file_by_file(site: Path, monkeypatch):
    write_config(site, "")
    config = load_config(site / "config.toml")
    for p in config.path("inbox").iterdir():
        age(p)
    pipeline.run(config, digest="never")
    pipeline.run(config, digest="never")  # records the listing (every signature settled)

    def forbidden(*args, **kwargs):
        raise AssertionError("looked up file by file")

    monkeypatch.setattr(ingest, "inbox_index", forbidden)
    monkeypatch.setattr(ingest, "stored_files", forbidden)
    report = pipeline.run(config, digest="never")
    assert report.unchanged == 1 and report.new == []
    (config.path("inbox") / "lain.txt").write_text("Lain\n\nBerita lain.\n", encoding="utf-8")
    monkeypatch.undo()
    assert [a.source for a in pipeline.run(config, digest="never").new] == ["lain.txt"]


def test_the_article_pages_keys_are_the_render_keys_of_their_inputs(history):
    # The per-article loop hashes its keys from a copy of the fingerprint's hash state
    # (publish._publish_article_pages): they must be run.key's, or every page would be
    # rendered again on the next run that computes them the other way.
    from syndicate.core.model import article_page
    from syndicate.site.publish import _key, render_fingerprint

    config, conn = history
    retracted = article_rows(conn)[3].id  # its key holds the retraction's instant
    assert set_retracted(conn, retracted, "duplikat", FEEDS_T0 + timedelta(days=9))
    publish(conn, config, RunReport(), Outputs(config.path("feeds")))
    keys, fingerprint = render_keys(conn), render_fingerprint(config)
    rows = article_rows(conn)
    assert len(rows) == 60 and sum(r.retracted is not None for r in rows) == 1
    for row in rows:
        assert keys[article_page(row.slug)] == _key(fingerprint, row.data_hash, row.retracted)
