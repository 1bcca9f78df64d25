"""The delivery promises, on every path and both stores: one suite, parametrized by where the
state lives (SQLite, a real throwaway PostgreSQL) and by who sends — `syndicate run`,
`syndicate deliver` (both through the CLI), and `syndicate serve`'s resumer — against a real
SMTP relay on 127.0.0.1 with the faults real relays produce (550 and 451 per recipient, a 421,
a drop after DATA, a silent relay, a relay that is down).

Every test queues one digest first (the way `run` does: publish, then `create_digest`), then
lets the path under test deliver it, and checks what the relay got and what the state says.
Time passing is simulated by moving `next_attempt` back: the backoff a test waits for is the
one the engine wrote.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest

from syndicate.cli import main
from syndicate.cli.common import delivery_exit_code
from syndicate.config import Config, load_config
from syndicate.config.newsletters import chosen_newsletters, newsletters_left
from syndicate.delivery import engine
from syndicate.run import pipeline
from syndicate.store.connection import open_db
from syndicate.store.deliveries import subscribers_by_email
from syndicate.store.digests import create_digest, undigested_articles
from syndicate.store.subscribers import (
    add_subscriber,
    change_subscription,
    get_subscriber,
    unsubscribe,
)
from syndicate.web.jobs import Service
from tests.conftest import free_port, smtp_on_loopback, write_config
from tests.newsletter_support import NEWSLETTERS
from tests.relays import FaultyRelay, SilentRelay


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request) -> str:
    """Where the state lives: "" (SQLite in the site's state/) or a fresh PostgreSQL
    database."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else ""


Send = Callable[[Config], int]


def _via_run(config: Config) -> int:
    return main(["run", "--quiet", "--config", str(config.root / "config.toml")])


def _via_deliver(config: Config) -> int:
    return main(["deliver", "--quiet", "--config", str(config.root / "config.toml")])


def _via_serve(config: Config) -> int:
    """The service's resumer, as its scheduler calls it."""
    service = Service(config)
    reports: list = []
    real = pipeline.deliver_pending

    def keep(*args, **kwargs):
        reports.append(real(*args, **kwargs))
        return reports[-1]

    pipeline.deliver_pending = keep
    try:
        service.resume()
    finally:
        pipeline.deliver_pending = real
        service.stop(time.monotonic() + 5)
    return delivery_exit_code(reports[0]) if reports and reports[0] else 0  # nothing due


@pytest.fixture(params=["run", "deliver", "serve"])
def send(request) -> Send:
    return {"run": _via_run, "deliver": _via_deliver, "serve": _via_serve}[request.param]


@pytest.fixture
def relay():
    handler = FaultyRelay()
    with smtp_on_loopback(handler) as port:
        yield handler, port


def smtp_site(site: Path, state_url: str, port: int, extra: str = "") -> Config:
    state_table = f'\n[state]\nurl = "{state_url}"\n' if state_url else ""
    write_config(site, f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {port}\n{extra}{state_table}")
    return load_config(site / "config.toml")


def queue_digest(config: Config, *emails: str) -> str:
    """Subscribers, the sample published, and one digest queued for every active
    subscriber, exactly as `run` queues it; nothing sent yet."""
    pipeline.run(config, digest="never")
    conn = open_db(config)
    try:
        now = datetime.now(config.site.tz)
        for email in emails:
            add_subscriber(conn, email, "", now, resubscribe=True)
        articles = undigested_articles(conn)
        return create_digest(conn, articles, now, now.date().isoformat())
    finally:
        conn.close()


def deliveries(config: Config) -> dict[str, tuple[str, int]]:
    conn = open_db(config)
    try:
        rows = conn.execute("SELECT email, status, attempts FROM deliveries").fetchall()
        return {r["email"]: (r["status"], r["attempts"]) for r in rows}
    finally:
        conn.close()


def backoffs_pass(config: Config) -> None:
    """Time passes: every delivery waiting out a backoff is due again."""
    conn = open_db(config)
    try:
        conn.execute("UPDATE deliveries SET next_attempt = 0 WHERE next_attempt IS NOT NULL")
    finally:
        conn.close()


def smtp_on_loopback_at(handler, port: int):
    """A relay on a port chosen before it started (the one a test first found closed)."""
    from aiosmtpd.controller import Controller

    class Running:
        def __enter__(self):
            self.controller = Controller(handler, hostname="127.0.0.1", port=port)
            self.controller.start()
            return self

        def __exit__(self, *exc):
            self.controller.stop()

    return Running()


READERS = [f"reader{i:02d}@example.org" for i in range(12)]


def test_every_subscriber_gets_one_message_over_one_persistent_connection(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, *READERS)
    assert send(config) == 0
    assert sorted(handler.delivered_to()) == sorted([*READERS, "one@example.org"])
    assert handler.connections == 1
    assert set(deliveries(config).values()) == {("sent", 1)}
    assert send(config) == 0 and len(handler.accepted) == 13  # nothing twice


def test_parallel_connections_share_the_queue_without_duplicates(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port, "smtp_connections = 3\n")
    readers = [f"reader{i:03d}@example.org" for i in range(60)]
    queue_digest(config, *readers)
    assert send(config) == 0
    counts = Counter(handler.delivered_to())
    assert len(counts) == 61 and set(counts.values()) == {1}
    assert handler.connections == 3


def test_a_550_is_dropped_with_the_reply_never_retried_and_exits_4(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, "refuse@example.org", "reader@example.org")
    assert send(config) == 4
    assert deliveries(config)["refuse@example.org"] == ("dropped", 1)
    assert sorted(handler.delivered_to()) == ["one@example.org", "reader@example.org"]
    backoffs_pass(config)
    send(config)
    assert handler.rcpt["refuse@example.org"] == 1


def test_a_451_backs_off_doubling_then_gives_up_after_the_last_attempt(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port, "retry_seconds = 100\n")
    queue_digest(config, "tempfail@example.org")
    waits = []
    for attempt in range(1, 6):
        before = time.time()
        assert send(config) == (4 if attempt == 5 else 0)  # the 5th gives up: the operator's
        conn = open_db(config)
        row = conn.execute(
            "SELECT status, attempts, next_attempt FROM deliveries WHERE email = ?",
            ("tempfail@example.org",),
        ).fetchone()
        conn.close()
        assert (row["status"], row["attempts"]) == ("failed", attempt)
        if attempt < 5:
            waits.append(round((row["next_attempt"] - before) / 100))
            assert send(config) == 0 and handler.rcpt["tempfail@example.org"] == attempt
            backoffs_pass(config)
    assert waits == [1, 2, 4, 8]  # retry_seconds, doubling
    assert handler.rcpt["tempfail@example.org"] == 5
    backoffs_pass(config)
    send(config)
    assert handler.rcpt["tempfail@example.org"] == 5  # no more hammering


def test_no_reply_after_data_is_in_doubt_and_held_not_resent(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, "drop@example.org", "zz-after@example.org")
    assert send(config) == 4
    assert deliveries(config)["drop@example.org"] == ("in_doubt", 1)
    assert deliveries(config)["zz-after@example.org"] == ("sent", 1)  # on a new connection
    backoffs_pass(config)
    send(config)
    assert handler.delivered_to().count("drop@example.org") == 1  # never resent by itself


def test_a_421_closes_the_connection_and_the_message_goes_on_a_new_one(
    site: Path, state_url: str, send: Send, relay
):
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, "close-me@example.org", "reader@example.org")
    assert send(config) == 0
    assert handler.connections == 2
    assert handler.delivered_to().count("close-me@example.org") == 1
    assert set(deliveries(config).values()) == {("sent", 1)}


def test_a_silent_relay_trips_the_breaker_and_spends_no_attempt(
    site: Path, state_url: str, send: Send
):
    silent = SilentRelay()
    try:
        config = smtp_site(site, state_url, silent.port, "smtp_timeout = 0.5\nrelay_failures = 3\n")
        queue_digest(config, *(f"reader{i:03d}@example.org" for i in range(100)))
        started = time.monotonic()
        assert send(config) == 4
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert len(silent.accepted) == 3  # three timeouts, then the breaker: not one per subscriber
    assert elapsed < 100 * 0.5 / 4, elapsed
    assert set(deliveries(config).values()) == {("pending", 0)}  # untouched, still queued


def test_a_relay_that_is_down_spends_no_attempt_and_the_queue_goes_out_when_it_is_back(
    site: Path, state_url: str, send: Send
):
    port = free_port()  # nobody listens
    config = smtp_site(site, state_url, port)
    queue_digest(config, *READERS)
    assert send(config) == 4
    assert set(deliveries(config).values()) == {("pending", 0)}
    handler = FaultyRelay()
    with smtp_on_loopback_at(handler, port):
        assert send(config) == 0
    assert len(handler.accepted) == 13 and set(deliveries(config).values()) == {("sent", 1)}


def test_an_unsubscribe_that_commits_mid_delivery_stops_its_copy(
    site: Path, state_url: str, send: Send, relay, monkeypatch
):
    """The claim is taken, the copies are built, and then — from another connection, as the
    service's unsubscribe page or `subscribers remove` would — someone leaves: their copy
    is not handed over, and their row says dropped."""
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, *READERS, "leaving@example.org")
    real = subscribers_by_email

    def unsubscribe_meanwhile(conn, emails):
        found = real(conn, emails)
        other = open_db(config)
        unsubscribe(other, datetime.now(config.site.tz), email="leaving@example.org")
        other.close()
        return found

    monkeypatch.setattr(engine, "subscribers_by_email", unsubscribe_meanwhile)
    assert send(config) == 0
    assert "leaving@example.org" not in handler.delivered_to()
    assert len(handler.accepted) == 13
    assert deliveries(config)["leaving@example.org"] == ("dropped", 0)


