"""Bounce, complaint and unsubscribe-request parsing on synthetic samples of what real MTAs
send (tests/samples/bounces/README.md says what each imitates)."""

from __future__ import annotations

import email
import mailbox
import random
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from flufl.bounce import all_failures

from syndicate.bounces.marks import message_mark, unsubscribe_mailto, verify_verp, verp_address
from syndicate.bounces.parse import parse_message, read_maildir, read_mbox
from syndicate.bounces.returned import Kind

SAMPLES = Path(__file__).parent / "samples" / "bounces"
SECRET = b"test-secret"
DOMAIN = "news.example.org"


def sample(name: str):
    return parse_message((SAMPLES / name).read_bytes(), domain=DOMAIN)


def mid(who: str) -> str:
    """Our Message-ID of digest 2026-11-30-001 to the subscriber whose address hashes to
    `who`, as the samples carry it (made with the samples' secret, b"test-secret")."""
    mark = message_mark("2026-11-30-001", who[:16], b"test-secret")
    return f"<2026-11-30-001.{mark}@{DOMAIN}>"


# file: (kind, recipients, status, Message-ID, subscriber key in the VERP token or "")
EXPECTED = {
    "postfix_hard_user_unknown.eml": (
        Kind.HARD_BOUNCE,
        ("nobody@example.net",),
        "5.1.1",
        mid("9df99f9b611ba6df7085"),
        "9df99f9b611ba6df",
    ),
    "postfix_delayed_warning.eml": (
        Kind.DELAYED,
        ("full@example.com",),
        "4.2.2",
        mid("b77d10c66112fc270f52"),
        "b77d10c66112fc27",
    ),
    "postfix_soft_expired.eml": (
        Kind.SOFT_BOUNCE,
        ("full@example.com",),
        "4.2.2",
        mid("b77d10c66112fc270f52"),
        "b77d10c66112fc27",
    ),
    "exim_plain.eml": (
        Kind.HARD_BOUNCE,
        ("x@example.net",),
        "5.1.1",
        mid("3273f3473d186995ef84"),
        "3273f3473d186995",
    ),
    "sendmail_dsn.eml": (
        Kind.HARD_BOUNCE,
        ("sub@example.org",),
        "5.1.1",
        mid("afdf56e9a27ba6f8ed0a"),
        "afdf56e9a27ba6f8",
    ),
    "qmail_plain.eml": (
        Kind.HARD_BOUNCE,
        ("nobody@example.net",),
        "5.1.1",
        mid("9df99f9b611ba6df7085"),
        "9df99f9b611ba6df",
    ),
    "gmail_dsn.eml": (
        Kind.HARD_BOUNCE,
        ("ghost@gmail.com",),
        "5.1.1",
        mid("90b8dc0adf63e158d6eb"),
        "90b8dc0adf63e158",
    ),
    "office365_ndr.eml": (
        Kind.HARD_BOUNCE,
        ("ops@contoso.com",),
        "5.1.10",
        mid("affb8a5f2396dce05355"),
        "affb8a5f2396dce0",
    ),
    "outlookcom_ndr.eml": (
        Kind.HARD_BOUNCE,
        ("user@outlook.com",),
        "5.5.0",
        mid("21353d6bb0272d15485a"),
        "21353d6bb0272d15",
    ),
    "yahoo_plain.eml": (
        Kind.HARD_BOUNCE,
        ("jdoe@yahoo.com",),
        "5.0.0",
        mid("f9da033353feeb9624f9"),
        "f9da033353feeb96",
    ),
    "amazon_ses_dsn.eml": (
        Kind.HARD_BOUNCE,
        ("nobody@example.net",),
        "5.1.1",
        "<0100019375a0ffee-11aa22bb-33cc-44dd-55ee-66ff77aa88bb-000000@email.amazonses.com>",
        "9df99f9b611ba6df",
    ),
    "arf_yahoo_complaint.eml": (
        Kind.COMPLAINT,
        ("jdoe@yahoo.com",),
        "",
        mid("f9da033353feeb9624f9"),
        "f9da033353feeb96",
    ),
    "arf_microsoft_jmrp_redacted.eml": (
        Kind.COMPLAINT,
        (),
        "",
        mid("21353d6bb0272d15485a"),
        "21353d6bb0272d15",
    ),
    "unsubscribe_mailto.eml": (Kind.UNSUBSCRIBE, (), "", "", ""),
    "unsubscribe_reply_no_token.eml": (
        Kind.UNSUBSCRIBE,
        (),
        "",
        mid("afdf56e9a27ba6f8ed0a"),
        "",
    ),
    "out_of_office_exchange.eml": (
        Kind.AUTO_REPLY,
        (),
        "",
        mid("affb8a5f2396dce05355"),
        "affb8a5f2396dce0",
    ),
    "vacation_gmail.eml": (Kind.AUTO_REPLY, (), "", mid("c0ffee00c0ffee00c0ff"), ""),
    "challenge_response.eml": (
        Kind.CHALLENGE,
        (),
        "",
        mid("3273f3473d186995ef84"),
        "3273f3473d186995",
    ),
    "dsn_success_relayed.eml": (
        Kind.UNKNOWN,
        ("sub@example.org",),
        "2.0.0",
        "",
        "afdf56e9a27ba6f8",
    ),
    "human_reply.eml": (Kind.UNKNOWN, (), "", mid("32a9c5afd14518dd1234"), ""),
    "malformed_binary.eml": (Kind.MALFORMED, (), "", "", ""),
}


