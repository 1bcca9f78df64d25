"""Several newsletters (#23): a config with a daily and a weekly ports newsletter, subscribers
holding different ones in different languages (CLI and CSV), tagged articles in two
languages; what each subscriber gets, when, in which language, and the commands that take
`--newsletter`."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from syndicate.config import ConfigError, load_config
from syndicate.core.labels import labels_for
from syndicate.core.rendering import format_day
from syndicate.delivery import copies
from syndicate.run import pipeline
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import get_subscriber
from tests.conftest import record_calls, write_config
from tests.newsletter_support import NEWSLETTERS, cli, mailbox, newsletter_site, parts, story

HARBOUR = "Harbour reopens after the storm"
PASAR = "Harga beras naik di pasar"
PELABUHAN = "Pelabuhan Tanjung Priok dibuka lagi"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Two newsletters; one@ (the config's, chose nothing), both@ (CLI, English), ports@ and
    nl@ (CSV, German and Dutch); three articles in English and Indonesian."""
    newsletter_site(tmp_path)
    story(tmp_path, "harbour.md", HARBOUR, ("Ports", "Weather"), "en")
    story(tmp_path, "pasar.md", PASAR, ("ekonomi",), "id")
    story(tmp_path, "pelabuhan.md", PELABUHAN, ("ports",), "id")
    assert (
        cli(tmp_path, "subscribers", "add", "Both <both@example.org>", "--language", "en",
            "--newsletters", "daily,ports-weekly")
        == 0
    )  # fmt: skip
    roster = tmp_path / "list.csv"
    roster.write_text(
        "email,name,language,newsletters\n"
        "ports@example.org,Hafen,de,ports-weekly\n"
        "nl@example.org,Lezer,nl,\n",
        encoding="utf-8",
    )
    assert cli(tmp_path, "subscribers", "import", str(roster)) == 0
    return tmp_path


def token_of(site: Path, email: str) -> str:
    conn = open_store(load_config(site / "config.toml").db_path)
    try:
        return get_subscriber(conn, email).token
    finally:
        conn.close()


def test_each_subscriber_gets_the_newsletters_they_hold_with_their_articles_in_their_language(
    site: Path,
):
    config = load_config(site / "config.toml")
    assert cli(site, "run", "--digest", "now") == 0
    made = datetime.now(config.site.tz)
    got = mailbox(site)
    held = {who: sorted(d.rsplit("-", 4)[0] for d, _m in msgs) for who, msgs in got.items()}
    assert held == {
        "one@example.org": ["daily"],  # chose nothing: the default one
        "both@example.org": ["daily", "ports-weekly"],
        "ports@example.org": ["ports-weekly"],
        "nl@example.org": ["daily"],
    }
    for who, lang in (("one", "id"), ("both", "en"), ("ports", "de"), ("nl", "nl")):
        labels = labels_for(lang)
        for digest_id, msg in got[f"{who}@example.org"]:
            text, html = parts(msg)
            titles = {t for t in (HARBOUR, PASAR, PELABUHAN) if t in text}
            if digest_id.startswith("ports-weekly"):  # only the articles tagged "ports"
                assert titles == {HARBOUR, PELABUHAN}
                assert msg["Subject"].startswith("Ports Weekly: 2 ")
            else:
                assert titles == {HARBOUR, PASAR, PELABUHAN}
                assert msg["Subject"].startswith("The Ledger Daily: 3 ")
            # Labels, the date and the footer in the subscriber's language …
            assert labels["key_points"] in html and labels["unsubscribe"] in text
            assert format_day(made, lang, config.site.tz) in text
            # … the articles in their own: an Indonesian article in an English copy says so.
            if lang != "id" and PELABUHAN in html:
                assert re.search(r'<td class="article"[^>]*lang="id"', html)
            # Every copy links to its subscriber's preference page, in both parts.
            link = f"https://news.example.org/preferences/{token_of(site, f'{who}@example.org')}"
            assert link in text and f'href="{link}"' in html
            assert labels["preferences_link"] in text
    subjects = {w: [m["Subject"] for _d, m in got[w]] for w in ("ports@example.org",)}
    assert subjects["ports@example.org"] == [f"Ports Weekly: 2 neue Artikel — {HARBOUR}"]
    # Nothing twice: the next run sends nothing.
    assert cli(site, "run", "--digest", "now") == 0
    assert sum(len(m) for m in mailbox(site).values()) == 5


