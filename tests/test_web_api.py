"""The run API over real HTTP: 202 at once, a finished state later, 409 while a run holds
the lock, and who may call it (direct loopback peer or bearer token; never another origin,
never a request relayed by a proxy)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from syndicate.config import Config
from syndicate.run.lock import run_lock
from syndicate.web import protocol as web_protocol
from tests.web_support import raw, running, wait_for


def wait_finished(client: httpx.Client, run_id: str) -> dict:
    def done():
        data = client.get(f"/api/runs/{run_id}").json()
        return data if data["state"] != "running" else None

    return wait_for(done, timeout=30)


def test_post_runs_answers_202_at_once_and_the_run_finishes(config: Config):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        r = client.post("/api/runs", json={"digest": "now"})
        assert r.status_code == 202
        body = r.json()
        assert body["state"] == "running" and r.headers["location"] == f"/api/runs/{body['id']}"
        result = wait_finished(client, body["id"])
        assert result["state"] == "finished"
        assert result["counts"]["new"] == 1 and result["counts"]["sent"] == 1
        assert result["errors"] == [] and result["finished"]
        status = client.get("/api/status").json()
        assert status["articles"]["stored"] == 1 and status["deliveries"]["sent"] == 1
        assert status["runs"][0]["id"] == body["id"] and status["runs"][0]["trigger"] == "http:now"
        for unknown in ("nope", str(body["id"] + 1), "9" * 40, "-1"):
            assert client.get(f"/api/runs/{unknown}").status_code == 404, unknown
        # An empty body means {"digest": "due"}; the old POST /run is an alias.
        r = client.post("/run?digest=never")
        assert r.status_code == 202
        assert wait_finished(client, r.json()["id"])["digest"] == "never"
        r = client.post("/api/runs")
        assert r.status_code == 202 and r.json()["digest"] == "due"
        wait_finished(client, r.json()["id"])


def test_a_run_id_outlives_a_restart(config: Config):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        run_id = client.post("/api/runs", json={"digest": "never"}).json()["id"]
        wait_finished(client, run_id)
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        found = client.get(f"/api/runs/{run_id}").json()
        assert found["state"] == "finished" and found["counts"]["new"] == 1


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'{"digest": "sometimes"}', b'{"digset": "now"}', b'{"digest": 1}'],
)
def test_bad_requests_are_400(config: Config, body: bytes):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        r = client.post("/api/runs", content=body)
        assert r.status_code == 400 and "digest" in r.json()["error"]


def test_409_while_another_run_holds_the_lock(config: Config):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        with run_lock(config):
            r = client.post("/api/runs", json={"digest": "never"})
            assert r.status_code == 409 and "lock" in r.json()["error"]
            assert client.post("/run").status_code == 409
        assert client.post("/api/runs", json={"digest": "never"}).status_code == 202


def test_409_while_an_api_run_is_going(config: Config, monkeypatch):
    import syndicate.run.pipeline as pipeline

    real = pipeline.run

    def slow_run(*args, **kwargs):
        time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", slow_run)
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        first = client.post("/api/runs", json={"digest": "never"})
        assert first.status_code == 202
        second = client.post("/api/runs", json={"digest": "never"})
        assert second.status_code == 409 and f"run {first.json()['id']}" in second.json()["error"]
        wait_finished(client, first.json()["id"])


FORWARDED = [
    {"X-Forwarded-For": "203.0.113.9"},
    {"X-Forwarded-For": ""},
    {"X-Real-IP": "203.0.113.9"},
    {"X-Real-IP": "127.0.0.1"},
    {"Forwarded": "for=203.0.113.9"},
    {"X-Forwarded-Host": "news.example.org"},
    {"Via": "1.1 proxy"},
]


@pytest.mark.parametrize("headers", FORWARDED)
def test_relayed_requests_are_not_local(config: Config, headers: dict):
    with running(config) as web:
        for method, path in (("POST", "/api/runs"), ("GET", "/api/status"), ("POST", "/run")):
            status, h, _body = raw(web.port, method, path, headers)
            assert status == 401, (headers, path)
            assert h["www-authenticate"].startswith("Bearer")


def test_foreign_origins_are_refused_even_from_the_host(config: Config):
    with running(config) as web:
        for headers in (
            {"Origin": "http://localhost:3000"},
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ):
            status, _, body = raw(web.port, "POST", "/api/runs", headers)
            assert status == 403, headers
            assert b"other web pages" in body
        own = {"Origin": web.base, "Sec-Fetch-Site": "same-origin"}
        status, _, body = raw(web.port, "POST", "/api/runs", own, b'{"digest": "never"}')
        assert status == 202


def test_bearer_token_from_anywhere_checked_in_constant_time(config: Config, monkeypatch):
    monkeypatch.setenv("SYNDICATE_TRIGGER_TOKEN", "s3cret-token")
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    with running(config) as web:
        body = json.dumps({"digest": "never"}).encode()
        for auth in ("Bearer nope", "Basic czNjcmV0", "Bearer", "bearer s3cret-token-x"):
            headers = {**proxied, "Authorization": auth}
            assert raw(web.port, "POST", "/api/runs", headers, body)[0] == 401, auth
        # A wrong token is refused even from the host itself.
        assert raw(web.port, "POST", "/api/runs", {"Authorization": "Bearer x"}, body)[0] == 401
        good = {**proxied, "Authorization": "Bearer s3cret-token"}
        status, _, answer = raw(web.port, "POST", "/api/runs", good, body)
        assert status == 202
        run_id = json.loads(answer)["id"]
        assert raw(web.port, "GET", f"/api/runs/{run_id}", good)[0] == 200
        # A foreign Origin is refused even with the token.
        assert (
            raw(web.port, "GET", "/api/status", {**good, "Origin": "https://x.example"})[0] == 403
        )


def test_health_is_public_and_says_nothing_personal(config: Config):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        run_id = client.post("/api/runs", json={"digest": "now"}).json()["id"]
        wait_finished(client, run_id)
        status, h, body = raw(web.port, "GET", "/health", {"X-Forwarded-For": "203.0.113.9"})
        assert status == 200 and h["content-type"] == "application/json"
        data = json.loads(body)
        assert data["status"] == "ok" and data["last_run"]["summary"]["sent"] == 1
        assert b"@" not in body and "details" not in data["last_run"]


def test_request_limits(config: Config, monkeypatch):
    from syndicate.web import views

    monkeypatch.setattr(web_protocol, "HEAD_TIMEOUT", 0.5)
    monkeypatch.setattr(views, "BODY_TIMEOUT", 0.5)
    with running(config) as web:
        host = f"127.0.0.1:{web.port}".encode()
        big = b"{" + b" " * 20000 + b"}"
        assert raw(web.port, "POST", "/api/runs", {}, big)[0] == 413
        # A bad Content-Length is a 400, not a traceback or a stuck worker.
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
            s.sendall(b"POST /api/runs HTTP/1.1\r\nHost: %s\r\nContent-Length: abc\r\n\r\n" % host)
            assert s.recv(1024).startswith(b"HTTP/1.1 400")
        # A body that never comes: 408, and the connection is free again.
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
            s.sendall(b"POST /api/runs HTTP/1.1\r\nHost: %s\r\nContent-Length: 10\r\n\r\n{" % host)
            assert s.recv(1024).startswith(b"HTTP/1.1 408")
        # A head that never ends is cut off.
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n" % host)
            started = time.monotonic()
            assert s.recv(1024) == b""  # closed by the server
            assert time.monotonic() - started < 4
        # Keep-alive: two requests on one connection, with Nagle off on the server's side
        # (else each response after the first waits for the client's delayed ACK).
        with httpx.Client(base_url=web.base) as client:
            assert client.get("/health").status_code == 200
            [protocol] = web.server.server_state.connections
            sock = protocol.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            assert client.get("/health").status_code == 200
        assert raw(web.port, "GET", "/health")[0] == 200  # still serving


def test_one_run_id_for_the_cli_status_and_the_api_and_why_nothing_was_sent(config: Config, capsys):
    from syndicate.cli import main

    path = str(config.root / "config.toml")
    assert main(["run", "--config", path]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    cli_id = int(header.split(" · run #", 1)[1].split(" ")[0])
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        status = client.get("/api/status").json()
        assert status["runs"][0]["id"] == cli_id
        found = client.get(f"/api/runs/{cli_id}").json()
        assert found["id"] == cli_id and found["state"] == "finished"
        assert found["counts"]["new"] == 1 and found["counts"]["sent"] == 1
        assert found["trigger"] == "cli"

        r = client.post("/api/runs", json={"digest": "due"})  # nothing new since the CLI's
        api_id = r.json()["id"]
        assert api_id == cli_id + 1 and r.headers["location"] == f"/api/runs/{api_id}"
        result = wait_finished(client, api_id)
        assert result["counts"]["digest"] is None and result["counts"]["sent"] == 0
        assert result["digest_note"] == "none now: no new articles since the last digest"
        assert client.get("/api/status").json()["runs"][0]["id"] == api_id
    assert main(["status", "--json", "--config", path]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["id"] for r in runs[:2]] == [api_id, cli_id]
    assert runs[0]["details"]["digest_note"] == [result["digest_note"]]
    with running(config) as web, httpx.Client(base_url=web.base) as client:  # after a restart
        again = client.get(f"/api/runs/{api_id}").json()
        assert again["digest_note"] == result["digest_note"] and again["digest"] == "due"


def test_a_run_that_cannot_start_is_refused_with_the_reason(config: Config):
    import shutil

    from syndicate.run import pipeline

    pipeline.run(config, digest="never")
    shutil.rmtree(config.path("state"))  # the outputs now show a state that is gone
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        r = client.post("/api/runs", json={"digest": "never"})
        assert r.status_code == 500 and r.json()["state"] == "failed"
        assert "state adopt" in r.json()["error"]
