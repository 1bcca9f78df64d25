"""End to end on the sample: real files in, feeds parsed by feedparser, mail parsed by `email`."""

from __future__ import annotations

import os
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import feedparser
import pytest

from syndicate import ingest
from syndicate.config import Config, load_config
from syndicate.run import pipeline
from syndicate.run.lock import RunInProgress, run_lock
from syndicate.store import deliveries
from syndicate.store.articles import source_of
from syndicate.store.deliveries import record_outcomes
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber
from tests.conftest import SAMPLE, write_config

TITLE = (
    "Kerja sama militer antara Korea Utara dan Rusia pada umumnya adalah demi kepentingan"
    " Tiongkok dalam melawan Barat."
)


def outbox_messages(config: Config) -> list[EmailMessage]:
    new = config.path("outbox") / "new"
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(new.iterdir())
    ]


def feed_bytes(config: Config) -> dict[str, bytes]:
    feeds = config.path("feeds")
    return {
        p.relative_to(feeds).as_posix(): p.read_bytes() for p in feeds.rglob("*") if p.is_file()
    }


def test_sample_run_publishes_feeds_and_one_digest(config: Config):
    report = pipeline.run(config)
    assert [a.title for a in report.new] == [TITLE]
    assert report.rejected == [] and report.failed == []

    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(config.path("feeds") / name)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.feed.language == "id" or parsed.feed.get("language") == "id"
        (entry,) = parsed.entries
        assert entry.title == TITLE
        assert entry.author == "Alexander Rossi"

    (message,) = outbox_messages(config)
    assert message.get_content_type() == "multipart/alternative"
    # The text part is wrapped at 78 columns: compare with whitespace folded.
    text = " ".join(message.get_body(("plain",)).get_content().split())
    html = " ".join(message.get_body(("html",)).get_content().split())
    article = report.new[0]
    assert article.summary and 3 <= len(article.key_bullets) <= 5
    assert "Alexander Rossi" in html
    assert 'style="' in html  # premailer inlined the CSS
    assert article.summary in text
    assert article.summary in html
    for bullet in article.key_bullets:
        assert bullet in text
        assert bullet in html
    assert message["To"].addresses[0].addr_spec == "one@example.org"
    web = config.path("feeds") / "digests" / f"{report.digest_id}.html"
    assert "Alexander Rossi" in web.read_text(encoding="utf-8")
    assert (config.path("feeds") / "articles" / f"{article.slug}.html").exists()


def test_second_run_publishes_nothing_and_changes_no_byte(config: Config):
    pipeline.run(config)
    before = feed_bytes(config)
    mtimes = {p: p.stat().st_mtime_ns for p in config.path("feeds").rglob("*.xml")}
    report = pipeline.run(config)
    assert (report.new, report.updated, report.unchanged) == ([], [], 1)
    assert report.digest_id is None and report.sent == 0
    assert feed_bytes(config) == before
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert len(outbox_messages(config)) == 1


def test_editing_an_article_updates_the_entry_but_sends_no_second_digest(config: Config):
    first = pipeline.run(config).new[0]
    path = config.path("inbox") / SAMPLE.name
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = pipeline.run(config)
    assert report.unchanged == 1  # a trailing newline is not a content change
    path.write_text(
        path.read_text(encoding="utf-8").replace("11.000 tentara", "12.000 tentara"),
        encoding="utf-8",
    )
    report = pipeline.run(config)
    (updated,) = report.updated
    assert updated.id == first.id and updated.updated > first.updated
    assert report.digest_id is None
    entry = feedparser.parse(config.path("feeds") / "atom.xml").entries[0]
    assert entry.id == first.id
    assert len(outbox_messages(config)) == 1


def test_bad_files_are_reported_and_the_rest_is_published(site: Path):
    inbox = site / "articles"
    (inbox / "empty.txt").write_text("  \n", encoding="utf-8")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (inbox / "draft.txt.part").write_text("Half a story", encoding="utf-8")
    (inbox / ".hidden.txt").write_text("Hidden\n\nText.", encoding="utf-8")
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    assert [a.source for a in report.new] == [SAMPLE.name]
    assert sorted(r.source for r in report.rejected) == ["binary.txt", "empty.txt"]
    assert all(r.reason for r in report.rejected)
    again = pipeline.run(config)
    assert again.rejected == []  # not retried until the file changes
    assert sorted(r.source for r in again.still_rejected) == ["binary.txt", "empty.txt"]
    (inbox / "empty.txt").write_text("Judul\n\nSekarang ada isinya.\n", encoding="utf-8")
    assert [a.source for a in pipeline.run(config).new] == ["empty.txt"]