def test_every_sample_has_an_expectation():
    assert sorted(p.name for p in SAMPLES.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classification_and_matching_fields(name):
    kind, recipients, status, message_id, key = EXPECTED[name]
    report = sample(name)
    assert report.kind == kind, report.detail
    assert report.recipients == recipients
    assert report.status == status
    assert report.message_id == message_id
    if key:
        assert verify_verp(report.verp_token, SECRET) == ("2026-11-30-001", key)
    else:
        assert report.verp_token == ""


def test_dsn_details_from_postfix():
    report = sample("postfix_hard_user_unknown.eml")
    assert report.reporting_mta == "mail.news.example.org"
    assert report.diagnostic == (
        "smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in"
        " virtual mailbox table"
    )
    [failure] = report.failures
    assert (failure.recipient, failure.action, failure.remote_mta) == (
        "nobody@example.net",
        "failed",
        "mx1.example.net",
    )


def test_dsn_details_from_microsoft_and_gmail():
    ms = sample("office365_ndr.eml")
    assert ms.reporting_mta == "BN8PR12MB3456.namprd12.prod.outlook.com"
    assert "RESOLVER.ADR.RecipientNotFound" in ms.diagnostic
    gmail = sample("gmail_dsn.eml")
    assert gmail.reporting_mta == "googlemail.com"
    assert gmail.diagnostic.startswith("smtp; 550-5.1.1 The email account that you tried to reach")
    assert gmail.diagnostic.endswith("gsmtp")  # the folded lines joined


def test_sendmail_keeps_the_address_we_sent_to():
    report = sample("sendmail_dsn.eml")
    [failure] = report.failures
    assert failure.recipient == "sub@example.org"
    assert failure.original_recipient == "sub@example.org"  # "Sub@Example.org", lower-cased
    assert report.reporting_mta == "relay.news.example.org"


def test_plain_bounces_take_the_status_and_diagnostic_from_the_text():
    qmail = sample("qmail_plain.eml")
    assert qmail.reporting_mta == "mx.oldhost.example.net"
    assert qmail.diagnostic.startswith("Remote host said: 550 5.1.1 <nobody@example.net>")
    assert "yahoo.com account" in sample("yahoo_plain.eml").diagnostic


def test_complaints():
    yahoo = sample("arf_yahoo_complaint.eml")
    assert yahoo.feedback_type == "abuse"
    assert "Yahoo!-Mail-Feedback" in yahoo.detail
    assert sample("arf_microsoft_jmrp_redacted.eml").feedback_type == "abuse"


def test_an_attached_digest_cannot_pass_for_the_bounce_text():
    # The Microsoft sample's attached original says "550 5.7.1"; the DSN says 5.1.10.
    assert sample("office365_ndr.eml").status == "5.1.10"


# ---------------------------------------------------------------- flufl.bounce, pinned


FLUFL = {  # what flufl.bounce 6 finds (temporary, permanent), which we rely on
    "exim_plain.eml": (set(), {b"x@example.net"}),
    "qmail_plain.eml": (set(), {b"nobody@example.net"}),
    "yahoo_plain.eml": (set(), {b"jdoe@yahoo.com"}),
    "postfix_delayed_warning.eml": ({b"full@example.com"}, set()),
    "sendmail_dsn.eml": (set(), {b"Sub@Example.org"}),
    "out_of_office_exchange.eml": (set(), set()),
    "challenge_response.eml": (set(), set()),
    "arf_yahoo_complaint.eml": (set(), set()),
}


@pytest.mark.parametrize("name", sorted(FLUFL))
def test_flufl_bounce_behaviour_we_rely_on(name):
    msg = email.message_from_bytes((SAMPLES / name).read_bytes())
    temporary, permanent = all_failures(msg)
    assert (set(temporary), set(permanent)) == FLUFL[name]


# ---------------------------------------------------------------- address forms


def test_verp_round_trip_and_forgery():
    address = verp_address("2026-11-30-001", "9df99f9b611ba6df", SECRET, DOMAIN)
    assert address == f"bounces+2026-11-30-001.9df99f9b611ba6df.248935baaa091b73@{DOMAIN}"
    token = address.split("+", 1)[1].split("@")[0]
    assert verify_verp(token, SECRET) == ("2026-11-30-001", "9df99f9b611ba6df")
    assert verify_verp(token.upper(), SECRET) == ("2026-11-30-001", "9df99f9b611ba6df")
    assert verify_verp(token, b"another-site") is None
    forged = token.replace("9df99f9b611ba6df", "b77d10c66112fc27")
    assert verify_verp(forged, SECRET) is None
    assert verify_verp("garbage", SECRET) is None
    with pytest.raises(ValueError):
        verp_address("2026/11", "9df9", SECRET, DOMAIN)


def test_unsubscribe_mailto_round_trip_through_a_mail_client():
    token = "Zq3x9-ab_cdEFgh12345678ijklmnOPqr"
    url = unsubscribe_mailto("digest@news.example.org", token)
    assert url == f"mailto:digest@news.example.org?subject=unsubscribe%20{token}"
    parts = urlsplit(url)
    request = EmailMessage()  # what the client sends when the reader clicks "Unsubscribe"
    request["From"] = "Reader <reader@example.org>"
    request["To"] = parts.path
    request["Subject"] = unquote(parts.query.removeprefix("subject="))
    request.set_content("unsubscribe")
    report = parse_message(request.as_bytes(), domain=DOMAIN)
    assert (report.kind, report.unsubscribe_token, report.sender) == (
        Kind.UNSUBSCRIBE,
        token,
        "reader@example.org",
    )
    with pytest.raises(ValueError):
        unsubscribe_mailto("digest@news.example.org", "short")


@pytest.mark.parametrize(
    "subject, token",
    [
        ("Re: unsubscribe Zq3x9-ab_cdEFgh12345678ijklmnOPqr", "Zq3x9-ab_cdEFgh12345678ijklmnOPqr"),
        ("UNSUBSCRIBE", ""),
        ("unsubscribe me please", ""),  # words are not a token
    ],
)
def test_unsubscribe_subjects(subject, token):
    msg = EmailMessage()
    msg["From"] = "someone@example.com"
    msg["To"] = "digest@news.example.org"
    msg["Subject"] = subject
    report = parse_message(msg.as_bytes())
    assert (report.kind, report.unsubscribe_token) == (Kind.UNSUBSCRIBE, token)


def test_unsubscribe_by_plus_address():
    msg = EmailMessage()
    msg["From"] = "someone@example.com"
    msg["To"] = "unsubscribe+Zq3x9-ab_cdEFgh12345678ijklmnOPqr@news.example.org"
    msg["Subject"] = "(no subject)"
    report = parse_message(msg.as_bytes())
    assert report.unsubscribe_token == "Zq3x9-ab_cdEFgh12345678ijklmnOPqr"


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"Subject: =?utf-8?q?=ff=fe?=\nFrom: <<<@>>>\n\nbody",
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n"
        b"--x\nContent-Type: message/delivery-status\n\n--x--\n",
        b"Content-Type: message/feedback-report\n\n",
        b"From: MAILER-DAEMON@x\nSubject: failure notice\nContent-Type: text/plain; "
        b"charset=no-such-charset\n\n<a@b>:\n550 no\n",
        b"From: " + b"a" * 100_000 + b"\n\n",
        bytes(range(256)) * 50,
    ],
)
def test_never_raises_on_junk(data):
    assert parse_message(data).kind in set(Kind)


