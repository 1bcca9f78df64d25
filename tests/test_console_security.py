"""The console's locks, tried against the real service on a free loopback port (#24): no
page, action or data answer without a session; no action with a forged CSRF token or from
another site's page; no answer at all for a rebound Host; the lockout after 5 failed logins
per account or per client; what the cookie and every answer carry."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx
import pytest

from syndicate.ops.admins import change_password, create_account
from syndicate.store.connection import open_db
from syndicate.web.console.access import Lockout
from syndicate.web.console.routes import console_routes
from syndicate.web.jobs import Service
from tests.console_support import NAME, PASSWORD, console_site, csrf_of, logged_in, post, token_in
from tests.web_support import raw, running, with_base_url

POSTS = [
    "/admin/logout",
    "/admin/runs",
    "/admin/deliveries/retry",
    "/admin/subscribers/add",
    "/admin/subscribers/remove",
    "/admin/subscribers/erase",
    "/admin/subscribers/import",
    "/admin/digests/test",
    "/admin/digests/resend",
    "/admin/articles/retract",
]
GETS = [
    "/admin/",
    "/admin/console.js",
    "/admin/runs",
    "/admin/runs/1",
    "/admin/subscribers",
    "/admin/subscribers/erase?email=one@example.org",
    "/admin/subscribers/export.csv",
    "/admin/digests",
    "/admin/digests/preview",
    "/admin/bounces",
    "/admin/articles",
    "/admin/article?id=x",
    "/admin/anything/else",
]


def no_runs(config) -> bool:
    with open_db(config) as conn:
        return conn.execute("SELECT COUNT(*) AS n FROM runs").fetchone()["n"] == 0


@pytest.fixture
def web(tmp_path):
    with running(console_site(tmp_path)) as web:
        yield web


def test_every_console_route_is_in_these_lists(tmp_path):
    # A route added later without a test of its lock fails here.
    config = console_site(tmp_path)
    paths = {r.path for r in console_routes(Service(config))}
    listed = {p.split("?")[0] for p in POSTS + GETS} | {"/admin/runs/{run_id}.json"}
    listed |= {"/admin", "/admin/login", "/admin/runs/{run_id}", "/admin/{rest:path}"}
    listed |= {"/admin/article"}
    assert paths <= listed | {"/admin/runs/1", "/admin/anything/else"}, paths - listed


def test_nothing_answers_without_a_session(web):
    for path in GETS:
        status, headers, _body = raw(web.port, "GET", path)
        assert status == 303, path
        assert headers["location"].startswith("/admin/login?next="), path
        assert headers["cache-control"] == "no-store"
    status, headers, body = raw(web.port, "GET", "/admin/runs/1.json")
    assert status == 401 and b"log in" in body
    for path in POSTS:
        status, headers, _ = raw(web.port, "POST", path, {"Origin": web.base}, b"csrf=x")
        assert status == 303 and "/admin/login" in headers["location"], path
    # A session cookie nobody issued is no session.
    forged = {"Cookie": "syndicate_admin=" + "0" * 64}
    assert raw(web.port, "GET", "/admin/", forged)[0] == 303
    assert no_runs(web.config)  # nothing was started


def test_a_forged_or_missing_csrf_token_is_refused_on_every_post(web):
    client = logged_in(web.base)
    good = csrf_of(client)
    for path in POSTS:
        for token in ("", "0" * 64, good[:-1] + ("0" if good[-1] != "0" else "1")):
            answer = post(client, path, {"csrf": token, "digest": "now", "email": "x@example.org"})
            assert answer.status_code == 403, (path, token)
    # Another session's token is not this session's.
    other = logged_in(web.base)
    theirs = csrf_of(other)
    assert post(client, "/admin/runs", {"csrf": theirs, "digest": "now"}).status_code == 403
    assert client.get("/admin/").status_code == 200  # still logged in
    assert no_runs(web.config)


def test_a_post_from_another_site_is_refused_even_with_session_and_token(web):
    client = logged_in(web.base)
    token = csrf_of(client)
    foreign = [
        {"Origin": "http://evil.example"},
        {"Origin": f"http://evil.example:{web.port}"},
        {"Origin": "null"},  # a sandboxed page, or one sent with no-referrer
        {"Origin": f"https://127.0.0.1:{web.port + 1}"},
        {"Sec-Fetch-Site": "cross-site"},
    ]
    for headers in foreign:
        for path in POSTS:
            answer = client.post(path, data={"csrf": token, "digest": "now"}, headers=headers)
            assert answer.status_code == 403 and "another site" in answer.text, (headers, path)
    # The login form too.
    login = client.post("/admin/login", data={}, headers={"Origin": "http://evil.example"})
    assert login.status_code == 403


def test_a_rebound_host_gets_nothing(web):
    client = logged_in(web.base)
    cookie = {"Cookie": f"syndicate_admin={client.cookies['syndicate_admin']}"}
    for path in ["/admin/", "/admin/login", "/admin/subscribers/export.csv"]:
        status, _h, body = raw(web.port, "GET", path, cookie, host=f"evil.example:{web.port}")
        assert status == 400 and b"Unknown Host" in body, path
    status, _h, _b = raw(
        web.port, "POST", "/admin/runs", {**cookie, "Origin": f"http://evil.example:{web.port}"},
        b"csrf=x&digest=now", host=f"evil.example:{web.port}",
    )  # fmt: skip
    assert status == 400


def test_the_cookie_and_the_headers_of_every_answer(tmp_path):
    config = console_site(tmp_path)
    with running(config) as web:
        form = httpx.get(web.base + "/admin/login")
        assert form.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
        assert "default-src 'none'" in form.headers["content-security-policy"]
        assert form.headers["cache-control"] == "no-store"
        assert form.headers["referrer-policy"] == "same-origin"  # never no-referrer (Origin: null)
        client = logged_in(web.base)
        [cookie] = [c for c in client.cookies.jar if c.name == "syndicate_admin"]
        assert cookie.path == "/admin" and not cookie.secure
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert cookie.get_nonstandard_attr("SameSite").lower() == "strict"
        assert cookie.expires - time.time() == pytest.approx(12 * 3600, abs=60)
        for path in ["/admin/", "/admin/subscribers", "/admin/subscribers/export.csv"]:
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["cache-control"] == "no-store"
            assert answer.headers["x-frame-options"] == "DENY"
        page = client.get("/admin/").text
        assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing from another host
    # With an https site the cookie is Secure (behind a TLS proxy).
    https = with_base_url(config, "https://news.example.org/")
    with running(https, site_here=False) as web:
        form = httpx.get(web.base + "/admin/login")
        assert "Secure" in form.headers["set-cookie"]


def test_five_failed_logins_lock_the_account_and_the_client(web):
    def attempt(name: str, password: str, source: str) -> int:
        client = httpx.Client(
            base_url=web.base, transport=httpx.HTTPTransport(local_address=source)
        )
        token = token_in(client.get("/admin/login").text)
        data = {"csrf": token, "name": name, "password": password}
        return client.post("/admin/login", data=data, headers={"Origin": web.base}).status_code

    # Per account: 5 wrong passwords from 5 clients lock "ana" for everyone …
    assert [attempt(NAME, "wrong password!", f"127.0.2.{i}") for i in range(1, 6)] == [
        401, 401, 401, 401, 429,
    ]  # fmt: skip
    assert attempt(NAME, PASSWORD, "127.0.2.9") == 429  # … even with the right password
    # Per client: 5 names from one client lock that client, whatever the name.
    assert [attempt(f"nobody{i}", "wrong password!", "127.0.3.1") for i in range(5)][-1] == 429
    assert attempt("someone", PASSWORD, "127.0.3.1") == 429
    answer = httpx.Client(
        base_url=web.base, transport=httpx.HTTPTransport(local_address="127.0.3.1")
    ).post("/admin/login", data={}, headers={"Origin": web.base})
    assert answer.status_code in (403, 429)
    # Another account from another client still logs in.
    with open_db(web.config) as conn:
        create_account(conn, "ben", PASSWORD, datetime.now())
    assert attempt("ben", PASSWORD, "127.0.4.1") == 303


def test_the_lockout_lasts_15_minutes():
    now = [1000.0]
    lockout = Lockout(clock=lambda: now[0])
    for _ in range(4):
        assert lockout.failed("name:ana") == []
        now[0] += 200  # four failures in 800 s
    assert lockout.retry_after("name:ana") == 0
    now[0] += 150  # the first is now 950 s old: only three count
    assert lockout.failed("name:ana") == []
    assert lockout.failed("name:ana") == ["name:ana"]  # five within 15 minutes
    assert lockout.retry_after("name:ana", "client:x") == 900
    now[0] += 899
    assert lockout.retry_after("name:ana") == 1
    now[0] += 1
    assert lockout.retry_after("name:ana") == 0


def test_logout_ends_the_session_and_next_never_leaves_the_console(web):
    client = logged_in(web.base)
    cookie = client.cookies["syndicate_admin"]
    answer = post(client, "/admin/logout", {"csrf": csrf_of(client)})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/login"
    stale = httpx.get(web.base + "/admin/", cookies={"syndicate_admin": cookie})
    assert stale.status_code == 303  # the old cookie opens nothing any more
    for wanted, where in [
        ("/admin/subscribers?status=active", "/admin/subscribers?status=active"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/admin/", "/admin/"),
        ("/admin/\\evil", "/admin/"),
    ]:
        fresh = httpx.Client(base_url=web.base)
        token = token_in(fresh.get("/admin/login").text)
        data = {"csrf": token, "name": NAME, "password": PASSWORD, "next": wanted}
        answer = fresh.post("/admin/login", data=data, headers={"Origin": web.base})
        assert answer.headers["location"] == where, wanted


def test_a_session_expires_and_a_new_password_ends_it(tmp_path):
    config = console_site(tmp_path, "\n[server]\nadmin_session_hours = 1\n")
    with running(config) as web:
        client = logged_in(web.base)
        assert client.get("/admin/").status_code == 200
        conn = open_db(web.config)
        try:  # an hour later
            conn.execute("UPDATE admin_sessions SET expires = ?", (time.time() - 1,))
        finally:
            conn.close()
        assert client.get("/admin/").status_code == 303
        client = logged_in(web.base)
        with open_db(web.config) as conn:
            change_password(conn, NAME, "another long password", datetime.now())
        assert client.get("/admin/").status_code == 303
        logged_in(web.base, password="another long password")
