"""`syndicate serve` as a user runs it: a subprocess on a free loopback port, real HTTP,
a real SMTP relay (aiosmtpd) that goes down and comes back, and SIGTERM."""

from __future__ import annotations

import asyncio
import email
import json
import re
import subprocess
import sys
import time
from datetime import datetime
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import httpx
import pytest
from aiosmtpd.controller import Controller

from syndicate.config import Config, load_config
from syndicate.config.cadence import cron_trigger
from syndicate.store.deliveries import count_due, delivery_counts
from syndicate.store.digests import digests
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import get_subscriber
from syndicate.web.jobs import Service, build_scheduler
from tests.conftest import RecordingHandler, free_port
from tests.web_support import Serve, outbox_messages, wait_for

JAKARTA = ZoneInfo("Asia/Jakarta")
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: "
)


def write_site(site: Path, port: int, extra: str = "") -> Config:
    path = site / "config.toml"
    text = path.read_text(encoding="utf-8").replace(
        'base_url = "https://news.example.org/"', f'base_url = "http://127.0.0.1:{port}/"'
    )
    path.write_text(
        text + f"\n[server]\nport = {port}\nresume_seconds = 1\n{extra}", encoding="utf-8"
    )
    return load_config(path)


def start_run(client: httpx.Client, digest: str) -> str:
    """POST /api/runs, again while the publish run every start makes holds the lock."""

    def accepted():
        r = client.post("/api/runs", json={"digest": digest})
        assert r.status_code in (202, 409), r.text
        return r.json()["id"] if r.status_code == 202 else None

    return wait_for(accepted, timeout=30, interval=0.2)


def wait_run(client: httpx.Client, run_id: str) -> dict:
    def done():
        data = client.get(f"/api/runs/{run_id}").json()
        return data if data["state"] != "running" else None

    return wait_for(done, timeout=60)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.links.append(value)