def test_stopping_mid_delivery_leaves_the_rest_queued_untried(
    site: Path, state_url: str, relay, monkeypatch
):
    """A SIGTERM (the service stopping, a worker told to stop): the copies in flight finish
    and are recorded, the rest stays queued without an attempt spent."""
    handler, port = relay
    config = smtp_site(site, state_url, port)
    queue_digest(config, *READERS)
    from syndicate.core.report import RunReport

    asked = []

    def stop_after_five() -> bool:
        asked.append(1)
        return len(handler.accepted) >= 5

    conn = open_db(config)
    try:
        from syndicate.delivery.engine import deliver

        report = RunReport()
        deliver(conn, config, report, should_stop=stop_after_five)
    finally:
        conn.close()
    counts = Counter(deliveries(config).values())
    assert counts == {("sent", 1): 5, ("pending", 0): 8}
    assert report.sent == 5 and "asked to stop" in report.warnings[0]


def test_an_unsubscribe_while_its_copy_waits_for_its_turn_stops_it(
    site: Path, state_url: str, send: Send, relay, monkeypatch
):
    """The last moment: the copy is taken and waits for its turn (the rate limit) when the
    subscriber leaves. The question is asked again right before its first byte goes out.
    (With a rate limit nothing is asked ahead: claims.AskedAhead.)"""
    from syndicate.delivery.handover import RateLimit

    handler, port = relay
    config = smtp_site(site, state_url, port, "rate_limit = 10000\n")
    queue_digest(config, *READERS, "zz-last@example.org")  # claimed last: addresses in order
    waits = []
    real_wait = RateLimit.wait

    def leave_on_the_last_turn(limit):
        waits.append(1)
        if len(waits) == 14:
            other = open_db(config)
            unsubscribe(other, datetime.now(config.site.tz), email="zz-last@example.org")
            other.close()
        return real_wait(limit)

    monkeypatch.setattr(RateLimit, "wait", leave_on_the_last_turn)
    assert send(config) == 0
    assert len(waits) == 14
    assert "zz-last@example.org" not in handler.delivered_to()
    assert len(handler.accepted) == 13
    assert deliveries(config)["zz-last@example.org"] == ("dropped", 0)