def test_a_second_run_is_refused_while_one_holds_the_lock(config: Config):
    with run_lock(config), pytest.raises(RunInProgress, match="another"):
        pipeline.run(config)


def test_temporary_smtp_failure_is_retried_after_a_backoff(site: Path, smtp_server):
    from datetime import timedelta

    handler, port = smtp_server
    write_config(site, f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {port}\n")
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    add_subscriber(conn, "tempfail@example.org", "", pipeline_now(config), resubscribe=True)
    conn.close()
    report = pipeline.run(config)
    assert report.sent == 1 and len(report.failed) == 1 and not report.failed_for_good
    assert report.failed[0].startswith("tempfail@example.org: ")
    assert "451 4.2.0" in report.failed[0] and "retried after" in report.failed[0]
    assert [m["To"] for m in handler.messages] == ["Reader One <one@example.org>"]
    report = pipeline.run(config)  # too soon: the backoff holds it
    assert report.sent == 0 and report.failed == []
    later = pipeline_now(config) + timedelta(hours=1)
    report = pipeline.run(config, now=later)
    assert report.sent == 0 and len(report.failed) == 1  # retried; the good one is not resent
    assert "attempt 2" in report.failed[0]
    assert len(handler.messages) == 1


def test_permanent_smtp_refusal_is_not_retried(site: Path, smtp_server):
    from datetime import timedelta

    _handler, port = smtp_server
    write_config(site, f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {port}\n")
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    add_subscriber(conn, "refuse-me@example.org", "", pipeline_now(config), resubscribe=True)
    conn.close()
    report = pipeline.run(config)
    assert report.sent == 1 and report.failed == []
    (final,) = report.failed_for_good
    assert final.startswith("refuse-me@example.org: ") and "550 5.1.1 no such user" in final
    assert report.unresolved == 1
    report = pipeline.run(config, now=pipeline_now(config) + timedelta(days=1))
    assert report.sent == 0 and report.failed_for_good == [] and report.unresolved == 1


def pipeline_now(config: Config):
    from datetime import datetime

    return datetime.now(config.site.tz)


def test_crash_after_maildir_link_does_not_duplicate(config: Config, monkeypatch):
    # Simulate a crash between handing the message to the Maildir and recording it as sent.
    calls = []
    real_finish = record_outcomes

    def crash_once(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise KeyboardInterrupt("power cut")
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(deliveries, "record_outcomes", crash_once)  # OutcomeWriter's
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(config)
    assert len(outbox_messages(config)) == 1
    report = pipeline.run(config)
    assert report.sent == 1  # recorded now…
    assert len(outbox_messages(config)) == 1  # …without a second copy


def test_outputs_are_world_readable_and_no_temp_files_remain(config: Config):
    pipeline.run(config)
    for path in config.path("feeds").rglob("*"):
        # The state stamp is the one dotfile (syndicate/state.py); temp files are not.
        assert not path.name.startswith(".") or path.name == ".syndicate-state", path
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o644, path
    assert os.listdir(config.path("outbox") / "tmp") == []


def test_inbox_in_subfolders_and_unicode_names(site: Path):
    sub = site / "articles" / "opini"
    sub.mkdir()
    shutil.copy(SAMPLE, sub / "Kolom Ümit.txt")
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    sources = sorted(a.source for a in report.new)
    assert sources == [SAMPLE.name, "opini/Kolom Ümit.txt"]
    slugs = {a.slug for a in report.new}
    assert "kolom-umit" in slugs


def test_archive_pages_follow_the_settings_and_stale_ones_are_removed(site: Path):
    for i in range(7):
        (site / "articles" / f"berita-{i}.txt").write_text(
            f"Berita nomor {i} hari ini\n\nIsi berita nomor {i} yang cukup panjang untuk dibaca.\n",
            encoding="utf-8",
        )
    write_config(site, "\n[feed]\nentries = 2\narchive_page_size = 2\n")
    pipeline.run(load_config(site / "config.toml"), digest="never")
    archive = site / "feeds" / "archive"
    small_pages = sorted(p.name for p in archive.iterdir())
    assert "atom-3.xml" in small_pages
    # A run killed between writing a page's temp file and renaming it left one behind.
    (archive / ".atom-3.xml.k1ll3d.tmp").write_bytes(b"<feed")
    write_config(site, "\n[feed]\nentries = 2\narchive_page_size = 4\n")
    report = pipeline.run(load_config(site / "config.toml"), digest="never")
    pages = sorted(p.name for p in archive.iterdir())
    assert "atom-3.xml" not in pages and "atom-1.xml" in pages
    assert not any(name.endswith(".tmp") for name in pages)
    assert any("removed stale archive page" in w and "atom-3.xml" in w for w in report.warnings)
    assert [w for w in report.warnings if ".tmp" in w] == [
        f"removed {archive / '.atom-3.xml.k1ll3d.tmp'}, half-written by an interrupted run"
    ]
    main = feedparser.parse(site / "feeds" / "atom.xml")
    prev = [link.href for link in main.feed.links if link.rel == "prev-archive"]
    assert prev and prev[0].rsplit("/", 1)[1] in pages


def test_a_big_first_digest_made_now_shows_the_newest_and_counts_the_rest(site: Path):
    for i in range(4):
        (site / "articles" / f"berita-{i}.txt").write_text(
            f"Berita nomor {i} hari ini\n\nIsi berita nomor {i} yang cukup panjang untuk dibaca.\n",
            encoding="utf-8",
        )
    config = load_config(site / "config.toml")
    config = config.model_copy(
        update={"digest": config.digest.model_copy(update={"max_articles": 2})}
    )
    report = pipeline.run(config, digest="now")  # asked for: a back catalogue is never due
    assert report.digest_articles == 5
    (message,) = outbox_messages(config)
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "5 artikel baru" in text
    assert "…dan 3 artikel lainnya di situs." in text
    assert message["Subject"].startswith("Test Site: 5 new")
    html = message.get_body(("html",)).get_content()
    assert html.count("<h2") == 2
    assert pipeline.run(config).digest_id is None  # all five were covered by that digest


def test_hostile_article_is_published_as_inert_text_everywhere(site: Path):
    hostile = (
        "<script>alert(1)</script> Judul {{ 7*7 }} ]]> \u2028Bcc: victim@example.org\n\n"
        "Paragraf pertama dengan {% raw %} dan <b>tag</b> serta \x07 karakter kontrol. "
        "Kalimat kedua yang cukup panjang untuk ringkasan berita ini.\n\n"
        "Paragraf kedua ]]> <![CDATA[ x ]]> dengan emoji 🎉 dan teks عربي.\n"
    )
    (site / "articles" / "hostile.txt").write_text(hostile, encoding="utf-8")
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    assert sorted(a.source for a in report.new) == ["000_6bd5c2adaf47451d.txt", "hostile.txt"]

    feeds = config.path("feeds")
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(feeds / name)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        titles = [e.title for e in parsed.entries]
        assert any("{{ 7*7 }}" in t for t in titles)
        assert not any("49" in t for t in titles)
    import json

    items = json.loads((feeds / "feed.json").read_text(encoding="utf-8"))["items"]
    assert any("{{ 7*7 }}" in item["title"] for item in items)

    (message,) = outbox_messages(config)
    assert message["Bcc"] is None
    assert "victim@example.org" not in str(message["To"])
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html
    text = message.get_body(("plain",)).get_content()
    assert "{{ 7*7 }}" in " ".join(text.split())
    page = (feeds / "articles" / "hostile.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>tag</b>" not in page
    assert "{{ 7*7 }}" in page and "\x07" not in page


def test_a_file_still_being_written_waits_for_the_next_run(site: Path, monkeypatch):
    growing = site / "articles" / "growing.txt"
    growing.write_text("Judul yang sedang ditulis\n\nParagraf pertama.\n", encoding="utf-8")
    real_fingerprint = ingest.file_fingerprint

    def publisher_keeps_writing(path: Path, max_bytes: int):
        result = real_fingerprint(path, max_bytes)
        if path == growing:  # the publisher appends right after the run listed the file
            with growing.open("a", encoding="utf-8") as fh:
                fh.write("Paragraf kedua yang baru saja ditambahkan.\n")
        return result

    monkeypatch.setattr(ingest, "file_fingerprint", publisher_keeps_writing)
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    assert [w.source for w in report.waiting] == ["growing.txt"]
    assert report.rejected == []
    assert [a.source for a in report.new] == [SAMPLE.name]
    monkeypatch.setattr(ingest, "file_fingerprint", real_fingerprint)
    report = pipeline.run(config)
    (article,) = report.new
    assert article.source == "growing.txt"
    assert "Paragraf kedua" in article.text


def test_websub_hub_is_pinged_only_when_a_feed_changed(site: Path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    pings: list[dict] = []

    class Hub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            pings.append(parse_qs(body.decode()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    hub = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    try:
        write_config(site, f"\n[feed]\nhub = 'http://127.0.0.1:{hub.server_address[1]}/'\n")
        config = load_config(site / "config.toml")
        report = pipeline.run(config)
        assert report.warnings == []
        topics = sorted(p["hub.url"][0] for p in pings)
        assert topics == [
            "https://news.example.org/atom.xml",
            "https://news.example.org/feed.json",
            "https://news.example.org/rss.xml",
        ]
        assert all(p["hub.mode"] == ["publish"] for p in pings)
        atom = feedparser.parse(config.path("feeds") / "atom.xml")
        assert any(link.rel == "hub" for link in atom.feed.links)
        pipeline.run(config)
        assert len(pings) == 3  # nothing changed: no ping
    finally:
        hub.shutdown()
        hub.server_close()


def test_hub_outage_is_a_warning_and_the_feeds_are_still_published(site: Path):
    from tests.conftest import free_port

    write_config(site, f"\n[feed]\nhub = 'http://127.0.0.1:{free_port()}/'\n")
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    assert report.feeds_written and report.sent == 1
    (hub_warning,) = report.warnings
    assert "WebSub hub" in hub_warning


def test_an_address_no_message_can_carry_fails_alone(config: Config):
    from datetime import datetime

    conn = open_store(config.db_path)
    # Valid for email-validator, but its non-ASCII local part needs SMTPUTF8.
    now = datetime.now(config.site.tz)
    add_subscriber(conn, "pembaca.ü@example.org", "", now, resubscribe=True)
    conn.close()
    report = pipeline.run(config)
    assert report.sent == 1
    (failure,) = report.failed_for_good
    assert failure.startswith("pembaca.ü@example.org: cannot address")
    assert len(outbox_messages(config)) == 1


def test_a_reader_bug_on_one_file_does_not_stop_the_run(site: Path, monkeypatch, capsys):
    from syndicate.readers import read as readers
    from syndicate.readers.read import _READERS, _read_text

    real = _read_text

    def explode_on_one(text, context):
        if context.source == "boom.txt":
            raise RuntimeError("unexpected")
        return real(text, context)

    monkeypatch.setattr(readers, "_READERS", {**_READERS, "text": explode_on_one})
    (site / "articles" / "boom.txt").write_text("Judul\n\nIsi berita.\n", encoding="utf-8")
    report = pipeline.run(load_config(site / "config.toml"))
    assert [a.source for a in report.new] == [SAMPLE.name]
    (rejection,) = report.rejected
    assert rejection.source == "boom.txt"
    assert "RuntimeError: unexpected" in rejection.reason and "bug" in rejection.reason
    assert "Traceback" in capsys.readouterr().err  # the details are there for the bug report


def test_two_files_with_one_canonical_url_do_not_fight_over_the_entry(site: Path):
    front = "---\ntitle: {t}\nurl: https://publisher.example/berita/1\n---\nIsi berita {t}.\n"
    inbox = site / "articles"
    (inbox / "a.md").write_text(front.format(t="Pertama"), encoding="utf-8")
    (inbox / "b.md").write_text(front.format(t="Kedua"), encoding="utf-8")
    config = load_config(site / "config.toml")
    report = pipeline.run(config)
    assert sorted(a.source for a in report.new) == [SAMPLE.name, "a.md"]
    (rejection,) = report.rejected
    assert rejection.source == "b.md" and "same canonical URL as a.md" in rejection.reason
    before = feed_bytes(config)
    again = pipeline.run(config)
    assert (again.new, again.updated, again.rejected) == ([], [], [])
    assert feed_bytes(config) == before
    # A rename (the old file is gone) keeps the entry, under its new file name.
    (inbox / "a.md").rename(inbox / "a-renamed.md")
    moved = pipeline.run(config)
    assert moved.new == [] and moved.rejected == []
    conn = open_store(config.db_path)
    assert source_of(conn, "https://publisher.example/berita/1") == "a-renamed.md"
    conn.close()


def test_a_renamed_file_is_the_same_article(site: Path):
    config = load_config(site / "config.toml")
    (first,) = pipeline.run(config).new
    before = feed_bytes(config)
    inbox = site / "articles"
    (inbox / "2026").mkdir()
    (inbox / SAMPLE.name).rename(inbox / "2026" / "korea-rusia.txt")
    report = pipeline.run(config)
    assert report.new == [] and report.digest_id is None
    assert report.moved == [(SAMPLE.name, "2026/korea-rusia.txt")]
    entries = feedparser.parse(config.path("feeds") / "atom.xml").entries
    assert [e.id for e in entries] == [first.id]
    assert feed_bytes(config) == before  # the entry did not change at all
    again = pipeline.run(config)
    assert (again.new, again.moved, again.unchanged) == ([], [], 1)
