"""The console (#24) on a site with several newsletters (#23), over real HTTP: the dashboard
shows each newsletter's next digest, the digests page what waits for each (and previews
each), the subscriber list each subscriber's language and newsletters, and adding an
address there takes newsletters as `subscribers add --newsletters` does."""

from __future__ import annotations

import email
import html
import re
from email import policy

from syndicate.run import pipeline
from syndicate.store.connection import open_db
from syndicate.store.subscribers import get_subscriber
from tests.console_support import console_site, csrf_of, logged_in, post
from tests.newsletter_support import NEWSLETTERS, story
from tests.web_support import outbox_messages, running

HARBOUR = "Harbour reopens after the storm"


def two_newsletter_site(tmp_path):
    """The sample article (no tags: the daily's only) and a "ports" story (both's), stored."""
    config = console_site(tmp_path, NEWSLETTERS)
    story(tmp_path, "harbour.md", HARBOUR, ("ports",), "en")
    pipeline.run(config, digest="never")
    return config


def card(page: str, heading_id: str) -> str:
    """The text of the dashboard's or digests page's card whose heading has this id."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert found, f"no card {heading_id}"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())
    return text.replace(" :", ":")


def table_rows(page: str) -> dict[str, list[str]]:
    """The list's rows: address → the text of its other cells."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        text = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
        if text:
            rows[text[0]] = text[1:]
    return rows


def test_dashboard_and_digests_page_show_each_newsletter(tmp_path):
    config = two_newsletter_site(tmp_path)
    with running(config) as web:
        client = logged_in(web.base)
        upcoming = card(client.get("/admin/").text, "h-next")
        daily, weekly = upcoming.split("Ports Weekly:")
        assert daily.count("The Ledger Daily:") == 1 and " 07:00 2 " in daily
        assert " 08:00 1 " in weekly  # its own schedule, its own waiting count
        waiting = card(client.get("/admin/digests").text, "h-preview")
        assert re.search(r"The Ledger Daily: 2\b", waiting) and re.search(
            r"Ports Weekly: 1\b", waiting
        )
        weekly_preview = client.get("/admin/digests/preview?newsletter=ports-weekly")
        assert weekly_preview.status_code == 200 and HARBOUR in weekly_preview.text
        daily_preview = client.get("/admin/digests/preview").text  # the first newsletter's
        assert HARBOUR in daily_preview and daily_preview.count("<h2") > weekly_preview.text.count(
            "<h2"
        )
        unknown = client.get("/admin/digests/preview?newsletter=weekly")
        assert unknown.status_code == 404 and "no such newsletter" in unknown.text
        token = csrf_of(client, "/admin/digests")
        sent = post(client, "/admin/digests/test", {"csrf": token, "to": "me@example.org"})
        assert sent.status_code == 303
        subjects = sorted(
            email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
            for p in outbox_messages(web.config, "test.")
        )
        assert len(subjects) == 2  # each newsletter's next digest
        assert subjects[0].startswith("[test] Ports Weekly") or subjects[1].startswith(
            "[test] Ports Weekly"
        )


def test_the_subscriber_list_shows_and_adds_languages_and_newsletters(tmp_path):
    config = two_newsletter_site(tmp_path)
    with running(config) as web:
        client = logged_in(web.base)
        token = csrf_of(client, "/admin/subscribers")
        added = post(
            client, "/admin/subscribers/add",
            {"csrf": token, "email": "leser@example.org", "language": "de",
             "newsletters": "ports-weekly"},
        )  # fmt: skip
        assert added.status_code == 303
        wrong = post(
            client, "/admin/subscribers/add",
            {"csrf": token, "email": "x@example.org", "newsletters": "weekly"},
        )  # fmt: skip
        assert wrong.status_code == 400 and "no newsletter" in html.unescape(wrong.text)
        page = client.get("/admin/subscribers").text
        rows = table_rows(page)
        # address → name, status, language, newsletters, added, actions
        assert rows["leser@example.org"][2:4] == ["de", "ports-weekly"]
        assert rows["one@example.org"][2:4] == ["id", "daily"]  # chose nothing: the default
        assert 'name="newsletters" placeholder="daily ports-weekly"' in page
        # Adding it again with other newsletters changes them, as `subscribers add` does.
        again = post(
            client, "/admin/subscribers/add",
            {"csrf": token, "email": "leser@example.org", "newsletters": "daily,ports-weekly"},
        )  # fmt: skip
        assert again.status_code == 303
    with open_db(config) as conn:
        leser = get_subscriber(conn, "leser@example.org")
    assert (leser.language, leser.newsletters) == ("de", "daily ports-weekly")
