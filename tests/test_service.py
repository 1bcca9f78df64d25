"""The service: crontab semantics on APScheduler, and the HTTP side on a real loopback port."""

import threading
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syndicate import store
from syndicate.cadence import cron_trigger
from syndicate.config import Config
from syndicate.pipeline import run_lock
from syndicate.service import build_scheduler, make_server

JAKARTA = ZoneInfo("Asia/Jakarta")


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


def test_weekday_ranges_and_steps():
    start = datetime(2026, 11, 27, 8, tzinfo=JAKARTA)  # a Friday, after 07:00
    trigger = cron_trigger("0 7 * * 1-5", JAKARTA)
    assert trigger.get_next_fire_time(None, start).strftime("%A") == "Monday"
    every_other_minute = cron_trigger("*/2 * * * *", JAKARTA)
    assert every_other_minute.get_next_fire_time(None, start).minute == 0


def test_scheduler_has_stable_job_ids_and_safe_defaults(config: Config):
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"publish", "digest"}
    for job in jobs.values():
        assert job.misfire_grace_time == 900
        assert job.coalesce is True
        assert job.max_instances == 1


@pytest.fixture
def server(config: Config):
    httpd = make_server(
        config.model_copy(update={"server": config.server.model_copy(update={"port": 0})})
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch(url: str, *, method: str = "GET", headers: dict | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_feed_files_are_served_with_type_and_conditional_get(config: Config, server: str):
    feeds = config.path("feeds")
    feeds.mkdir(parents=True, exist_ok=True)
    (feeds / "atom.xml").write_bytes(b"<feed xmlns='http://www.w3.org/2005/Atom'/>")
    status, headers, body = fetch(f"{server}/atom.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert body.startswith(b"<feed")
    status, _, body = fetch(
        f"{server}/atom.xml", headers={"If-Modified-Since": headers["Last-Modified"]}
    )
    assert status == 304 and body == b""
    assert fetch(f"{server}/")[0] == 404  # no directory listings
    assert fetch(f"{server}/../config.toml")[0] == 404


def test_trigger_is_refused_with_409_while_a_run_holds_the_lock(config: Config, server: str):
    with run_lock(config):
        status, _, body = fetch(f"{server}/run", method="POST", data=b"")
    assert status == 409
    assert b"another syndicate run" in body


def test_one_click_unsubscribe(config: Config, server: str):
    conn = store.open_store(config.db_path)
    now = datetime.now(JAKARTA)
    store.add_subscriber(conn, "one@example.org", "", now, resubscribe=False)
    token = store.get_subscriber(conn, "one@example.org").token
    status, _, body = fetch(f"{server}/unsubscribe/{token}")
    assert status == 200 and b"<form method='post'>" in body
    assert store.subscribers(conn, active_only=True) != []  # GET alone changes nothing
    status, _, body = fetch(
        f"{server}/unsubscribe/{token}",
        method="POST",
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200 and b"one@example.org will get no more digests" in body
    assert store.subscribers(conn, active_only=True) == []
    assert fetch(f"{server}/unsubscribe/not-a-token", method="POST", data=b"")[0] == 404
    conn.close()


def test_health(config: Config, server: str, tmp_path: Path):
    status, headers, body = fetch(f"{server}/health")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert b'"status": "ok"' in body


def test_serve_runs_until_sigterm_and_serves_what_a_triggered_run_publishes(site: Path):
    import os
    import re
    import signal
    import subprocess
    import sys

    config_path = site / "config.toml"
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + "\n[server]\nport = 0\n", encoding="utf-8"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "serve", "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = proc.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)/", first)
        assert match, first
        base = match.group(1)
        schedule = proc.stdout.readline() + proc.stdout.readline()
        assert "publish next at" in schedule and "digest next at" in schedule
        assert fetch(f"{base}/atom.xml")[0] == 404
        status, _, body = fetch(f"{base}/run", method="POST", data=b"")
        assert status == 200 and b'"new": 1' in body
        status, headers, body = fetch(f"{base}/atom.xml")
        assert headers["Content-Type"].startswith("application/atom+xml")
        assert status == 200 and b"Alexander Rossi" in body
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert "syndicate: stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_scheduled_job_waits_for_a_running_one_instead_of_skipping(
    config: Config, monkeypatch, capsys
):
    # publish (every 15 min) and digest (07:00) fire in the same minute: the digest must run.
    import syndicate.service as service

    monkeypatch.setattr(service, "SCHEDULED_LOCK_WAIT", 10.0)
    import time

    acquired = threading.Event()

    def hold_lock() -> None:
        with run_lock(config):
            acquired.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert acquired.wait(5)
    started = time.monotonic()
    service.scheduled_run(config, job="digest")
    waited = time.monotonic() - started
    holder.join()
    out = capsys.readouterr().out
    assert "scheduled digest:" in out and "new 1" in out and "sent 1" in out
    assert waited >= 0.3  # it really waited for the other run to end


def test_manual_runs_are_still_refused_at_once(config: Config):
    from syndicate.pipeline import RunInProgress, run

    with run_lock(config), pytest.raises(RunInProgress):
        run(config)


def test_trigger_through_a_reverse_proxy_needs_the_token(config: Config, server: str, monkeypatch):
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert fetch(f"{server}/run", method="POST", data=b"", headers=proxied)[0] == 403
    monkeypatch.setenv("SYNDICATE_TRIGGER_TOKEN", "s3cret")
    assert fetch(f"{server}/run", method="POST", data=b"")[0] == 403  # local, but no token
    wrong = {**proxied, "Authorization": "Bearer nope"}
    assert fetch(f"{server}/run", method="POST", data=b"", headers=wrong)[0] == 403
    right = {**proxied, "Authorization": "Bearer s3cret"}
    status, _, body = fetch(f"{server}/run", method="POST", data=b"", headers=right)
    assert status == 200 and b'"new": 1' in body
