"""Subscribe with double opt-in, confirm, unsubscribe and resubscribe, over real HTTP, with
the real transport (a Maildir) and the real state database."""

from __future__ import annotations

import email
import re
import time
from datetime import datetime
from email import policy
from pathlib import Path

import httpx
import pytest

from syndicate.config import Config
from syndicate.run.pipeline import run
from syndicate.store.connection import open_db
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import (
    erase_subscriber,
    get_subscriber,
    is_suppressed,
    subscriber_key,
    unsubscribe,
)
from syndicate.web.confirmation import confirmation_message
from tests.web_support import outbox_messages, running, wait_for, with_server


def read_message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def confirm_link(path: Path) -> str:
    text = read_message(path).get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/confirm/[A-Za-z0-9_-]+", text).group(0)


def status_of(config: Config, address: str) -> str | None:
    conn = open_store(config.db_path)
    try:
        sub = get_subscriber(conn, address)
    finally:
        conn.close()
    return sub.status if sub else None


def subscribe(client: httpx.Client, address: str, **extra: str) -> httpx.Response:
    return client.post("/subscribe", data={"email": address, **extra})


@pytest.fixture
def site_config(config: Config) -> Config:
    run(config, digest="now")  # the sample article is published and digested once
    # These tests post the form more often than one visitor may in an hour (the limits
    # have their own tests, test_web_attacks.py).
    return with_server(config, subscribe_per_client_hour=100)


def test_double_opt_in_end_to_end(site_config: Config):
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        r = subscribe(client, "New.Reader@Example.org", name="New Reader")
        assert r.status_code == 200 and "new.reader@example.org" in r.text
        assert r.headers["cache-control"] == "no-store"
        [message] = wait_for(lambda: outbox_messages(web.config, "confirm."))
        msg = read_message(message)
        assert msg["To"] == "New Reader <new.reader@example.org>"
        assert msg["From"] == "Test Site <digest@news.example.org>"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["Subject"] == "Konfirmasi langganan Anda di Test Site"  # site language
        assert status_of(web.config, "new.reader@example.org") == "pending"

        link = confirm_link(message)
        assert link.startswith(web.base + "/confirm/")
        page = client.get(link)
        assert page.status_code == 200 and "<button" in page.text and 'method="post"' in page.text
        assert status_of(web.config, "new.reader@example.org") == "pending"  # GET: nothing

        # A digest made now does not reach a pending address.
        (web.config.path("inbox") / "second.md").write_text(
            "---\ntitle: Second story\n---\nBody of the second story.\n", encoding="utf-8"
        )
        before = len(outbox_messages(web.config, "20"))
        report = run(web.config, digest="now")
        assert report.sent == 1  # reader one only
        assert len(outbox_messages(web.config, "20")) == before + 1

        done = client.post(link)
        assert done.status_code == 200 and "new.reader@example.org" in done.text
        assert status_of(web.config, "new.reader@example.org") == "active"
        # Confirming twice (a double click, a reload) says so, and changes nothing.
        for again in (client.post(link), client.get(link)):
            assert again.status_code == 200 and "<button" not in again.text
            assert "Anda sudah berlangganan: new.reader@example.org" in again.text
        assert status_of(web.config, "new.reader@example.org") == "active"

        (web.config.path("inbox") / "third.md").write_text(
            "---\ntitle: Third story\n---\nBody of the third story.\n", encoding="utf-8"
        )
        assert run(web.config, digest="now").sent == 2  # the next digest reaches it
        key = subscriber_key("new.reader@example.org")
        [digest_msg] = [p for p in outbox_messages(web.config, "20") if key in p.name]
        assert "Third story" in read_message(digest_msg)["Subject"]

        # Leaving voids the link: it never undoes an unsubscribe.
        conn = open_db(web.config)
        unsubscribe(conn, datetime.now(web.config.site.tz), email="new.reader@example.org")
        conn.close()
        assert client.post(link).status_code == 404
        assert status_of(web.config, "new.reader@example.org") == "unsubscribed"


def test_the_same_answer_whatever_the_state_of_the_address(site_config: Config):
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        known = subscribe(client, "one@example.org")  # active, from the config
        unknown = subscribe(client, "nobody@example.org")
        assert known.status_code == unknown.status_code == 200
        assert known.text.replace("one@example.org", "X") == unknown.text.replace(
            "nobody@example.org", "X"
        )
        ignore = {"content-length", "date"}  # the address's length; the clock
        assert {k for k in known.headers if k not in ignore} == {
            k for k in unknown.headers if k not in ignore
        }
        for name in set(known.headers) - ignore:
            assert known.headers[name] == unknown.headers[name], name
        wait_for(lambda: outbox_messages(web.config, "confirm."))
        time.sleep(0.3)
        sent = outbox_messages(web.config, "confirm.")
        assert len(sent) == 1  # the active address got nothing
        assert subscriber_key("nobody@example.org") in sent[0].name


def test_one_confirmation_per_address_per_hour(site_config: Config):
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        for _ in range(3):
            assert subscribe(client, "eager@example.org").status_code == 200
        wait_for(lambda: outbox_messages(web.config, "confirm."))
        time.sleep(0.3)
        assert len(outbox_messages(web.config, "confirm.")) == 1
        conn = open_store(web.config.db_path)
        conn.execute("UPDATE subscribers SET confirm_sent_at = confirm_sent_at - 3601")
        conn.close()
        subscribe(client, "eager@example.org")
        wait_for(lambda: len(outbox_messages(web.config, "confirm.")) == 2)
        first, second = (confirm_link(p) for p in outbox_messages(web.config, "confirm."))
        assert first != second
        # Only the newest link works.
        statuses = sorted(client.get(link).status_code for link in (first, second))
        assert statuses == [200, 404]