def html_links(html: str, base: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return [urljoin(base, link) for link in parser.links]


def test_every_link_of_the_feeds_the_digest_and_the_pages_answers_200(site: Path):
    port = free_port()
    config = write_site(site, port)
    server = Serve(site, port)
    try:
        with httpx.Client(base_url=server.base) as client:
            assert wait_run(client, start_run(client, "now"))["state"] == "finished"
            title = "Kerja sama militer antara Korea Utara dan Rusia"
            for path in ("/", "/articles/", "/digests/"):
                page = client.get(path)
                assert page.status_code == 200, path
                assert page.headers["content-type"] == "text/html; charset=utf-8"
                assert (title in page.text) or path == "/digests/", path
            assert (
                "30 November" in client.get("/digests/").text
                or "digests/20" in client.get("/digests/").text
            )

            links: set[str] = set()
            for name in ("rss.xml", "atom.xml"):
                feed = feedparser.parse(client.get(f"/{name}").content)
                assert not feed.bozo, feed.bozo_exception
                links.add(feed.feed.link)
                links.update(link.href for link in feed.feed.links)
                for entry in feed.entries:
                    links.add(entry.link)
                    links.update(link.href for link in entry.get("links", []))
                    for content in entry.get("content", []):
                        links.update(html_links(content.value, entry.link))
            jf = client.get("/feed.json").json()
            links.update([jf["home_page_url"], jf["feed_url"], *(i["url"] for i in jf["items"])])
            [message] = outbox_messages(config, "20")
            msg = email.message_from_bytes(message.read_bytes(), policy=policy.default)
            digest_html = msg.get_body(("html",)).get_content()
            digest_text = msg.get_body(("plain",)).get_content()
            links.update(html_links(digest_html, server.base))
            links.update(re.findall(r"https?://[^\s<>\"]+", digest_text))
            unsubscribe = re.search(r"<(http[^>]+)>", msg["List-Unsubscribe"]).group(1)
            links.add(unsubscribe)

            # Follow every link into the site, and every link of those pages, once.
            ours = sorted(u for u in links if u.startswith(server.base))
            assert len(ours) >= 7, ours
            seen: set[str] = set()
            todo = list(ours)
            while todo:
                url = todo.pop().split("#", 1)[0]
                if url in seen or not url.startswith(server.base):
                    continue
                seen.add(url)
                if urlsplit(url).path in ("/subscribe",):
                    assert client.get(url).status_code == 200
                    continue
                response = client.get(url)
                assert response.status_code == 200, url
                if response.headers["content-type"].startswith("text/html"):
                    todo.extend(html_links(response.text, url))
            assert any("/unsubscribe/" in u for u in seen)
            assert any("/preferences/" in u for u in seen)  # the digest's preference link
            assert any(u.endswith("/digests/") for u in seen)
            assert any(u.endswith("/articles/") for u in seen)
            assert len(seen) >= 10
            # The unsubscribe GET changed nothing.
            conn = open_store(config.db_path)
            assert get_subscriber(conn, "one@example.org").status == "active"
            conn.close()
        code, took = server.stop()
        assert code == 0 and took < 10
        lines = server.text().splitlines()
        assert lines and all(LOG_LINE.match(line) for line in lines), lines[:5]
        token = re.search(r"/unsubscribe/([\w-]+)", unsubscribe).group(1)
        assert token not in server.text()  # tokens never reach the log
    finally:
        server.kill()


class SlowRelay(RecordingHandler):
    """A relay that takes a while per message (so SIGTERM lands mid-delivery)."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.4)
        return await super().handle_DATA(server, session, envelope)


def start_relay(handler, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def subscribers_config(n: int) -> str:
    addresses = ", ".join(f'"reader{i:02d}@example.org"' for i in range(n))
    return f"subscribers = [{addresses}]\n"


def test_sigterm_lets_a_triggered_run_finish_its_recipient_then_exits_0(site: Path):
    relay_port, port = free_port(), free_port()
    path = site / "config.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'subscribers = ["Reader One <one@example.org>"]', subscribers_config(12)
        )
        + f'\n[delivery]\nmethod = "smtp"\nsmtp_port = {relay_port}\n',
        encoding="utf-8",
    )
    config = write_site(site, port)
    handler = SlowRelay()
    relay = start_relay(handler, relay_port)
    server = Serve(site, port)
    try:
        with httpx.Client(base_url=server.base) as client:
            start_run(client, "now")
            wait_for(lambda: len(handler.messages) >= 2, timeout=30)
            code, took = server.stop()
        assert code == 0, server.text()
        assert took < 10, took
        assert "SIGTERM" in server.text() and "stopped" in server.text()
        conn = open_store(config.db_path)
        counts = delivery_counts(conn)
        conn.close()
        delivered = len(handler.messages)
        assert counts.get("sent", 0) == delivered  # nothing sent without being recorded
        assert 2 <= delivered < 12 and counts.get("pending", 0) == 12 - delivered
        assert counts.get("failed", 0) == 0
        # The next start resumes the rest at once, without a new digest.
        again = Serve(site, port)
        try:
            wait_for(lambda: len(handler.messages) == 12, timeout=30)
        finally:
            assert again.stop()[0] == 0
        conn = open_store(config.db_path)
        assert delivery_counts(conn) == {"sent": 12}
        assert len(digests(conn)) == 1
        conn.close()
    finally:
        server.kill()
        relay.stop()


def test_deliveries_resume_when_the_relay_comes_back_without_a_digest(site: Path):
    relay_port, port = free_port(), free_port()
    path = site / "config.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + f'\n[delivery]\nmethod = "smtp"\nsmtp_port = {relay_port}\nsmtp_timeout = 3\n'
        + "retry_seconds = 1\n",
        encoding="utf-8",
    )
    config = write_site(site, port)
    from syndicate.run.pipeline import run

    report = run(config, digest="now")  # the relay is down: delivery stops, all stays queued
    assert report.sent == 0 and "Connection refused" in report.delivery_stopped
    server = Serve(site, port)
    handler = RecordingHandler()
    relay = None
    try:
        wait_for(lambda: "deliveries waiting: " in server.text(), timeout=15)
        time.sleep(1.5)  # a few more looks while the relay is down
        conn = open_store(config.db_path)
        [(attempts,)] = conn.execute("SELECT attempts FROM deliveries").fetchall()
        conn.close()
        assert attempts == 0  # neither the run's refused connection nor looking spent one
        relay = start_relay(handler, relay_port)
        back = time.monotonic()
        # The relay holds the message before the service has its reply and records it: wait
        # for the service's own line (written after the delivery is recorded), not for the
        # message alone, or the counts below race the commit.
        wait_for(lambda: "resumed deliveries: sent 1" in server.text(), timeout=120)
        assert time.monotonic() - back < 120 and len(handler.messages) == 1
        conn = open_store(config.db_path)
        assert delivery_counts(conn) == {"sent": 1}
        assert len(digests(conn)) == 1  # no digest fired in between
        conn.close()
        assert server.stop()[0] == 0
    finally:
        server.kill()
        if relay is not None:
            relay.stop()


def test_a_failing_recipient_is_retried_with_backoff(config: Config, smtp_server):
    _handler, relay_port = smtp_server
    cfg = config.model_copy(
        update={
            "delivery": config.delivery.model_copy(
                update={"method": "smtp", "smtp_port": relay_port}
            ),
            "digest": config.digest.model_copy(
                update={"subscribers": ["tempfail@example.org", "one@example.org"]}
            ),
        }
    )
    from syndicate.run.pipeline import run

    report = run(cfg, digest="now")
    assert report.sent == 1 and len(report.failed) == 1
    conn = open_store(cfg.db_path)
    [row] = conn.execute(
        "SELECT attempts, next_attempt FROM deliveries WHERE status = 'failed'"
    ).fetchall()
    assert row["attempts"] == 1 and row["next_attempt"] > time.time() + 30
    assert count_due(conn, time.time()) == 0  # backing off
    assert count_due(conn, row["next_attempt"] + 1) == 1
    conn.close()
    service = Service(cfg)
    try:
        service.resume()  # nothing due yet: no attempt
        conn = open_store(cfg.db_path)
        assert (
            conn.execute("SELECT attempts FROM deliveries WHERE status='failed'").fetchone()[0] == 1
        )
        conn.execute("UPDATE deliveries SET next_attempt = 0 WHERE status = 'failed'")
        conn.close()
        service.resume()  # due: tried again, and backed off for longer
        conn = open_store(cfg.db_path)
        row2 = conn.execute(
            "SELECT attempts, next_attempt FROM deliveries WHERE status = 'failed'"
        ).fetchone()
        conn.close()
        assert row2["attempts"] == 2 and row2["next_attempt"] > time.time() + 90
    finally:
        service.stop(time.monotonic() + 5)


# ---------------------------------------------------------------- the schedule


@pytest.mark.parametrize(
    ("expr", "weekday_name"),
    [("0 7 * * 0", "Sunday"), ("0 7 * * 7", "Sunday"), ("0 7 * * 1", "Monday")],
)
def test_crontab_weekdays_mean_what_cron_means(expr: str, weekday_name: str):
    # APScheduler itself would read 0 as Monday: the trap DESIGN.md measured.
    fire = cron_trigger(expr, JAKARTA).get_next_fire_time(
        None, datetime(2026, 11, 27, tzinfo=JAKARTA)
    )
    assert fire.strftime("%A") == weekday_name
    assert (fire.hour, fire.minute) == (7, 0)


def test_scheduler_has_stable_job_ids_and_safe_defaults(config: Config):
    service = Service(config)
    scheduler = build_scheduler(config, service)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    service.stop(time.monotonic() + 1)
    assert set(jobs) == {"publish", "digest", "resume", "publish-at-start"}
    for job_id in ("publish", "digest"):
        assert jobs[job_id].misfire_grace_time == 900
        assert jobs[job_id].coalesce is True and jobs[job_id].max_instances == 1
    assert jobs["resume"].trigger.interval.total_seconds() == config.server.resume_seconds


def test_a_scheduled_job_waits_for_a_running_one_instead_of_skipping(config: Config):
    import threading

    from syndicate.run.lock import run_lock

    service = Service(config)
    acquired = threading.Event()

    def hold_lock() -> None:
        with run_lock(config):
            acquired.set()
            time.sleep(1.2)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert acquired.wait(5)
    started = time.monotonic()
    service.scheduled_run("digest")
    waited = time.monotonic() - started
    holder.join()
    service.stop(time.monotonic() + 5)
    assert waited >= 1.0
    conn = open_store(config.db_path)
    assert delivery_counts(conn) == {"sent": 1} and len(digests(conn)) == 1
    conn.close()


def test_a_busy_port_is_one_clear_error(site: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        write_site(site, port)
        result = subprocess.run(
            [sys.executable, "-m", "syndicate", "serve", "--config", str(site / "config.toml")],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 74
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_matches_the_cli(site: Path):
    port = free_port()
    config = write_site(site, port)
    server = Serve(site, port)
    try:
        with httpx.Client(base_url=server.base) as client:
            wait_run(client, start_run(client, "never"))
            api = client.get("/api/status").json()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "syndicate",
                "status",
                "--json",
                "--config",
                str(site / "config.toml"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        from_cli = json.loads(cli.stdout)
        assert api["articles"] == from_cli["articles"]
        assert api["subscribers"] == from_cli["subscribers"]
        assert config.db_path.exists()
    finally:
        server.stop()
        server.kill()