def test_each_newsletter_keeps_its_own_schedule(site: Path):
    config = load_config(site / "config.toml")
    tz = config.site.tz
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=tz)  # after daily's 07:00 and weekly's 08:00
    first = pipeline.run(config, now=monday)
    assert sorted(d.id for d in first.digests) == [
        "daily-2026-12-07-001",
        "ports-weekly-2026-12-07-001",
    ]
    story(site, "kapal.md", "Kapal baru tiba di pelabuhan", ("ports",), "id")
    later = pipeline.run(config, now=monday + timedelta(hours=1))
    assert later.digests == []  # both made this period; the article waits for both
    assert "daily: none now: not due" in later.digest_note
    assert "ports-weekly: none now: not due" in later.digest_note
    tuesday = pipeline.run(config, now=monday + timedelta(days=1))
    assert [d.id for d in tuesday.digests] == ["daily-2026-12-08-001"]
    next_monday = pipeline.run(config, now=monday + timedelta(days=7))
    assert [(d.id, d.articles) for d in next_monday.digests] == [
        ("ports-weekly-2026-12-14-001", 1)  # daily had it on Tuesday already
    ]
    weekly = [m for d, m in mailbox(site)["ports@example.org"] if d.endswith("12-14-001")]
    assert len(weekly) == 1 and "Kapal baru tiba di pelabuhan" in parts(weekly[0])[0]


def test_a_digest_is_rendered_once_per_newsletter_and_language_with_recipients(
    site: Path, monkeypatch
):
    for i in range(6):  # more Dutch and English readers: still one rendering each
        lang = "nl" if i % 2 else "en"
        cli(site, "subscribers", "add", f"r{i}@example.org", "--language", lang)
    renders = record_calls(
        monkeypatch, copies, "render_digest", lambda digest, config, **kw: (digest.id, kw["lang"])
    )
    assert cli(site, "run", "--digest", "now") == 0
    # The run renders each digest in the site's language (its web version, and the copies
    # in it: ""); the engine renders the other languages that have recipients, once each.
    assert len(renders) == len(set(renders))
    by_digest: dict[str, set[str]] = {}
    for digest_id, lang in renders:
        by_digest.setdefault(digest_id.rsplit("-", 4)[0], set()).add(lang)
    assert by_digest == {"daily": {"", "en", "nl"}, "ports-weekly": {"", "en", "de"}}
    assert sum(len(m) for m in mailbox(site).values()) == 5 + 6


