"""SMTP and sendmail mechanics, on a real SMTP server (aiosmtpd on 127.0.0.1) and a fake
sendmail: how replies are read with and without PIPELINING (RFC 2920), a reply that comes
after the client's timeout, one TLS context per run, the rate limit, sendmail's exit codes.
The delivery promises themselves, on both stores and every path, are in
test_delivery_promises.py."""

from __future__ import annotations

import ssl
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from syndicate.config import Config, load_config
from syndicate.run import pipeline
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber
from tests.conftest import smtp_on_loopback, write_config
from tests.relays import FaultyRelay


@pytest.fixture(params=["one command at a time", "pipelined"])
def relay(request, monkeypatch):
    """The relay; every test runs twice: MAIL/RCPT/DATA one at a time (a relay that does not
    offer PIPELINING), and pipelined, as against relays that offer it."""
    if request.param == "one command at a time":
        import smtplib

        real = smtplib.SMTP.has_extn
        monkeypatch.setattr(
            smtplib.SMTP, "has_extn", lambda self, opt: opt != "pipelining" and real(self, opt)
        )
    handler = FaultyRelay()
    with smtp_on_loopback(handler) as port:
        yield handler, port


def smtp_site(site: Path, port: int, extra: str = "") -> Config:
    write_config(site, f"\n[delivery]\nmethod = 'smtp'\nsmtp_port = {port}\n{extra}")
    return load_config(site / "config.toml")


def add(config: Config, *emails: str) -> None:
    conn = open_store(config.db_path)
    now = datetime.now(config.site.tz)
    for email in emails:
        add_subscriber(conn, email, "", now, resubscribe=True)
    conn.close()


def deliveries(config: Config) -> dict[str, tuple[str, int]]:
    conn = open_store(config.db_path)
    try:
        rows = conn.execute("SELECT email, status, attempts FROM deliveries").fetchall()
        return {r["email"]: (r["status"], r["attempts"]) for r in rows}
    finally:
        conn.close()


def later(config: Config, hours: float) -> datetime:
    return datetime.now(config.site.tz) + timedelta(hours=hours)


# ---------------------------------------------------------------- SMTP


def test_550_is_dropped_with_the_reply_and_never_retried(site: Path, relay):
    handler, port = relay
    config = smtp_site(site, port)
    add(config, "refuse@example.org")
    report = pipeline.run(config)
    assert report.sent == 1 and report.failed == []
    assert "550 5.1.1 no such user" in report.failed_for_good[0]
    pipeline.run(config, now=later(config, 24))
    assert handler.rcpt["refuse@example.org"] == 1
    assert deliveries(config)["refuse@example.org"] == ("dropped", 1)


def test_drop_after_data_is_in_doubt_and_held(site: Path, relay):
    handler, port = relay
    config = smtp_site(site, port)
    add(config, "drop@example.org", "zz-after@example.org")
    report = pipeline.run(config)
    assert report.sent == 2  # one.example.org and the one after the drop (a new connection)
    (held,) = report.failed_for_good
    assert held.startswith("drop@example.org: in doubt, held")
    assert deliveries(config)["drop@example.org"] == ("in_doubt", 1)
    pipeline.run(config, now=later(config, 24))
    assert handler.delivered_to().count("drop@example.org") == 1  # never resent by itself
    # The operator decides: --retry-failed sends it again (same Message-ID).
    pipeline.run(config, retry_failed=True)
    ids = [m for r, m in handler.accepted if r == "drop@example.org"]
    assert len(ids) == 2 and _message_id(ids[0]) == _message_id(ids[1])


def _message_id(raw: bytes) -> str:
    import email

    return email.message_from_bytes(raw)["Message-ID"]


def test_in_doubt_policy_resend_sends_again_after_the_backoff(site: Path, relay):
    handler, port = relay
    config = smtp_site(site, port, 'in_doubt = "resend"\n')
    add(config, "drop@example.org")
    report = pipeline.run(config)
    assert report.failed_for_good == [] and "in doubt, sending again" in report.failed[0]
    assert pipeline.run(config).failed == []  # not before the backoff
    pipeline.run(config, now=later(config, 1))
    assert handler.delivered_to().count("drop@example.org") == 2


def test_a_reply_after_the_timeout_is_in_doubt_never_a_silent_duplicate(site: Path, relay):
    handler, port = relay
    handler.late = 1.0
    config = smtp_site(site, port, "smtp_timeout = 0.4\n")
    # Late ones between good ones: three in a row would (rightly) trip the circuit breaker.
    emails = [f"r{i:02d}{'-late' if i % 3 == 0 else ''}@example.org" for i in range(10)]
    add(config, *emails)
    report = pipeline.run(config)
    late = sorted(e for e in emails if "late" in e)
    assert sorted(x.split(":")[0] for x in report.failed_for_good) == late
    assert report.sent == 11 - len(late)
    time.sleep(1.2)  # the late replies arrive: the relay took those messages after all
    pipeline.run(config, now=later(config, 24))
    counts = Counter(handler.delivered_to())
    assert all(n == 1 for n in counts.values()) and len(counts) == 11
    assert {e: s for e, (s, _n) in deliveries(config).items() if s == "in_doubt"}.keys() == set(
        late
    )


