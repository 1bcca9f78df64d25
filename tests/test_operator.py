"""Operator control through the CLI, as issue #9 checks it: cadence, dry run, backlog skip,
retract, test send and resend, rebuild, machine-readable status, subscribers in bulk."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import feedparser

from syndicate.cli import main
from tests.conftest import SAMPLE

ATOM = "{http://www.w3.org/2005/Atom}"


def cli(site: Path, *args: str) -> int:
    return main([*args, "--config", str(site / "config.toml")])


def cli_json(site: Path, capsys, *args: str):
    """Run a command with --json and parse its output (and only its output)."""
    capsys.readouterr()
    assert cli(site, *args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def messages(site: Path) -> list:
    new = site / "outbox" / "new"
    return (
        [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(new.iterdir())]
        if new.is_dir()
        else []
    )


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file under the folders with the sha256 of its bytes."""
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def add_article(site: Path, name: str, title: str) -> Path:
    path = site / "articles" / name
    path.write_text(
        f"{title}\n\nOleh: Budi Santoso\n\n{title} adalah berita penting hari ini. "
        "Pemerintah mengumumkan kebijakan baru yang berlaku mulai bulan depan.\n\n"
        "Para ahli menilai kebijakan itu akan berdampak luas bagi masyarakat.\n",
        encoding="utf-8",
    )
    return path


def feed_titles(site: Path, name: str = "rss.xml") -> list[str]:
    parsed = feedparser.parse(str(site / "feeds" / name))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


# ---------------------------------------------------------------- 1. cadence


def test_the_digest_keeps_its_cadence_and_publish_never_mails(site: Path, capsys):
    assert cli(site, "run") == 0
    assert len(messages(site)) == 1  # the very first digest is due at once
    add_article(site, "kedua.txt", "Berita kedua")
    assert cli(site, "run") == 0
    out = capsys.readouterr().out
    assert "Berita kedua" in feed_titles(site)  # the feeds gain the entry …
    assert len(messages(site)) == 1  # … and nobody is mailed in the same period
    assert "digest     none now: not due" in out and "next due" in out
    add_article(site, "ketiga.txt", "Berita ketiga")
    before = snapshot(site / "outbox")
    assert cli(site, "publish") == 0
    assert "Berita ketiga" in feed_titles(site)
    assert snapshot(site / "outbox") == before  # publish never writes to the outbox
    assert cli(site, "run", "--digest", "now") == 0
    [_first, second] = messages(site)
    body = second.get_body(("plain",)).get_content()
    assert "Berita kedua" in body and "Berita ketiga" in body
    assert "Kerja sama militer" not in body  # already in the first digest
    assert cli(site, "run", "--digest", "now") == 0  # nothing pending: still no empty digest
    assert len(messages(site)) == 2


def test_no_digest_is_an_alias_of_digest_never(site: Path):
    assert cli(site, "run", "--no-digest") == 0
    assert messages(site) == []
    assert cli(site, "run") == 0
    assert len(messages(site)) == 1


# ---------------------------------------------------------------- 2. dry run


def test_dry_run_changes_no_byte_and_names_what_would_happen(site: Path, capsys):
    state = site / "state"
    cli(site, "run")
    add_article(site, "baru.txt", "Artikel yang baru")
    before = snapshot(site / "feeds", site / "outbox", state)
    assert cli(site, "run", "--dry-run", "--digest", "now") == 0
    out = capsys.readouterr().out
    assert snapshot(site / "feeds", site / "outbox", state) == before
    assert "baru.txt" in out and "Artikel yang baru" in out
    assert "would be written to" in out and "rss.xml" in out
    assert "would be made: 1 article(s) for 1 recipient(s)" in out
    assert "1 would be written to the Maildir" in out
    assert cli(site, "publish", "--dry-run") == 0
    assert snapshot(site / "feeds", site / "outbox", state) == before


