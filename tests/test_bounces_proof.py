"""A report needs proof before it suppresses (#21): forged DSNs, ARF complaints and plain
bounces that name a subscriber but carry neither our VERP address (with its MAC) nor one
of our Message-IDs change nothing; genuine ones, matched by VERP or by Message-ID, still
suppress. A real digest goes out over SMTP (aiosmtpd on loopback) with VERP, and the
reports come back through `syndicate bounces` on a real Maildir."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from syndicate.cli import main
from syndicate.config import Config
from syndicate.run import pipeline
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import subscribers
from tests.conftest import smtp_site_with_verp

VICTIMS = ("victim@example.net", "target@example.com", "reader2@example.org")


def dsn(to: str, recipient: str, *, message_id: str = "", status: str = "5.1.1") -> bytes:
    """An RFC 3464 DSN as an MTA writes it, sent to `to`."""
    original = f"Message-ID: {message_id}\n" if message_id else "Subject: hello\n"
    return (
        f"From: MAILER-DAEMON@mx.example.net\nTo: {to}\nDelivered-To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: user unknown\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\n{original}\n--b--\n"
    ).encode()


def arf(recipient: str, *, message_id: str = "", return_path: str = "") -> bytes:
    """An RFC 5965 abuse report naming `recipient`, as a feedback loop sends it."""
    original = f"From: Test Site <digest@news.example.org>\nTo: {recipient}\nSubject: x\n"
    if message_id:
        original += f"Message-ID: {message_id}\n"
    if return_path:
        original = f"Return-Path: <{return_path}>\n" + original
    return (
        "From: feedback@arf.mail.example.com\nTo: fbl@news.example.org\nSubject: FW: x\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report;"
        ' boundary="a"\n\n'
        "--a\nContent-Type: text/plain\n\nThis is an email abuse report.\n"
        "--a\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
        f"User-Agent: Forged/1.0\nVersion: 1\nOriginal-Rcpt-To: <{recipient}>\n\n"
        f"--a\nContent-Type: message/rfc822\n\n{original}\nbody\n--a--\n"
    ).encode()


def plain_bounce(to: str, recipient: str) -> bytes:
    """A qmail-style bounce without a DSN part (read by flufl.bounce)."""
    return (
        f"Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nTo: {to}\n"
        "Subject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{recipient}>:\nRemote host said: 550 5.1.1 <{recipient}>: User unknown\n"
    ).encode()


@pytest.fixture
def sent(site: Path, smtp_server) -> tuple[Config, dict[str, EmailMessage]]:
    """A digest sent over SMTP with VERP to one@example.org and VICTIMS; the copies by
    recipient (with their envelope sender in X-MailFrom)."""
    handler, port = smtp_server
    config = smtp_site_with_verp(site, port, VICTIMS)
    assert pipeline.run(config).sent == 1 + len(VICTIMS)
    return config, {m["X-RcptTo"]: m for m in handler.messages}


def apply(config: Config, folder: Path, messages: list[bytes], capsys) -> dict:
    """`syndicate bounces FOLDER --json` over a Maildir holding `messages`."""
    box = mailbox.Maildir(folder, create=True)
    for data in messages:
        box.add(data)
    box.close()
    assert (
        main(["bounces", str(folder), "--json", "--config", str(config.root / "config.toml")]) == 0
    )
    return json.loads(capsys.readouterr().out)


def statuses(config: Config) -> dict[str, str]:
    conn = open_store(config.db_path)
    try:
        return {s.email: s.status for s in subscribers(conn)}
    finally:
        conn.close()


def test_forged_reports_suppress_nobody(sent, tmp_path: Path, capsys):
    config, copies = sent
    verp = copies[VICTIMS[0]]["X-MailFrom"]
    local, _, domain = verp.partition("@")
    wrong_mac = local[:-4] + ("0000" if not local.endswith("0000") else "1111") + "@" + domain
    forged = [
        dsn("bounces@news.example.org", VICTIMS[0]),  # names the victim, nothing else
        dsn("digest@news.example.org", VICTIMS[1], status="5.7.1"),
        dsn(wrong_mac, VICTIMS[0]),  # a VERP address with a MAC the forger guessed
        arf(VICTIMS[1]),  # a complaint naming the victim
        arf(VICTIMS[2], message_id="<2026-01-01-001.0123456789abcdef0123@news.example.org>"),
        plain_bounce("bounces@news.example.org", VICTIMS[2]),
        *[dsn("bounces@news.example.org", VICTIMS[2], status="4.2.2")] * 5,  # soft, a streak
    ]
    done = apply(config, tmp_path / "forged", forged, capsys)
    assert done["suppressed"] == [] and done["soft_bounces"] == []
    assert len(done["unmatched"]) == len(forged)
    assert all("no proof, nothing changed" in line for line in done["unmatched"])
    assert sum("MAC is wrong" in line for line in done["unmatched"]) == 1
    assert set(statuses(config).values()) == {"active"}
    conn = open_store(config.db_path)
    try:  # not even the soft-bounce counters moved
        rows = conn.execute("SELECT soft_bounces FROM subscribers").fetchall()
        assert {r["soft_bounces"] for r in rows} == {0}
        noted = conn.execute("SELECT COUNT(*) AS n FROM deliveries WHERE bounce IS NOT NULL")
        assert noted.fetchone()["n"] == 0
    finally:
        conn.close()


def test_genuine_reports_by_verp_or_message_id_still_suppress(sent, tmp_path: Path, capsys):
    config, copies = sent
    by_verp, by_id, complaint = VICTIMS
    genuine = [
        # Back at the VERP address, as every MTA returns it to the envelope sender.
        dsn(copies[by_verp]["X-MailFrom"], by_verp),
        # At the bare bounce address, but with our Message-ID in the returned headers.
        dsn("bounces@news.example.org", by_id, message_id=copies[by_id]["Message-ID"]),
        # A feedback loop's complaint with the original's Message-ID (recipient redacted).
        arf("redacted@example.invalid", message_id=copies[complaint]["Message-ID"]),
    ]
    done = apply(config, tmp_path / "genuine", genuine, capsys)
    assert sorted(done["suppressed"]) == sorted(
        [
            f"{by_verp}: bounced (hard 5.1.1 smtp; 550 5.1.1 <{by_verp}>: user unknown;"
            " matched by VERP)",
            f"{by_id}: bounced (hard 5.1.1 smtp; 550 5.1.1 <{by_id}>: user unknown;"
            " matched by Message-ID)",
            f"{complaint}: complained (complaint abuse; matched by Message-ID)",
        ]
    )
    after = statuses(config)
    assert after[by_verp] == "bounced" and after[by_id] == "bounced"
    assert after[complaint] == "complained" and after["one@example.org"] == "active"


def test_the_mailto_unsubscribe_still_needs_the_token(sent, tmp_path: Path, capsys):
    config, copies = sent
    target = VICTIMS[0]
    mailto = copies[target]["List-Unsubscribe"].split("<mailto:", 1)[1].split(">", 1)[0]
    to, _, query = mailto.partition("?subject=")
    token = query.rsplit("%20", 1)[1]

    def request(subject: str) -> bytes:
        msg = EmailMessage()
        msg["From"] = target  # anyone can write any From
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content("unsubscribe me\n")
        return msg.as_bytes()

    done = apply(
        config,
        tmp_path / "requests",
        [request("unsubscribe"), request("unsubscribe " + "x" * len(token))],
        capsys,
    )
    assert done["unsubscribed"] == [] and len(done["ignored"]) == 2
    assert statuses(config)[target] == "active"
    done = apply(config, tmp_path / "real", [request(f"unsubscribe {token}")], capsys)
    assert done["unsubscribed"] == [f"{target}: by mail ({target})"]
    assert statuses(config)[target] == "unsubscribed"
