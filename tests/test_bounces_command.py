"""`syndicate bounces PATH`: the synthetic MTA samples (tests/samples/bounces) applied to a
state that sent them, and the whole loop — a digest goes out over SMTP with VERP, a DSN and
a mailto: unsubscribe come back, the next digest goes to neither."""

from __future__ import annotations

import json
import mailbox
import shutil
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from syndicate.cli import main
from syndicate.config import Config, load_config
from syndicate.run import pipeline
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber, subscriber_key
from tests.conftest import smtp_site_with_verp, write_config

SAMPLES = Path(__file__).parent / "samples" / "bounces"
SENT_TO = [
    "nobody@example.net",
    "full@example.com",
    "x@example.net",
    "sub@example.org",
    "ghost@gmail.com",
    "ops@contoso.com",
    "user@outlook.com",
    "jdoe@yahoo.com",
    "reader@example.org",
]
UNSUB_TOKEN = "Zq3x9-ab_cdEFgh12345678ijklmnOPqr"  # in unsubscribe_mailto.eml


def sent_state(config: Config) -> None:
    """The state that sent digest 2026-11-30-001 to SENT_TO, with the samples' VERP secret."""
    conn = open_store(config.db_path)
    now = datetime.now(config.site.tz)
    for email in SENT_TO:
        add_subscriber(conn, email, "", now, resubscribe=True)
    conn.execute("UPDATE subscribers SET token = ? WHERE email = ?", (UNSUB_TOKEN, SENT_TO[-1]))
    conn.execute(
        "INSERT INTO digests (id, created, articles) VALUES ('2026-11-30-001', ?, '[]')",
        (now.isoformat(),),
    )
    for email in SENT_TO:
        conn.execute(
            "INSERT INTO deliveries (digest_id, email, status, attempts) VALUES (?, ?, 'sent', 1)",
            ("2026-11-30-001", email),
        )
    conn.execute("INSERT INTO meta (key, value) VALUES ('secret:verp', ?)", (b"test-secret".hex(),))
    conn.close()


def maildir_of(folder: Path, files: list[Path]) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for path in files:
        box.add(path.read_bytes())
    box.close()
    return folder


def statuses(config: Config) -> dict[str, tuple[str, int]]:
    conn = open_store(config.db_path)
    try:
        rows = conn.execute("SELECT email, status, soft_bounces FROM subscribers")
        return {r["email"]: (r["status"], r["soft_bounces"]) for r in rows}
    finally:
        conn.close()