def test_never_raises_on_damaged_samples():
    rng = random.Random(11)
    for path in sorted(SAMPLES.glob("*.eml")):
        data = path.read_bytes()
        for _ in range(20):
            damaged = bytearray(data[: rng.randrange(len(data) + 1)])
            for _ in range(rng.randrange(8)):
                if damaged:
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            assert parse_message(bytes(damaged)).kind in set(Kind)


# ---------------------------------------------------------------- readers


def test_maildir_reader(tmp_path):
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for path in sorted(SAMPLES.glob("*.eml")):
        box.add(path.read_bytes())
    read = mailbox.MaildirMessage(b"From: MAILER-DAEMON@x\n\nhello")
    read.set_subdir("cur")
    box.add(read)
    box.close()
    reports = list(read_maildir(tmp_path / "bounces", domain=DOMAIN))
    assert len(reports) == len(EXPECTED) + 1
    assert all(r.source for r in reports)
    kinds = [r.kind for r in reports]
    assert kinds.count(Kind.HARD_BOUNCE) == 9
    assert kinds.count(Kind.COMPLAINT) == 2
    assert kinds.count(Kind.MALFORMED) == 1
    with pytest.raises(FileNotFoundError, match="not a Maildir"):
        list(read_maildir(tmp_path / "nowhere"))