def test_a_421_closes_the_connection_and_the_message_goes_on_a_new_one(site: Path, relay):
    handler, port = relay
    config = smtp_site(site, port)
    add(config, "close-me@example.org", "reader@example.org")
    report = pipeline.run(config)
    assert report.sent == 3 and report.failed == [] and report.failed_for_good == []
    assert handler.connections == 2
    assert handler.delivered_to().count("close-me@example.org") == 1


def test_rate_limit_spaces_messages(site: Path, relay):
    _handler, port = relay
    config = smtp_site(site, port, "rate_limit = 20.0\n")
    add(config, *(f"reader{i:02d}@example.org" for i in range(9)))
    started = time.monotonic()
    assert pipeline.run(config).sent == 10
    assert time.monotonic() - started >= 9 / 20


def test_one_tls_context_per_run(site: Path, tls_cert, monkeypatch):
    from tests.test_delivery import _tls_server

    cert, key = tls_cert
    controller, handler, port = _tls_server(cert, key, require_starttls=True)
    made = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        if args or kwargs.get("cafile"):
            made.append(1)
        return real(*args, **kwargs)

    try:
        config = smtp_site(
            site, port, f"smtp_security = 'starttls'\nsmtp_cafile = '{cert.as_posix()}'\n"
        )
        add(config, *(f"reader{i}@example.org" for i in range(8)))
        monkeypatch.setattr(ssl, "create_default_context", counting)
        assert pipeline.run(config).sent == 9
    finally:
        controller.stop()
    assert len(made) == 1 and len(handler.messages) == 9


# ---------------------------------------------------------------- sendmail

FAKE_SENDMAIL = """#!{python}
# A sendmail-compatible stand-in: keeps what it is given, exits as the recipient asks.
import os, sys, time, uuid
args = sys.argv[1:]
data = sys.stdin.buffer.read()
to = next(l for l in data.split(b"\\n") if l.lower().startswith(b"to:")).decode()
if "hang" in to:
    time.sleep(30)
code = 75 if "tempfail" in to else 67 if "nouser" in to else 78 if "broken" in to else 0
if code == 0:
    out = os.path.join({folder!r}, uuid.uuid4().hex)
    with open(out, "wb") as fh:
        fh.write(" ".join(args).encode() + b"\\n" + data)
else:
    sys.stderr.write("fake sendmail: failing with %d\\n" % code)
sys.exit(code)
"""


@pytest.fixture
def sendmail(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "sent"
    folder.mkdir()
    script = tmp_path / "sendmail"
    script.write_text(FAKE_SENDMAIL.format(python=sys.executable, folder=str(folder)))
    script.chmod(0o755)
    return script, folder


def sendmail_site(site: Path, script: Path, extra: str = "") -> Config:
    write_config(
        site, f"\n[delivery]\nmethod = 'sendmail'\nsendmail_path = '{script.as_posix()}'\n{extra}"
    )
    return load_config(site / "config.toml")


def test_sendmail_gets_each_copy_with_the_envelope_sender(site: Path, sendmail):
    script, folder = sendmail
    config = sendmail_site(site, script, "bounce_address = 'bounces@news.example.org'\n")
    add(config, "reader@example.org")
    report = pipeline.run(config)
    assert report.sent == 2
    sent = [p.read_bytes() for p in folder.iterdir()]
    args = sorted(s.split(b"\n", 1)[0].decode() for s in sent)
    assert all(a.startswith("-i -t -f bounces+") and a.endswith("@news.example.org") for a in args)
    assert all(b"\r\n" not in s for s in sent)  # LF line ends, as local submission expects
    assert any(b"To: reader@example.org" in s for s in sent)


def test_sendmail_exit_codes_are_classed(site: Path, sendmail):
    script, _folder = sendmail
    config = sendmail_site(site, script)
    add(config, "tempfail@example.org", "nouser@example.org")
    report = pipeline.run(config)
    assert report.sent == 1
    assert "tempfail@example.org" in report.failed[0] and "exit 75" in report.failed[0]
    (final,) = report.failed_for_good
    assert final.startswith("nouser@example.org") and "exit 67" in final


def test_sendmail_that_hangs_is_killed_and_in_doubt(site: Path, sendmail):
    script, _folder = sendmail
    config = sendmail_site(site, script, "smtp_timeout = 0.5\n")
    add(config, "hang@example.org")
    report = pipeline.run(config)
    assert report.sent == 1 and "in doubt" in report.failed_for_good[0]
    assert deliveries(config)["hang@example.org"][0] == "in_doubt"


def test_a_broken_or_missing_sendmail_trips_the_breaker(site: Path, sendmail, tmp_path):
    config = sendmail_site(site, tmp_path / "no-such-sendmail", "relay_failures = 2\n")
    add(config, *(f"r{i}@example.org" for i in range(10)))
    report = pipeline.run(config)
    assert report.sent == 0 and "cannot run" in report.delivery_stopped
    assert set(deliveries(config).values()) == {("pending", 0)}