def test_links_expire_and_unconfirmed_addresses_are_forgotten(site_config: Config):
    short = with_server(site_config, confirm_hours=1)
    with running(short) as web, httpx.Client(base_url=web.base) as client:
        subscribe(client, "late@example.org")
        [message] = wait_for(lambda: outbox_messages(web.config, "confirm."))
        link = confirm_link(message)
        conn = open_store(web.config.db_path)
        conn.execute("UPDATE subscribers SET confirm_sent_at = confirm_sent_at - 3700")
        conn.close()
        expired = client.get(link)
        assert expired.status_code == 404 and 'name="email"' in expired.text  # a way back
        assert client.post(link).status_code == 404
        assert status_of(web.config, "late@example.org") == "pending"
        web.service.resume()  # the periodic job forgets it
        assert status_of(web.config, "late@example.org") is None


def test_bad_addresses_bots_and_limits(site_config: Config):
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        for bad in ("", "not an address", "a@b", "Name <x@example.org>", "x@example.org, y@z.org"):
            r = subscribe(client, bad)
            assert r.status_code == 400 and 'name="email"' in r.text, bad
        r = subscribe(client, "bot@example.org", website="http://spam.example")
        assert r.status_code == 200
        assert client.post("/subscribe", content=b"email=" + b"a" * 20000).status_code == 413
        multipart = client.post("/subscribe", files={"email": (None, "x@example.org")})
        assert multipart.status_code == 415
        time.sleep(0.3)
        assert outbox_messages(web.config, "confirm.") == []
        assert status_of(web.config, "bot@example.org") is None
        assert client.get("/subscribe").status_code == 200


def test_unsubscribe_then_resubscribe_with_the_same_link(site_config: Config):
    conn = open_store(site_config.db_path)
    token = get_subscriber(conn, "one@example.org").token
    conn.close()
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        page = client.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and "<button" in page.text
        assert status_of(web.config, "one@example.org") == "active"  # GET changes nothing
        assert client.get("/unsubscribe/not-a-token").status_code == 404
        # RFC 8058 one-click, as mail providers send it.
        done = client.post(
            f"/unsubscribe/{token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200 and "one@example.org" in done.text
        assert status_of(web.config, "one@example.org") == "unsubscribed"
        assert f'action="../resubscribe/{token}"' in done.text
        back = client.post(f"/resubscribe/{token}")
        assert back.status_code == 200 and "one@example.org" in back.text
        assert status_of(web.config, "one@example.org") == "active"
        assert client.post("/resubscribe/not-a-token").status_code == 404
        assert client.post(f"/resubscribe/{token}").status_code == 404  # already active


def test_someone_who_left_subscribes_again_only_through_the_link(site_config: Config):
    conn = open_store(site_config.db_path)
    unsubscribe(conn, datetime.now(site_config.site.tz), email="one@example.org")
    conn.close()
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        subscribe(client, "one@example.org")
        [message] = wait_for(lambda: outbox_messages(web.config, "confirm."))
        assert status_of(web.config, "one@example.org") == "unsubscribed"
        assert client.post(confirm_link(message)).status_code == 200
        assert status_of(web.config, "one@example.org") == "active"


def test_erased_addresses_come_back_only_by_their_own_confirmation(site_config: Config):
    conn = open_store(site_config.db_path)
    erase_subscriber(conn, "one@example.org", datetime.now(site_config.site.tz))
    conn.close()
    with running(site_config) as web, httpx.Client(base_url=web.base) as client:
        subscribe(client, "one@example.org")
        [message] = wait_for(lambda: outbox_messages(web.config, "confirm."))
        conn = open_store(web.config.db_path)
        assert is_suppressed(conn, "one@example.org")
        conn.close()
        client.post(confirm_link(message))
        conn = open_store(web.config.db_path)
        assert not is_suppressed(conn, "one@example.org")
        assert get_subscriber(conn, "one@example.org").status == "active"
        conn.close()


def test_a_relay_failure_voids_the_link_and_allows_a_new_request(site_config: Config):
    # SMTP to a port nobody listens on: the message cannot go out.
    from tests.conftest import free_port

    dead = site_config.model_copy(
        update={
            "delivery": site_config.delivery.model_copy(
                update={"method": "smtp", "smtp_port": free_port(), "smtp_timeout": 2}
            )
        }
    )
    with running(dead) as web, httpx.Client(base_url=web.base) as client:
        assert subscribe(client, "unlucky@example.org").status_code == 200
        wait_for(lambda: status_of(web.config, "unlucky@example.org") is None)


def test_confirmation_headers_cannot_be_injected(site_config: Config):
    msg = confirmation_message(
        site_config,
        "x@example.org",
        "Evil\r\nBcc: victim@example.org\u2028X-Injected: 1",
        "tok",
        datetime.now(site_config.site.tz),
    )
    data = msg.as_bytes()
    assert b"\r\nBcc:" not in data and b"\r\nX-Injected" not in data
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert "x@example.org" in parsed["To"]
    with pytest.raises(ValueError):
        confirmation_message(site_config, "ünï@example.org", "", "t", datetime.now())
