"""The preference page, the subscribe form's newsletters and the welcome message (#23), over
real HTTP with the real state and a Maildir: what a subscriber changes takes effect on the
next digest."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import httpx
import pytest

from syndicate.config import Config, load_config
from syndicate.core.labels import labels_for
from syndicate.run.pipeline import run
from syndicate.store.connection import open_db
from syndicate.store.subscribers import get_subscriber
from tests.newsletter_support import cli, mailbox, newsletter_site, parts, story
from tests.web_support import outbox_messages, running, wait_for, with_server


def subscriber(config: Config, address: str):
    conn = open_db(config)
    try:
        return get_subscriber(conn, address)
    finally:
        conn.close()


def read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


@pytest.fixture
def site_config(tmp_path: Path) -> Config:
    newsletter_site(tmp_path)
    story(tmp_path, "harbour.md", "Harbour reopens", ("ports",), "en")
    assert cli(tmp_path, "subscribers", "add", "both@example.org", "--newsletters",
               "daily,ports-weekly", "--language", "en") == 0  # fmt: skip
    assert cli(tmp_path, "run", "--digest", "now") == 0
    return with_server(load_config(tmp_path / "config.toml"), subscribe_per_client_hour=100)


def preferences_link(config: Config, address: str) -> str:
    """The preference link of `address`'s digest, as it reads it in the text part."""
    (_digest, msg), *_ = mailbox(config.root)[address]
    return re.search(r"https?://\S+/preferences/[A-Za-z0-9_-]+", parts(msg)[0]).group(0)


def test_the_page_shows_what_a_subscriber_holds_and_a_get_changes_nothing(site_config):
    with running(site_config, site_here=False) as web, httpx.Client(base_url=web.base) as client:
        path = "/" + preferences_link(site_config, "both@example.org").split("/", 3)[3]
        page = client.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        html = page.text
        assert '<html lang="en"' in html and "Your subscription" in html  # their language
        for ident in ("daily", "ports-weekly"):
            assert re.search(rf'value="{ident}" checked>', html), ident
        assert re.search(r'<option value="en" lang="en" selected>English</option>', html)
        assert '<option value="id" lang="id">Indonesia</option>' in html  # in its own words
        assert client.get("/preferences/not-a-token").status_code == 404
    assert subscriber(site_config, "both@example.org").newsletters == "daily ports-weekly"


def test_a_change_takes_effect_on_the_next_digest(site_config):
    with running(site_config, site_here=False) as web, httpx.Client(base_url=web.base) as client:
        path = "/" + preferences_link(site_config, "both@example.org").split("/", 3)[3]
        saved = client.post(
            path, data={"action": "save", "newsletters": "daily", "language": "de", "name": "B"}
        )
        assert saved.status_code == 200 and '<html lang="de"' in saved.text
        assert labels_for("de")["preferences_saved"] in saved.text
        # Ticking nothing changes nothing: leaving is its own button.
        nothing = client.post(path, data={"action": "save", "language": "de"})
        assert (
            nothing.status_code == 400 and labels_for("de")["preferences_nothing"] in nothing.text
        )
    after = subscriber(site_config, "both@example.org")
    assert (after.newsletters, after.language, after.name) == ("daily", "de", "B")
    story(site_config.root, "kapal.md", "Ships return to the port", ("ports",), "en")
    before = {d for d, _m in mailbox(site_config.root)["both@example.org"]}
    run(site_config, digest="now")
    fresh = [(d, m) for d, m in mailbox(site_config.root)["both@example.org"] if d not in before]
    assert [d.rsplit("-", 4)[0] for d, _m in fresh] == ["daily"]  # not ports-weekly any more
    assert "neuer Artikel" in fresh[0][1]["Subject"]  # in German now


