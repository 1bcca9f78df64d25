"""Issue #21's attacks against the real service: `syndicate serve` in a subprocess on a free
loopback port, real sockets. Other clients are other loopback addresses (127.0.0.0/8 is
all loopback on Linux): a socket bound to 127.0.0.N is client 127.0.0.N to the server.

Targets: DNS-rebinding requests 0 accepted; one client holding 600 slow heads: >= 95 % of
the other visitors' requests answered 200 within 2 s; 200 subscribe posts from one client:
at most the per-client limit of confirmation mails, the rest 429; a 64 KiB header: 431.
"""

from __future__ import annotations

import random
import select
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from syndicate.cli import main
from syndicate.run.pipeline import run
from syndicate.web import protocol
from tests.conftest import free_port, write_config
from tests.web_support import Serve, raw, running, wait_for, with_server


@contextmanager
def served(site: Path, extra: str = ""):
    """`syndicate serve` for the test site (base_url https://news.example.org/)."""
    port = free_port()
    write_config(site, f"\n[server]\nport = {port}\naccess_log = false\n{extra}")
    # A site that has published: the feeds are there from the first request on.
    assert main(["publish", "--quiet", "--config", str(site / "config.toml")]) in (0, 3)
    server = Serve(site, port)
    try:
        wait_for(lambda: raw(port, "GET", "/health")[0] == 200, timeout=30)
        yield port, server
    finally:
        server.kill()


def runs_recorded(site: Path) -> list[str]:
    conn = sqlite3.connect(site / "state" / "syndicate.db")
    try:
        return [row[0] for row in conn.execute("SELECT trigger FROM runs")]
    finally:
        conn.close()


# ---------------------------------------------------------------- DNS rebinding


def test_dns_rebinding_requests_are_refused_before_any_route(site: Path):
    allowed = 'allowed_hosts = ["feeds.example.net", "lan.example:8443"]'
    with served(site, allowed) as (port, server):
        wait_for(lambda: runs_recorded(site), timeout=30)  # the publish every start makes
        before = runs_recorded(site)
        evil = f"http://evil.example:{port}"
        foreign_hosts = [
            f"evil.example:{port}",
            "evil.example",
            f"127.0.0.1.evil.example:{port}",
            f"news.example.org.evil.example:{port}",
            f"localhost:{port + 1}",  # a loopback name, another port: another service
            f"127.0.0.1:{port + 1}",
            f"lan.example:{port}",  # allowed on 8443 only
            f"user@127.0.0.1:{port}",
            "",  # none at all
        ]
        targets = [
            ("POST", "/api/runs", b'{"digest": "now"}'),
            ("POST", "/run", b""),
            ("GET", "/api/status", b""),
            ("GET", "/api/runs/1", b""),
            ("GET", "/health", b""),
            ("GET", "/", b""),
            ("GET", "/rss.xml", b""),
            ("POST", "/subscribe", b"email=victim%40example.org"),
        ]
        answers = [
            raw(port, method, path, {"Origin": evil}, body, host=host)
            for host in foreign_hosts
            for method, path, body in targets
        ]
        accepted = [a for a in answers if a[0] != 400]
        assert accepted == [], accepted[:3]
        # Refused by the Host check, or by h11 itself (HTTP/1.1 without a Host).
        assert {body for _s, _h, body in answers} == {
            b"Unknown Host: this service answers for its own names.\n",
            b"Invalid HTTP request received.",
        }
        time.sleep(0.5)
        assert runs_recorded(site) == before  # no run was started
        # The operator hears of each refused name (once a minute), escaped.
        assert f"refused a request for Host 'evil.example:{port}'" in server.text()
        assert outbox_messages_of(site) == []  # no confirmation went out

        # Our own names: the site's, the allowed ones, loopback on the listening port.
        for host in (
            "news.example.org",
            f"news.example.org:{port}",
            "NEWS.example.org.",
            f"localhost:{port}",
            f"127.0.0.1:{port}",
            f"[::1]:{port}",
            "feeds.example.net:1234",
            "lan.example:8443",
        ):
            assert raw(port, "GET", "/health", host=host)[0] == 200, host
        # A good Host with a foreign Origin still cannot use the run API.
        status, _, body = raw(port, "POST", "/api/runs", {"Origin": evil})
        assert status == 403 and b"other web pages" in body
        own = f"http://127.0.0.1:{port}"
        assert raw(port, "GET", "/api/status", {"Origin": own})[0] == 200


def outbox_messages_of(site: Path) -> list[Path]:
    new = site / "outbox" / "new"
    return sorted(new.glob("confirm.*")) if new.is_dir() else []


# ---------------------------------------------------------------- slow heads, one client