def test_a_config_without_newsletters_keeps_one_digest_for_everyone(tmp_path: Path):
    write_config(tmp_path)
    story(tmp_path, "harbour.md", HARBOUR, ("ports",), "en")
    cli(tmp_path, "subscribers", "add", "two@example.org", "--newsletters", "")
    assert cli(tmp_path, "run") == 0
    got = mailbox(tmp_path)
    assert sorted(got) == ["one@example.org", "two@example.org"]
    ((digest_id, msg),) = got["one@example.org"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-001", digest_id)  # the ids as they always were
    assert msg["Subject"] == f"Test Site: 1 new — {HARBOUR}"
    assert cli(tmp_path, "run", "--newsletter", "daily") == 2  # there is none to name


@pytest.mark.parametrize(
    ("extra", "key", "why"),
    [
        (
            '\n[[newsletters]]\nid = "Daily"\ndefault = true\n',
            "newsletters[0].id",
            "not a newsletter id",
        ),
        ('\n[[newsletters]]\nname = "No id"\ndefault = true\n', "newsletters[0].id", "missing"),
        ('\n[[newsletters]]\nid = "a"\n', "newsletters", "none is `default = true`"),
        (NEWSLETTERS + '\n[[newsletters]]\nid = "daily"\n', "newsletters", "'daily' is used twice"),
        (
            '\n[[newsletters]]\nid = "a"\ndefault = true\nschedule = "0 7 * *"\n',
            "newsletters[0].schedule",
            "cron",
        ),
        (  # the third table, counted from 0 as every list in the config's messages
            NEWSLETTERS + '\n[[newsletters]]\nid = "c"\nschedule = "0 7 * * 8"\n',
            "newsletters[2].schedule",
            "day of week 8 is out of range",
        ),
        (
            '\n[[newsletters]]\nid = "a"\ndefault = true\ntags = ["!!"]\n',
            "newsletters[0].tags",
            "no letter",
        ),
        (
            '\n[[newsletters]]\nid = "a"\ndefault = true\nfrequency = 1\n',
            "newsletters[0].frequency",
            "unknown key",
        ),
    ],
)
def test_a_bad_newsletter_names_its_key(tmp_path: Path, extra: str, key: str, why: str):
    write_config(tmp_path, extra)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.toml")
    assert f"  {key}: " in str(caught.value) and why in str(caught.value), str(caught.value)


def test_subscribers_set_import_and_export_carry_newsletters_and_language(site: Path, capsys):
    assert cli(site, "publish") == 0  # one@example.org, the config's, is added by a run
    assert cli(site, "subscribers", "set", "one@example.org", "--newsletters", "ports-weekly",
               "--language", "pt-br", "--name", "Um") == 0  # fmt: skip
    assert "one@example.org: active, language pt-BR, newsletters ports-weekly" in (
        capsys.readouterr().out
    )
    assert cli(site, "subscribers", "set", "one@example.org", "--newsletters", "weekly") == 2
    assert "no newsletter 'weekly' (there are: daily, ports-weekly)" in capsys.readouterr().err
    assert cli(site, "subscribers", "set", "nobody@example.org", "--language", "en") == 2
    out = site / "out.csv"
    assert cli(site, "subscribers", "export", str(out)) == 0
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert header == "email,name,status,language,newsletters"
    assert {
        "one@example.org,Um,active,pt-BR,ports-weekly",
        "both@example.org,Both,active,en,daily ports-weekly",
        "nl@example.org,Lezer,active,nl,",  # none chosen: the default ones
    } <= set(rows)
    bad = site / "bad.csv"
    bad.write_text("email,newsletters\nx@example.org,daily gone\n", encoding="utf-8")
    assert cli(site, "subscribers", "import", str(bad)) == 65
    assert "x@example.org: invalid: newsletters: no newsletter 'gone'" in capsys.readouterr().out
    capsys.readouterr()
    assert cli(site, "subscribers", "import", str(out)) == 0  # importing it back: nothing
    assert capsys.readouterr().out.endswith("4 exists\n")


def test_skip_send_test_resend_and_status_take_a_newsletter(site: Path, capsys):
    assert cli(site, "digest", "skip", "--newsletter", "daily") == 0
    assert "3 pending article(s) (3 read from the inbox just now) marked" in capsys.readouterr().out
    capsys.readouterr()
    assert cli(site, "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    pending = {n["id"]: n["pending"] for n in status["newsletters"]}
    assert pending == {"daily": 0, "ports-weekly": 2}
    assert cli(site, "send-test", "--to", "editor@example.org", "--newsletter", "ports-weekly") == 0
    assert "test: the next digest of newsletter ports-weekly (2 pending" in capsys.readouterr().out
    (test,) = mailbox(site)["editor@example.org"]
    assert test[1]["Subject"] == f"[test] Ports Weekly: 2 new — {HARBOUR}"
    assert cli(site, "send-test", "--to", "editor@example.org", "--newsletter", "nope") == 2
    assert cli(site, "run") == 0  # ports-weekly's first digest (due at once); daily: skipped
    assert [d for d, _m in mailbox(site)["ports@example.org"]] == [
        next(d for d, _m in mailbox(site)["ports@example.org"])
    ]
    capsys.readouterr()
    assert (
        cli(site, "digest", "resend", "--to", "ports@example.org", "--newsletter", "ports-weekly")
        == 0
    )
    assert "resent to ports@example.org" in capsys.readouterr().out
    resent = [m for d, m in mailbox(site)["ports@example.org"]]
    assert len(resent) == 2 and all("neue Artikel" in m["Subject"] for m in resent)
    # Not to someone who does not get it.
    assert (
        cli(site, "digest", "resend", "--to", "nl@example.org", "--newsletter", "ports-weekly") == 2
    )
    assert "nl@example.org does not get newsletter ports-weekly" in capsys.readouterr().err
    capsys.readouterr()
    assert cli(site, "status", "--newsletter", "ports-weekly") == 0
    shown = capsys.readouterr().out
    assert (
        "newsletter   ports-weekly (Ports Weekly): 2 subscriber(s), 0 article(s) waiting" in shown
    )
    assert "newsletter   daily" not in shown


def test_status_with_several_newsletters_gives_what_waits_for_each_never_one_for_all(
    site: Path, capsys
):
    assert cli(site, "digest", "skip", "--newsletter", "daily") == 0  # ports-weekly: 2 wait
    capsys.readouterr()
    assert cli(site, "status") == 0
    lines = capsys.readouterr().out.splitlines()
    # No site-wide "waiting for the next digest" (it was the first newsletter's 0), no
    # site-wide digest schedule: each newsletter's line says its own.
    assert "articles     3 stored, 0 retracted, 3 skipped" in lines
    assert not [line for line in lines if "waiting for the next digest" in line]
    (when,) = [line for line in lines if line.startswith("schedule ")]
    assert when.startswith("schedule     publish '*/15 * * * *' next ") and "digest" not in when
    waiting = {
        line.split()[1]: line.split(": ", 1)[1].split(", ")[1]
        for line in lines
        if line.startswith("newsletter ")
    }
    assert waiting == {"daily": "0 article(s) waiting", "ports-weekly": "2 article(s) waiting"}

    assert cli(site, "status", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert {n["id"]: (n["pending"], n["digest_due"]) for n in data["newsletters"]} == {
        "daily": (0, False),
        "ports-weekly": (2, True),
    }
    assert "pending" not in data["articles"] and data["articles"]["stored"] == 3
    assert sorted(data["schedule"]) == ["publish"]

    # One newsletter shown: the site-wide figures are its own, as with one digest.
    assert cli(site, "status", "--newsletter", "ports-weekly") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "articles     3 stored, 2 waiting for the next digest, 0 retracted, 3 skipped" in lines
    assert any(" publish '*/15 * * * *' next " in line and "; digest '0 8 * * 1' next " in line
               for line in lines)  # fmt: skip
    assert cli(site, "status", "--json", "--newsletter", "ports-weekly") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["articles"]["pending"] == 2 and data["schedule"]["digest"]["cron"] == "0 8 * * 1"
    assert data["schedule"]["digest_due"] is True


def test_status_before_the_first_run_names_no_first_newsletter_schedule(tmp_path: Path, capsys):
    newsletter_site(tmp_path)
    assert cli(tmp_path, "status", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] is None and sorted(data["schedule"]) == ["publish"]
    assert cli(tmp_path, "status", "--json", "--newsletter", "ports-weekly") == 0
    assert json.loads(capsys.readouterr().out)["schedule"]["digest"]["cron"] == "0 8 * * 1"
    assert cli(tmp_path, "status", "--newsletter", "weekly") == 2  # checked with no state too
    assert capsys.readouterr().err == (
        "syndicate: --newsletter weekly: no such newsletter (the config has daily, ports-weekly)\n"
    )


def test_preview_shows_each_newsletters_next_digest_or_the_one_named(site: Path, capsys):
    names = ["digest.html", "digest.txt", "digest-web.html", "digest.eml"]
    out = site / "pv"
    assert cli(site, "preview", "--out", str(out)) == 0  # every newsletter's, as send-test
    assert capsys.readouterr().out.split() == [
        str(out / n / name) for n in ("daily", "ports-weekly") for name in names
    ]
    daily, weekly = (
        message_from_bytes((out / n / "digest.eml").read_bytes(), policy=policy.default)
        for n in ("daily", "ports-weekly")
    )
    assert weekly["Subject"] == f"Ports Weekly: 2 new — {HARBOUR}"
    assert daily["Subject"].startswith("The Ledger Daily: 3 new — ")
    text = (out / "ports-weekly" / "digest.txt").read_text(encoding="utf-8")
    assert HARBOUR in text and PELABUHAN in text and PASAR not in text  # its filter's articles
    assert PASAR in (out / "daily" / "digest.txt").read_text(encoding="utf-8")

    one = site / "weekly"
    assert cli(site, "preview", "--out", str(one), "--newsletter", "ports-weekly") == 0
    assert capsys.readouterr().out.split() == [str(one / name) for name in names]
    assert (one / "digest.txt").read_bytes() == (out / "ports-weekly" / "digest.txt").read_bytes()

    assert cli(site, "digest", "skip", "--newsletter", "daily") == 0
    capsys.readouterr()
    assert cli(site, "preview", "--out", str(site / "after"), "--newsletter", "daily") == 0
    assert capsys.readouterr().out.startswith("nothing to preview: no pending articles")
    assert cli(site, "preview", "--out", str(site / "after")) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("newsletter daily: nothing to preview")
    assert shown[1:] == [str(site / "after" / "ports-weekly" / name) for name in names]

    assert cli(site, "preview", "--out", str(site / "no"), "--newsletter", "weekly") == 2
    assert capsys.readouterr().err == (
        "syndicate: --newsletter weekly: no such newsletter (the config has daily, ports-weekly)\n"
    )
    assert not (site / "no").exists()


def test_preview_of_the_one_digest_names_no_newsletter(tmp_path: Path, capsys):
    write_config(tmp_path)
    story(tmp_path, "harbour.md", HARBOUR, ("ports",), "en")
    assert cli(tmp_path, "preview", "--out", str(tmp_path / "pv"), "--newsletter", "daily") == 2
    assert "the config has no [[newsletters]]" in capsys.readouterr().err
    assert cli(tmp_path, "preview", "--out", str(tmp_path / "pv")) == 0
    assert capsys.readouterr().out.split()[0] == str(tmp_path / "pv" / "digest.html")