def test_the_samples_suppress_who_bounced_and_nothing_else(site: Path, capsys):
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    sent_state(config)
    box = maildir_of(site / "bounces", sorted(SAMPLES.glob("*.eml")))
    cfg = ["--config", str(site / "config.toml")]
    assert main(["bounces", str(box), "--json", *cfg]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["read"] == 21 and done["kinds"]["malformed"] == 1
    after = statuses(config)
    for email in ("nobody@example.net", "x@example.net", "sub@example.org", "ghost@gmail.com"):
        assert after[email][0] == "bounced", email
    assert after["ops@contoso.com"][0] == "bounced"
    # Both bounced and complained (whichever report came first wins): suppressed either way.
    assert after["user@outlook.com"][0] in ("bounced", "complained")
    assert after["jdoe@yahoo.com"][0] in ("bounced", "complained")
    assert after["full@example.com"] == ("active", 1)  # one soft bounce: not yet
    assert after["reader@example.org"][0] == "unsubscribed"  # the mailto: request, by token
    assert after["one@example.org"][0] == "active"  # nothing came back for it
    assert any("without a token" in i for i in done["ignored"])
    # Reading the same mailbox again changes nothing and counts nothing twice.
    assert main(["bounces", str(box), "--json", *cfg]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["suppressed"] == [] and again["unsubscribed"] == [] and again["soft_bounces"] == []
    assert statuses(config) == after


def test_dry_run_and_mbox(site: Path, capsys):
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    sent_state(config)
    mbox_path = site / "bounces.mbox"
    box = mailbox.mbox(mbox_path)
    box.add((SAMPLES / "postfix_hard_user_unknown.eml").read_bytes())
    box.close()
    cfg = ["--config", str(site / "config.toml")]
    assert main(["bounces", str(mbox_path), "--dry-run", *cfg]) == 0
    out = capsys.readouterr().out
    assert "nobody@example.net: bounced (hard 5.1.1" in out and "dry run" in out
    assert statuses(config)["nobody@example.net"][0] == "active"
    assert main(["bounces", str(site / "nowhere"), *cfg]) == 74


def test_soft_bounces_suppress_after_the_limit_in_a_row(site: Path):
    from syndicate.bounces.apply import process_returns
    from syndicate.bounces.parse import parse_message

    write_config(site, "\n[delivery]\nsoft_bounce_limit = 2\n")
    config = load_config(site / "config.toml")
    pipeline.run(config, digest="never")
    sent_state(config)
    conn = open_store(config.db_path)
    now = datetime.now(config.site.tz)
    for digest_id in ("2026-11-29-001", "2026-12-01-001"):
        conn.execute(
            "INSERT INTO digests (id, created, articles) VALUES (?, ?, '[]')",
            (digest_id, now.isoformat()),
        )
        conn.execute(
            "INSERT INTO deliveries (digest_id, email, status)"
            " VALUES (?, 'full@example.com', 'sent')",
            (digest_id,),
        )
    raw = (SAMPLES / "postfix_soft_expired.eml").read_bytes()
    soft = parse_message(raw, domain=config.site.domain)
    process_returns(conn, config, [soft], now)  # 2026-11-30-001: 1 in a row
    assert statuses(config)["full@example.com"] == ("active", 1)
    # The next digest bounces softly too: its own VERP address and Message-ID.
    from syndicate.bounces.marks import message_mark, verp_address

    key, secret = subscriber_key("full@example.com"), b"test-secret"
    first, second = "2026-11-30-001", "2026-12-01-001"
    later_raw = raw.replace(
        verp_address(first, key, secret, "news.example.org").encode(),
        verp_address(second, key, secret, "news.example.org").encode(),
    ).replace(message_mark(first, key, secret).encode(), message_mark(second, key, secret).encode())
    later = parse_message(later_raw.replace(b"<2026-11-30-001.", b"<2026-12-01-001."), domain="x")
    result = process_returns(conn, config, [later], now)
    conn.close()
    assert result.soft and statuses(config)["full@example.com"] == ("bounced", 2)


def test_the_whole_loop_over_smtp(site: Path, smtp_server, tmp_path: Path, capsys):
    handler, port = smtp_server
    config = smtp_site_with_verp(site, port, ("gone@example.net", "leaving@example.org"))
    assert pipeline.run(config).sent == 3
    by_rcpt = {m["X-RcptTo"]: m for m in handler.messages}
    gone, leaving = by_rcpt["gone@example.net"], by_rcpt["leaving@example.org"]
    verp = gone["X-MailFrom"]
    assert verp.startswith("bounces+") and verp.endswith("@news.example.org")
    mailto = leaving["List-Unsubscribe"].split("<mailto:", 1)[1].split(">", 1)[0]
    to, _, query = mailto.partition("?subject=")

    dsn = (
        f"From: MAILER-DAEMON@mx.example.net\nTo: {verp}\nDelivered-To: {verp}\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: user unknown\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: {gone['Message-ID']}\n\n"
        "--b--\n"
    ).encode()
    request = EmailMessage()
    request["From"] = "leaving@example.org"
    request["To"] = to
    request["Subject"] = query.replace("%20", " ")
    request.set_content("This message was automatically generated by Gmail.\n")
    box = mailbox.Maildir(tmp_path / "returns", create=True)
    box.add(dsn)
    box.add(request.as_bytes())
    box.close()

    assert main(["bounces", str(tmp_path / "returns"), "--config", str(site / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert "gone@example.net: bounced (hard 5.1.1" in out and "matched by VERP" in out
    assert "leaving@example.org: by mail" in out
    handler.messages.clear()
    (site / "articles" / "next.txt").write_text("Berita berikutnya\n\nIsi berita.\n", "utf-8")
    assert pipeline.run(config, digest="now").sent == 1  # the next digest
    assert [m["X-RcptTo"] for m in handler.messages] == ["one@example.org"]
    shutil.rmtree(tmp_path / "returns")