class SlowHeads(threading.Thread):
    """One client (127.0.0.2) keeping `count` connections busy with request heads that
    never end: a header line every second, and every connection the server closes opened
    again at once."""

    def __init__(self, port: int, count: int = 600) -> None:
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.opened = self.closed = 0
        self.most_alive_after_a_second = 0

    def connect(self) -> socket.socket | None:
        s = socket.socket()
        try:
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", self.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.port)
        except OSError:
            s.close()
            self.closed += 1
            return None
        s.setblocking(False)
        self.opened += 1
        return s

    def run(self) -> None:
        alive: dict[socket.socket, float] = {}
        last_line = 0.0
        while not self.stop.is_set():
            while len(alive) < self.count and not self.stop.is_set():
                s = self.connect()
                if s is None:
                    break
                alive[s] = time.monotonic()
            readable = select.select(list(alive), [], [], 0.05)[0] if alive else []
            for s in readable:
                try:
                    if s.recv(4096):
                        continue
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                del alive[s]
                s.close()
                self.closed += 1
            now = time.monotonic()
            old = sum(1 for t in alive.values() if now - t > 1.0)
            self.most_alive_after_a_second = max(self.most_alive_after_a_second, old)
            if now - last_line > 1.0:
                last_line = now
                for s in list(alive):
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        del alive[s]
                        s.close()
                        self.closed += 1
        for s in alive:
            s.close()


def test_one_client_with_600_slow_heads_does_not_starve_the_others(site: Path):
    with served(site) as (port, _):
        attacker = SlowHeads(port)
        attacker.start()
        wait_for(lambda: attacker.opened >= 600, timeout=30)
        results: list[tuple[int, float]] = []
        lock = threading.Lock()
        stop = time.monotonic() + 8

        def visitor(n: int) -> None:
            source = f"127.0.0.{10 + n}"
            time.sleep(random.random())
            while time.monotonic() < stop:
                started = time.monotonic()
                try:
                    status = raw(port, "GET", "/rss.xml", source=source)[0]
                except OSError:
                    status = 0
                with lock:
                    results.append((status, time.monotonic() - started))
                time.sleep(0.5 + random.random())

        visitors = [threading.Thread(target=visitor, args=(n,)) for n in range(59)]
        for thread in visitors:
            thread.start()
        for thread in visitors:
            thread.join()
        attacker.stop.set()
        attacker.join(10)
        fast = sum(1 for status, took in results if status == 200 and took <= 2.0)
        assert len(results) >= 200
        assert fast / len(results) >= 0.95, (fast, len(results), results[:5])
        # It kept opening connections; the server held at most its 32 at any time.
        assert attacker.opened > 1000
        assert attacker.most_alive_after_a_second <= 32 + 5