def test_dry_run_on_a_fresh_site_creates_nothing(site: Path, capsys):
    assert cli(site, "run", "--dry-run") == 0
    assert SAMPLE.name in capsys.readouterr().out
    assert not (site / "state").exists() and not (site / "feeds").exists()
    assert not (site / "outbox").exists()


def test_a_dry_run_counts_each_output_once_as_many_as_the_run_writes(site: Path, capsys):
    from syndicate.config import load_config
    from syndicate.run import pipeline

    with (site / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[feed]\nentries = 5\narchive_page_size = 5\n")
    assert cli(site, "run") == 0  # the sample, and its digest
    for i in range(30):  # then a batch that makes archive pages and a digest
        add_article(site, f"berita-{i:02}.txt", f"Berita nomor {i}")
    config = load_config(site / "config.toml")
    dry = pipeline.run(config, digest="now", dry_run=True)
    real = pipeline.run(config, digest="now")
    assert real.digest_id and dry.digest_id == real.digest_id
    assert len(dry.feeds_written) == len(set(dry.feeds_written))
    assert sorted(dry.feeds_written) == sorted(real.feeds_written)
    assert any(name.startswith("archive/") for name in real.feeds_written)
    assert sorted(dry.pages_written) == sorted(real.pages_written)
    assert len(real.pages_written) == len(set(real.pages_written)) > 30
    assert len(dry.new) == len(real.new) == 30


# ---------------------------------------------------------------- 3. backlog


def test_digest_skip_then_digest_now_sends_nothing(site: Path, capsys):
    assert cli(site, "publish") == 0
    assert cli(site, "digest", "skip") == 0
    assert "1 pending article(s) marked as digested; nothing was sent" in capsys.readouterr().out
    assert cli(site, "run", "--digest", "now") == 0
    assert messages(site) == []
    add_article(site, "baru.txt", "Sesudah skip")
    assert cli(site, "run", "--digest", "now") == 0
    [message] = messages(site)
    assert "Sesudah skip" in message.get_body(("plain",)).get_content()


def test_digest_skip_also_covers_files_dropped_in_but_not_read_yet(site: Path, capsys):
    assert cli(site, "run") == 0  # the sample goes out
    add_article(site, "belum-dibaca.txt", "Belum dibaca")  # no run has read it yet
    capsys.readouterr()
    assert cli(site, "digest", "skip") == 0
    assert "1 pending article(s) (1 read from the inbox just now)" in capsys.readouterr().out
    assert "Belum dibaca" in feed_titles(site)  # published …
    assert cli(site, "run", "--digest", "now") == 0
    assert len(messages(site)) == 1  # … and never mailed


def test_a_first_run_over_many_articles_mentions_digest_skip(site: Path, capsys):
    for i in range(25):
        add_article(site, f"arsip-{i:02}.txt", f"Arsip nomor {i}")
    assert cli(site, "publish") == 0
    assert "syndicate digest skip" in capsys.readouterr().out


# ---------------------------------------------------------------- 4. retract


def test_retract_takes_the_article_out_everywhere_and_keeps_its_id(site: Path, capsys):
    assert cli(site, "run") == 0
    [entry] = feedparser.parse(str(site / "feeds" / "atom.xml")).entries
    article_id, page = entry.id, site / "feeds" / "articles" / "000-6bd5c2adaf47451d.html"
    assert cli(site, "retract", SAMPLE.name, "--reason", "court order 12/2026") == 0
    assert "retracted" in capsys.readouterr().out
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(str(site / "feeds" / name))
        assert parsed.bozo == 0 and parsed.entries == []
    data = json.loads((site / "feeds" / "feed.json").read_text(encoding="utf-8"))
    assert data["items"] == []
    atom = (site / "feeds" / "atom.xml").read_text(encoding="utf-8")
    assert f'<at:deleted-entry ref="{article_id}"' in atom
    assert "court order" not in atom  # the reason is the operator's, never published
    html = page.read_text(encoding="utf-8")
    assert "Artikel ditarik" in html and "Korea Utara" not in html
    # The file stays in the inbox, is even edited: still retracted, same id, never digested.
    sample = site / "articles" / SAMPLE.name
    sample.write_text(sample.read_text(encoding="utf-8") + "\nTambahan.\n", encoding="utf-8")
    add_article(site, "lain.txt", "Berita lain")
    assert cli(site, "run", "--digest", "now") == 0
    latest = messages(site)[-1].get_body(("plain",)).get_content()
    assert "Berita lain" in latest and "Korea Utara" not in latest
    assert feed_titles(site) == ["Berita lain"]
    listing = {a["id"]: a for a in cli_json(site, capsys, "articles")}
    assert listing[article_id]["retracted"] and listing[article_id]["retract_reason"]
    # Undo: back in the feeds under the very same id.
    assert cli(site, "retract", "--undo", article_id) == 0
    ids = [e.id for e in feedparser.parse(str(site / "feeds" / "atom.xml")).entries]
    assert article_id in ids
    assert "deleted-entry" not in (site / "feeds" / "atom.xml").read_text(encoding="utf-8")
    assert "Korea Utara" in page.read_text(encoding="utf-8")


def test_retract_needs_a_reason_and_a_known_article(site: Path, capsys):
    cli(site, "publish")
    assert cli(site, "retract", SAMPLE.name) == 2
    assert "--reason" in capsys.readouterr().err
    assert cli(site, "retract", "tidak-ada.txt", "--reason", "x") == 2
    assert "no stored article" in capsys.readouterr().err


def test_a_retracted_article_leaves_the_web_version_of_its_digest(site: Path):
    cli(site, "run")
    [web] = (site / "feeds" / "digests").glob("20*.html")
    assert "Korea Utara" in web.read_text(encoding="utf-8")
    cli(site, "retract", SAMPLE.name, "--reason", "takedown")
    assert "Korea Utara" not in web.read_text(encoding="utf-8")


# ---------------------------------------------------------------- 5. test send, resend


def test_send_test_sends_one_message_and_records_nothing(site: Path, capsys):
    assert cli(site, "publish") == 0
    before = snapshot(site / "state")
    assert cli(site, "send-test", "--to", "Editor <editor@example.org>") == 0
    [message] = messages(site)
    assert message["To"] == "Editor <editor@example.org>"
    assert message["Subject"].startswith("[test] ")
    assert "Korea Utara" in message.get_body(("plain",)).get_content()
    assert snapshot(site / "state") == before
    status = cli_json(site, capsys, "status")
    assert status["deliveries"]["sent"] == 0 and status["articles"]["pending"] == 1
    # The article is still pending: the real digest goes out as usual.
    assert cli(site, "run") == 0
    assert len(messages(site)) == 2


def test_a_test_sent_before_the_first_run_does_not_stop_the_first_run(site: Path, capsys):
    # The usual first day: a test to oneself, then the first run. The test message is
    # written from no state; the state guard must not take it for the outputs of a lost one.
    assert not (site / "state" / "syndicate.db").exists()
    assert cli(site, "send-test", "--to", "editor@example.org") == 0
    assert cli(site, "run") == 0
    assert sorted(m["Subject"].startswith("[test] ") for m in messages(site)) == [False, True]
    # A digest message with no state is still the outputs of a lost state.
    (site / "state" / "syndicate.db").unlink()
    capsys.readouterr()
    assert cli(site, "run") == 74
    assert "state adopt" in capsys.readouterr().err


def test_send_test_with_nothing_pending_sends_the_latest_digest(site: Path, capsys):
    cli(site, "run")
    assert cli(site, "send-test", "--to", "editor@example.org") == 0
    assert "digest " in capsys.readouterr().out
    assert [m["Subject"].startswith("[test] ") for m in messages(site)] == [False, True]
    assert cli(site, "send-test", "--to", "not an address") == 2


def test_resend_goes_to_a_subscriber_with_a_new_message_id_and_is_recorded(site: Path, capsys):
    cli(site, "run")
    digest_id = cli_json(site, capsys, "status")["digests"][0]["id"]
    assert cli(site, "digest", "resend", digest_id, "--to", "one@example.org") == 0
    original, again = messages(site)
    assert again["Subject"] == original["Subject"]
    assert again["Message-ID"] != original["Message-ID"]
    assert cli_json(site, capsys, "status")["deliveries"]["resends"] == 1
    assert cli(site, "digest", "resend", digest_id, "--to", "stranger@example.org") == 2
    assert "not a subscriber" in capsys.readouterr().err
    assert cli(site, "digest", "resend", "1999-01-01-001", "--to", "one@example.org") == 2


# ---------------------------------------------------------------- 6. rebuild


def test_rebuild_after_a_title_change_updates_every_output(site: Path):
    cli(site, "run")
    config = site / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('title = "Test Site"', 'title = "Warta Baru"'),
        encoding="utf-8",
    )
    assert cli(site, "rebuild") == 0
    for name in ("rss.xml", "atom.xml"):
        assert feedparser.parse(str(site / "feeds" / name)).feed.title == "Warta Baru"
    assert json.loads((site / "feeds" / "feed.json").read_text())["title"] == "Warta Baru"
    for page in (site / "feeds").glob("*/*.html"):
        assert "Warta Baru" in page.read_text(encoding="utf-8"), page