def test_mbox_reader_counts_a_broken_message(tmp_path):
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path)
    for name in ("qmail_plain.eml", "arf_yahoo_complaint.eml", "vacation_gmail.eml"):
        box.add((SAMPLES / name).read_bytes())
    box.close()
    with path.open("ab") as fh:  # a message cut off by a crash while appending
        fh.write(b"From MAILER-DAEMON Mon Nov 30 00:00:00 2026\n\x00\x01\xff\n")
    reports = list(read_mbox(path, domain=DOMAIN))
    assert [r.kind for r in reports] == [
        Kind.HARD_BOUNCE,
        Kind.COMPLAINT,
        Kind.AUTO_REPLY,
        Kind.MALFORMED,
    ]
    assert [r.source for r in reports] == ["0", "1", "2", "3"]
    with pytest.raises(FileNotFoundError, match="not an mbox"):
        list(read_mbox(tmp_path / "missing.mbox"))


def test_a_bounce_flufl_cannot_read_falls_back_to_x_failed_recipients():
    msg = EmailMessage()
    msg["Return-Path"] = "<>"
    msg["From"] = "Mail Delivery System <mailer-daemon@mx.example.net>"
    msg["To"] = "bounces+2026-11-30-001.3273f3473d186995.858424f6edb9cba5@news.example.org"
    msg["Subject"] = "Mail delivery failed"
    msg["X-Failed-Recipients"] = "X@Example.net"
    msg.set_content("Our relay refused it.\n\n  550 5.7.1 Message rejected as spam\n")
    report = parse_message(msg.as_bytes())
    assert (report.kind, report.recipients, report.status) == (
        Kind.HARD_BOUNCE,
        ("x@example.net",),
        "5.7.1",
    )


def test_a_bounce_naming_no_recipient_is_not_acted_on():
    msg = EmailMessage()
    msg["From"] = "MAILER-DAEMON@mx.example.net"
    msg["Subject"] = "Undeliverable"
    msg.set_content("Something went wrong (550).")
    assert parse_message(msg.as_bytes()).kind == Kind.UNKNOWN