def queue_daily_digest(site: Path, state_url: str, port: int) -> Config:
    """A site with NEWSLETTERS whose every subscriber holds both, and the daily's digest
    queued for them (READERS, leaving@example.org and the config's own); nothing sent yet."""
    smtp_site(site, state_url, port, NEWSLETTERS)
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    conn = open_db(config)
    try:
        now = datetime.now(config.site.tz)
        for email in (*READERS, "leaving@example.org"):
            add_subscriber(conn, email, "", now, resubscribe=True, newsletters="daily ports-weekly")
        daily = chosen_newsletters(config, "daily")[0]
        create_digest(conn, undigested_articles(conn, "daily"), now, "2026-12-07", daily)
    finally:
        conn.close()
    return config


def keep_only_the_weekly(config: Config) -> None:
    """leaving@example.org leaves the daily, from another connection, as the preference page
    (or `subscribers set`) does."""
    other = open_db(config)
    change_subscription(
        other,
        datetime.now(config.site.tz),
        email="leaving@example.org",
        newsletters="ports-weekly",
        left=partial(newsletters_left, config),
    )
    other.close()


def test_leaving_a_newsletter_while_its_digest_goes_out_stops_its_copy(
    site: Path, state_url: str, send: Send, relay, monkeypatch
):
    """#23: a preference change that takes a newsletter away wins over a delivery in progress
    as an unsubscribe does. The claim is taken and the copies are built; then the subscriber
    keeps only the other newsletter (the preference page's change, from another connection):
    the daily's copy is not handed over and its row says dropped, while they stay active."""
    handler, port = relay
    config = queue_daily_digest(site, state_url, port)
    real = subscribers_by_email

    def leave_meanwhile(conn, emails):
        found = real(conn, emails)
        keep_only_the_weekly(config)
        return found

    monkeypatch.setattr(engine, "subscribers_by_email", leave_meanwhile)
    assert send(config) == 0
    assert "leaving@example.org" not in handler.delivered_to()
    assert len(handler.accepted) == 13  # the other twelve and the config's own reader
    assert deliveries(config)["leaving@example.org"] == ("dropped", 0)
    conn = open_db(config)
    try:
        assert get_subscriber(conn, "leaving@example.org").status == "active"
    finally:
        conn.close()