def test_a_normal_run_heals_a_page_after_a_config_change_or_a_lost_write(site: Path):
    cli(site, "run")
    page = site / "feeds" / "articles" / "000-6bd5c2adaf47451d.html"
    page.unlink()  # a run that died on a full disk before writing it
    config = site / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('title = "Test Site"', 'title = "Judul Lain"'),
        encoding="utf-8",
    )
    assert cli(site, "publish") == 0
    assert "Judul Lain" in page.read_text(encoding="utf-8")
    assert feedparser.parse(str(site / "feeds" / "rss.xml")).feed.title == "Judul Lain"
    stamp = snapshot(site / "feeds")
    assert cli(site, "publish") == 0
    assert snapshot(site / "feeds") == stamp  # and then nothing more changes


# ---------------------------------------------------------------- 7. status, articles, CSV


def test_status_and_articles_as_json(site: Path, capsys):
    cli(site, "run")
    status = cli_json(site, capsys, "status")
    assert status["articles"]["stored"] == 1 and status["articles"]["pending"] == 0
    assert status["subscribers"]["active"] == 1
    assert status["deliveries"]["sent"] == 1
    assert status["schedule"]["digest"]["cron"] == "0 7 * * *"
    assert status["schedule"]["digest"]["next"].endswith("07:00:00+07:00")
    assert status["runs"][0]["summary"]["new"] == 1
    assert status["runs"][0]["details"]["new"][0].startswith(SAMPLE.name)
    [article] = cli_json(site, capsys, "articles")
    assert article["author"] == "Alexander Rossi" and article["language"] == "id"
    assert article["digest"] == status["digests"][0]["id"] and article["retracted"] is None
    assert cli(site, "status") == 0
    text = capsys.readouterr().out
    assert "schedule     publish '*/15 * * * *'" in text and "last run new" in text