def test_a_slow_head_times_out_even_when_bytes_keep_coming(config, monkeypatch):
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT", 1.0)
    with running(config) as web, socket.create_connection(("127.0.0.1", web.port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % web.port)
        started = time.monotonic()
        s.settimeout(0.25)
        closed = False
        while time.monotonic() - started < 5 and not closed:
            try:
                s.sendall(b"X: y\r\n")  # a byte now and then resets uvicorn's own timer
                closed = s.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
        assert closed and 0.9 <= time.monotonic() - started < 3


# ---------------------------------------------------------------- big heads


def test_request_heads_over_16_kib_get_431_however_they_arrive(site: Path):
    with served(site) as (port, _):
        head = b"GET /rss.xml HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port

        def send(*chunks: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                for chunk in chunks:
                    s.sendall(chunk)
                    time.sleep(0.01)
                answer = b""
                while data := s.recv(65536):
                    answer += data
                    if b"\r\n\r\n" in answer and b"Connection: close" not in head:
                        break
                return answer

        big = b"X-Big: " + b"a" * 65536 + b"\r\n"
        assert send(head + big + b"\r\n").startswith(b"HTTP/1.1 431 ")  # in one write
        line = b"X-Chunk: " + b"b" * 1000 + b"\r\n"
        assert send(head, *[line] * 17, b"\r\n").startswith(b"HTTP/1.1 431 ")  # trickled
        # Under the limit: served. Pipelined behind a good request: the big one is 431.
        assert send(head + b"X-Ok: " + b"c" * 15000 + b"\r\n\r\n").startswith(b"HTTP/1.1 200 ")
        both = send(head + b"\r\n" + head + big + b"\r\n")
        assert both.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 431 " in both
        assert raw(port, "GET", "/health")[0] == 200


# ---------------------------------------------------------------- subscribe floods


def post_subscribe(port: int, address: str, source: str, headers: dict | None = None):
    body = urlencode({"email": address}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return raw(port, "POST", "/subscribe", form, body, source=source)


def test_200_subscribe_posts_from_one_client_mail_at_most_its_limit(site: Path):
    with served(site) as (port, _):
        answers = [
            post_subscribe(port, f"stranger{n}@example.net", "127.0.0.9") for n in range(200)
        ]
        statuses = [status for status, _h, _b in answers]
        assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 195
        for _status, headers, body in answers[5:]:
            assert int(headers["retry-after"]) >= 1
            page = body.decode("utf-8")
            assert '<html lang="id"' in page and "Terlalu banyak permintaan" in page
        wait_for(lambda: len(outbox_messages_of(site)) == 5)
        # Another visitor is not affected.
        assert post_subscribe(port, "real@example.org", "127.0.0.10")[0] == 200
        wait_for(lambda: len(outbox_messages_of(site)) == 6)
        time.sleep(0.5)
        assert len(outbox_messages_of(site)) == 6


def test_confirmations_never_exceed_the_hourly_limit_even_across_a_restart(site: Path):
    limits = "subscribe_per_hour = 6\nsubscribe_per_client_hour = 3\n"
    with served(site, limits) as (port, _):
        statuses = [
            post_subscribe(port, f"s{c}-{n}@example.net", f"127.0.1.{c}")[0]
            for c in range(1, 5)
            for n in range(3)
        ]
        assert statuses.count(200) == 6 and statuses.count(429) == 6
        wait_for(lambda: len(outbox_messages_of(site)) == 6)
    with served(site, limits) as (port, _):  # a restart does not reset the hour
        assert post_subscribe(port, "late@example.net", "127.0.1.9")[0] == 429
    assert len(outbox_messages_of(site)) == 6


def posts_each_forwarded_for_another(port: int, source: str, network: str, n: int) -> list:
    """`n` subscribe posts from `source`, each claiming another client `network`.N."""
    return [
        post_subscribe(
            port, f"{network}-{k}@example.net", source, {"X-Forwarded-For": f"{network}.{k}"}
        )[0]
        for k in range(n)
    ]


def test_forwarded_for_names_the_client_only_from_a_trusted_proxy(site: Path):
    # Without trusted proxies a client cannot pick its address with X-Forwarded-For.
    with served(site) as (port, server):
        statuses = posts_each_forwarded_for_another(port, "127.0.0.1", "203.0.113", 10)
        assert statuses == [200] * 5 + [429] * 5
        assert "not in server.trusted_proxies" in server.text()
    # With the proxy trusted, each client behind it has its own allowance…
    with served(site, 'trusted_proxies = ["127.0.0.1"]') as (port, _):
        for n in range(6):
            for k in range(2):
                forwarded = {"X-Forwarded-For": f"198.51.100.7, 203.0.113.{n}"}
                status = post_subscribe(port, f"p{n}-{k}@example.org", "127.0.0.1", forwarded)
                assert status[0] == 200
        # … but a header from anyone else is still ignored.
        statuses = posts_each_forwarded_for_another(port, "127.0.0.3", "192.0.2", 8)
        assert statuses == [200] * 5 + [429] * 3
        # And what a proxy relays is never "local" for the run API.
        relayed = {"X-Forwarded-For": "127.0.0.1"}
        assert raw(port, "GET", "/api/status", relayed)[0] == 401


def test_one_client_over_its_request_rate_gets_429_and_the_others_do_not(config):
    run(config, digest="never")
    config = with_server(config, requests_per_client_second=2.0, requests_per_client_burst=10)
    with running(config) as web:
        mine = [raw(web.port, "GET", "/rss.xml", source="127.0.0.5") for _ in range(30)]
        statuses = [status for status, _h, _b in mine]
        assert statuses[:10] == [200] * 10 and statuses.count(429) >= 15
        _status, headers, body = next(a for a in mine if a[0] == 429)
        assert int(headers["retry-after"]) >= 1 and "Terlalu banyak permintaan" in body.decode()
        api = raw(web.port, "GET", "/api/status", source="127.0.0.5")
        assert api[0] == 429 and api[1]["content-type"] == "application/json"
        others = [raw(web.port, "GET", "/rss.xml", source="127.0.0.6")[0] for _ in range(10)]
        assert others == [200] * 10


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same client
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),  # the next /64: another one
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("unix:/run/syndicate.sock", "unix:/run/syndicate.sock"),
    ],
)
def test_a_client_is_its_address_and_an_ipv6_client_its_64(address: str, key: str):
    from syndicate.web.clients import client_key

    assert client_key(address) == key


@pytest.mark.parametrize(
    ("origin", "ours"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("https://news.example.org", True),  # the site, behind its TLS proxy
        ("https://news.example.org:443", True),
        ("http://news.example.org:8080", True),
        ("https://feeds.example.net:9999", True),  # allowed_hosts, any port
        ("http://localhost", False),  # loopback, another port: another service
        ("http://localhost:3000", False),
        ("http://evil.example:8080", False),
        ("http://127.0.0.1.evil.example:8080", False),
        ("https://news.example.org:444", False),
        ("null", False),
        ("file://", False),
        ("ftp://news.example.org", False),
    ],
)
def test_an_origin_is_ours_by_the_same_rules_as_a_host(config, origin: str, ours: bool):
    from syndicate.web.hosts import host_policy

    config = with_server(config, allowed_hosts=["feeds.example.net"])
    assert host_policy(config).allows_origin(origin, 8080) is ours