@pytest.mark.parametrize("leaving", ["unsubscribe", "newsletter"])
def test_a_leave_during_the_last_check_waits_until_the_copy_has_begun(
    site: Path, state_url: str, send: Send, relay, monkeypatch, leaving: str
):
    """The last moment, from the other side: the check has said "still wanted" and the copy's
    first bytes are not out yet when the subscriber leaves: unsubscribes, or (#23) leaves
    the newsletter of the digest going out (the preference page's change). The answer holds
    the subscriber (SQLite's write lock; the row locked on PostgreSQL), so the leave commits
    only after the relay has seen the copy begin: no copy begins after a leave committed."""
    import threading

    from syndicate.delivery.claims import AudienceGate

    handler, port = relay
    if leaving == "newsletter":
        config = queue_daily_digest(site, state_url, port)
    else:
        config = smtp_site(site, state_url, port)
        queue_digest(config, *READERS, "leaving@example.org")
    committed: list[float] = []
    real_wanted = AudienceGate.wanted

    def leave_right_after_the_answer(gate, key, unsent):
        answer = real_wanted(gate, key, unsent)
        if key[1] == "leaving@example.org" and not committed:

            def leave():
                if leaving == "newsletter":
                    keep_only_the_weekly(config)
                else:
                    other = open_db(config)
                    unsubscribe(other, datetime.now(config.site.tz), email="leaving@example.org")
                    other.close()
                committed.append(time.monotonic())

            threading.Thread(target=leave, daemon=True).start()
            time.sleep(0.5)  # ample time for the unsubscribe to commit, were it not held
        return answer

    monkeypatch.setattr(AudienceGate, "wanted", leave_right_after_the_answer)
    assert send(config) == 0
    deadline = time.monotonic() + 10
    while not committed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert committed, "the leave never committed"
    began = handler.started["leaving@example.org"]
    assert len(began) == 1 and began[0] < committed[0]
    assert len(handler.accepted) == 14  # its copy went out too: it began before the leave
    assert deliveries(config)["leaving@example.org"][0] == "sent"
    conn = open_db(config)
    try:
        after = get_subscriber(conn, "leaving@example.org")
    finally:
        conn.close()
    if leaving == "newsletter":  # the leave itself went through, after the copy began
        assert (after.status, after.newsletters) == ("active", "ports-weekly")
    else:
        assert after.status == "unsubscribed"