def test_subscribers_import_export_round_trip(site: Path, tmp_path: Path, capsys):
    cli(site, "publish")
    cli(site, "subscribers", "remove", "one@example.org")
    rows = tmp_path / "list.csv"
    rows.write_text(
        "email,name,status,language\n"
        "ani@example.org,Ani,,id\n"
        "Budi <BUDI@example.org>,,active,\n"
        "not-an-address,Nope,,\n"
        "one@example.org,Reader One,active,\n"  # unsubscribed: must stay so
        "cici@example.org,Cici,unsubscribed,en\n"
        "dedi@example.org,Dedi,paused,\n"
        "ani@example.org,Ani again,,\n",
        encoding="utf-8",
    )
    assert cli(site, "subscribers", "import", str(rows), "--verbose") == 65  # some invalid
    out = capsys.readouterr().out
    assert "list.csv:2: ani@example.org: added" in out
    assert "list.csv:3: budi@example.org: added" in out
    assert "list.csv:4: not-an-address: invalid" in out
    assert "list.csv:5: one@example.org: unsubscribed" in out
    assert "list.csv:7: dedi@example.org: invalid: status must be" in out
    assert "list.csv:8: ani@example.org: invalid: repeats" in out
    export = tmp_path / "out.csv"
    assert cli(site, "subscribers", "export", str(export)) == 0
    exported = export.read_text(encoding="utf-8").splitlines()
    assert exported[0] == "email,name,status,language,newsletters"
    assert "ani@example.org,Ani,active,id," in exported
    assert "budi@example.org,Budi,active,," in exported
    assert "cici@example.org,Cici,unsubscribed,en," in exported
    assert "one@example.org,Reader One,unsubscribed,," in exported
    # Importing the export back changes nothing.
    capsys.readouterr()
    assert cli(site, "subscribers", "import", str(export)) == 0
    assert capsys.readouterr().out == "out.csv: 4 rows: 4 exists\n"
    # Without --verbose: the invalid rows (to fix) and a summary.
    assert cli(site, "subscribers", "import", str(rows)) == 65
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("list.csv:4: not-an-address: invalid")
    assert len(out) == 4
    assert out[-1] == "list.csv: 7 rows: 3 exists, 3 invalid, 1 unsubscribed"