def test_a_language_labels_toml_has_no_table_for_is_offered_and_kept(site_config):
    # pt-BR (an import's language: its words come from [pt]) is not among labels.toml's
    # tables; the page offers and selects it, so saving the newsletters keeps it.
    assert cli(site_config.root, "subscribers", "set", "both@example.org", "--language",
               "pt-BR") == 0  # fmt: skip
    with running(site_config, site_here=False) as web, httpx.Client(base_url=web.base) as client:
        path = "/" + preferences_link(site_config, "both@example.org").split("/", 3)[3]
        page = client.get(path).text
        assert '<html lang="pt-BR"' in page
        [selected] = re.findall(r'<option value="([^"]*)"[^>]*selected>', page)
        assert selected == "pt-BR"
        saved = client.post(path, data={"action": "save", "newsletters": "daily",
                                        "language": selected})  # fmt: skip
        assert saved.status_code == 200
    after = subscriber(site_config, "both@example.org")
    assert (after.newsletters, after.language) == ("daily", "pt-BR")


def test_download_my_data_and_unsubscribe_from_everything(site_config):
    with running(site_config, site_here=False) as web, httpx.Client(base_url=web.base) as client:
        path = "/" + preferences_link(site_config, "both@example.org").split("/", 3)[3]
        data = client.post(path, data={"action": "data"})
        assert data.status_code == 200 and data.headers["content-type"].startswith(
            "application/json"
        )
        assert "attachment" in data.headers["content-disposition"]
        record = data.json()
        assert record["email"] == "both@example.org" and record["language"] == "en"
        assert record["newsletters"] == ["daily", "ports-weekly"]
        assert sorted(d["newsletter"] for d in record["deliveries"]) == ["daily", "ports-weekly"]
        assert all(d["status"] == "sent" for d in record["deliveries"])
        assert "token" not in json.dumps(record)
        left = client.post(path, data={"action": "unsubscribe"})
        assert left.status_code == 200
        assert labels_for("en")["unsubscribed"].replace("{email}", "both@example.org") in left.text
    assert subscriber(site_config, "both@example.org").status == "unsubscribed"


def test_the_form_offers_the_newsletters_and_a_welcome_follows_the_confirmation(site_config):
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        form = client.get("/subscribe").text
        assert re.search(r'name="newsletters" value="daily" checked>', form)  # the default
        assert re.search(r'name="newsletters" value="ports-weekly">', form)
        answer = client.post(
            "/subscribe", data={"email": "new@example.org", "newsletters": "ports-weekly"}
        )
        assert answer.status_code == 200
        [confirmation] = wait_for(lambda: outbox_messages(web.config, "confirm."))
        text = read(confirmation).get_body(("plain",)).get_content()
        confirm = re.search(r"https?://\S+/confirm/[A-Za-z0-9_-]+", text).group(0)
        assert subscriber(web.config, "new@example.org").newsletters == "ports-weekly"
        assert client.post(confirm).status_code == 200
        [welcome] = wait_for(lambda: outbox_messages(web.config, "welcome."))
        msg = read(welcome)
        assert msg["To"] == "new@example.org" and msg["Subject"] == "Selamat datang di Test Site"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
        assert "Ports Weekly" in text and "The Ledger Daily" not in text
        link = re.search(r"https?://\S+/preferences/[A-Za-z0-9_-]+", text).group(0)
        assert f'href="{link}"' in html
        page = client.get(link)
        assert page.status_code == 200 and re.search(r'value="ports-weekly" checked>', page.text)
        # Confirming again (a double click) welcomes nobody twice.
        assert client.post(confirm).status_code == 200
    assert len(outbox_messages(web.config, "welcome.")) == 1


def test_subscribers_add_welcome_sends_it_in_their_language(site_config, capsys):
    site = site_config.root
    assert cli(site, "subscribers", "add", "leser@example.org", "--language", "de",
               "--newsletters", "ports-weekly", "--welcome") == 0  # fmt: skip
    assert "leser@example.org: welcome message sent" in capsys.readouterr().out
    [welcome] = outbox_messages(site_config, "welcome.")
    msg = read(welcome)
    assert msg["Subject"] == "Test Site: Willkommen"
    text = msg.get_body(("plain",)).get_content()
    assert "Sie erhalten:" in text and "Ports Weekly" in text
    assert "/preferences/" in text and "/unsubscribe/" in text