def test_erase_deletes_the_address_and_keeps_it_suppressed(site: Path, tmp_path: Path, capsys):
    cli(site, "run")
    assert cli(site, "subscribers", "erase", "one@example.org") == 0
    assert "erased" in capsys.readouterr().out
    db = (site / "state" / "syndicate.db").read_bytes()
    assert b"one@example.org" not in db.replace(b"\x00", b"")  # not even in deliveries
    rows = tmp_path / "again.csv"
    rows.write_text("email,name\none@example.org,Reader One\n", encoding="utf-8")
    assert cli(site, "subscribers", "import", str(rows)) == 0
    assert "again.csv: 1 rows: 1 suppressed" in capsys.readouterr().out
    assert cli(site, "run") == 0  # the config list does not bring it back either
    cli(site, "subscribers", "list")
    assert "one@example.org" not in capsys.readouterr().out


def test_subscribers_list_into_a_closed_pipe_is_quiet(site: Path):
    from datetime import UTC, datetime

    from syndicate.store.sqlite import open_store
    from syndicate.store.subscribers import add_subscriber

    conn = open_store(site / "state" / "syndicate.db")
    for i in range(3000):  # ~100 KB of output: more than a pipe buffer holds
        add_subscriber(
            conn, f"reader{i:04}@example.org", "Reader", datetime.now(UTC), resubscribe=False
        )
    conn.close()
    proc = subprocess.run(
        f"{sys.executable} -m syndicate subscribers list --config {site / 'config.toml'} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout.count("\n") == 1


def test_inspect_works_without_a_config_file(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", str(SAMPLE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["author"]["name"] == "Alexander Rossi"
    assert main(["run"]) == 78  # a run does need one
    assert "config file not found" in capsys.readouterr().err


def test_site_language_must_be_bcp47(site: Path, capsys):
    config = site / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('language = "id"', 'language = "Bahasa"'),
        encoding="utf-8",
    )
    assert cli(site, "run") == 78
    assert "site.language" in capsys.readouterr().err


def test_the_example_base_url_is_a_note_in_the_report_not_trouble_for_quiet(site: Path, capsys):
    assert cli(site, "run") == 0
    assert "note       site.base_url is still the example" in capsys.readouterr().out
    add_article(site, "baru.txt", "Artikel baru")
    assert cli(site, "run", "--quiet") == 0
    assert capsys.readouterr().out == ""  # cron mails nobody for it
