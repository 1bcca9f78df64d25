"""build_message: MIME structure, headers, header injection, DKIM (parsed back with `email`)."""

from __future__ import annotations

import base64
import email
import re
import shutil
import subprocess
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest

from syndicate.config import Config, ConfigError
from syndicate.core.model import Author, Digest, Subscriber
from syndicate.digest.headers import message_id_for
from syndicate.digest.message import build_message
from syndicate.digest.render import render_digest
from syndicate.ops.preview import render_preview
from tests.factories import (
    BIO,
    BULLETS,
    SUMMARY,
    WEB_URL,
    WIB,
    make_article,
    make_config,
    make_digest,
)

UNSUB = "https://news.example.org/unsubscribe?token=t0k3n&list=digest"
MSGID = "<2026-11-27-001.reader@news.example.org>"


def build(
    digest: Digest | None = None,
    config: Config | None = None,
    subscriber: Subscriber | None = None,
    unsubscribe_url: str = UNSUB,
) -> EmailMessage:
    config = config or make_config()
    rendered = render_digest(digest or make_digest(), config, web_url=WEB_URL)
    return build_message(
        rendered,
        subscriber or Subscriber("reader@example.org", "Pembaca Contoh", "t0k3n"),
        config,
        message_id=MSGID,
        unsubscribe_url=unsubscribe_url,
    )


def reparse(msg: EmailMessage) -> tuple[bytes, EmailMessage]:
    """What a receiver sees: the bytes delivery.py writes, parsed back."""
    raw = msg.as_bytes(policy=policy.SMTP)
    return raw, email.message_from_bytes(raw, policy=policy.default)


def parts(msg: EmailMessage) -> tuple[str, str]:
    """Decoded text and HTML, with the wire's CRLF turned back into newlines."""
    return (
        msg.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        msg.get_body(("html",)).get_content().replace("\r\n", "\n"),
    )


# --------------------------------------------------------------------------- structure


def test_multipart_alternative_text_then_html_utf8():
    raw, msg = reparse(build())
    assert msg.get_content_type() == "multipart/alternative"
    sub = list(msg.iter_parts())
    assert [p.get_content_type() for p in sub] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in sub)
    assert msg["MIME-Version"] == "1.0"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_main_headers():
    _, msg = reparse(build())
    assert msg["From"] == "Kabar Syndicate <digest@news.example.org>"
    assert msg["To"] == "Pembaca Contoh <reader@example.org>"
    assert msg["Date"].datetime == datetime(2026, 11, 27, 7, tzinfo=WIB)
    assert msg["Message-ID"] == MSGID
    assert msg["List-Id"] == '"Kabar Syndicate" <kabar-syndicate.news.example.org>'
    # Without delivery.bounce_address nobody reads a mailto: request, so none is advertised.
    assert msg["List-Unsubscribe"].strip() == f"<{UNSUB}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "DKIM-Signature" not in msg  # no key configured
    assert "Reply-To" not in msg


def test_mailto_unsubscribe_is_advertised_with_the_subscribers_token():
    config = make_config()
    rendered = render_digest(make_digest(), config, web_url=WEB_URL)
    mailto = "mailto:bounces@news.example.org?subject=unsubscribe%20t0k3nt0k3nt0k3nt0k3n"
    msg = build_message(
        rendered,
        Subscriber("reader@example.org", "Pembaca", "t0k3n"),
        config,
        message_id=MSGID,
        unsubscribe_url=UNSUB,
        unsubscribe_mailto=mailto,
    )
    _, parsed = reparse(msg)
    assert " ".join(parsed["List-Unsubscribe"].split()) == f"<{UNSUB}>, <{mailto}>"


def test_reply_to_and_custom_list_id():
    cfg = make_config(reply_to="Redaksi <redaksi@news.example.org>", list_id="digest.example.org")
    _, msg = reparse(build(config=cfg))
    assert msg["Reply-To"] == "Redaksi <redaksi@news.example.org>"
    assert msg["List-Id"] == '"Kabar Syndicate" <digest.example.org>'


def test_non_ascii_subject_is_rfc2047_encoded_and_decodes():
    a = make_article(title="Überraschung in Jakarta — ربح 🎉")
    raw, msg = reparse(build(make_digest(a)))
    assert msg["Subject"] == "Kabar Syndicate: 1 new — Überraschung in Jakarta — ربح 🎉"
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    subject_raw = re.search(rb"^Subject:.*(?:\r\n[ \t].*)*", header_block, re.M).group(0)
    assert subject_raw.isascii() and b"=?utf-8?" in subject_raw


def test_summary_bullets_byline_in_both_parts():
    _, msg = reparse(build())
    text, html = parts(msg)
    for part in (text, html):
        flat = " ".join(part.split())
        assert SUMMARY in flat
        assert "Oleh Alexander Rossi" in flat
        for b in BULLETS:
            assert b in flat
        assert "Poin penting" in flat and "Baca selengkapnya" in flat


def test_unsubscribe_url_substituted_escaped_in_html_raw_in_text():
    _, msg = reparse(build())
    text, html = parts(msg)
    assert "SYNDICATE-UNSUBSCRIBE" not in text and "SYNDICATE-UNSUBSCRIBE" not in html
    assert f"\n{UNSUB}\n" in text
    assert UNSUB.replace("&", "&amp;") in html and UNSUB not in html
    assert re.search(r'<a href="[^"]*unsubscribe\?token=t0k3n&amp;list=digest"', html)


def test_hostile_unsubscribe_url_is_percent_encoded():
    evil = 'https://news.example.org/u?t="><script>x</script>\r\nBcc: a@b'
    _, msg = reparse(build(unsubscribe_url=evil))
    assert "Bcc" not in msg
    lu = msg["List-Unsubscribe"]
    assert lu.startswith("<https://news.example.org/u?t=%22%3E%3Cscript%3Ex%3C/script%3E%0D%0A")
    text, html = parts(msg)
    assert "<script>x" not in html and "<script>x" not in text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "mailto:x@y", "/relative", ""])
def test_non_http_unsubscribe_url_is_refused(url):
    with pytest.raises(ValueError):
        build(unsubscribe_url=url)


# --------------------------------------------------------------------------- injection


@pytest.mark.parametrize(
    "title",
    [
        "Judul\r\nBcc: evil@example.com",
        "Judul\nX-Injected: yes",
        "Judul\u2028X-Injected: yes",
        "Judul\u2029\u0085X-Injected: yes\rBcc: evil@example.com",
    ],
)
def test_title_with_line_breaks_cannot_inject_headers(title):
    raw, msg = reparse(build(make_digest(make_article(title=title))))
    assert "Bcc" not in msg and "X-Injected" not in msg
    subject = msg["Subject"]
    assert "\n" not in subject and "\r" not in subject and "\u2028" not in subject
    assert subject.startswith("Kabar Syndicate: 1 new — Judul ")
    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert not re.search(r"^(Bcc|X-Injected):", header_block, re.M)


def test_subscriber_name_cannot_inject_headers():
    sub = Subscriber("reader@example.org", "Eve\r\nBcc: evil@example.com\u2028", "t")
    _, msg = reparse(build(subscriber=sub))
    assert "Bcc" not in msg
    assert msg["To"].addresses[0].addr_spec == "reader@example.org"


@pytest.mark.parametrize(
    "addr", ["reader@example.org\r\nBcc: x@y", "pëmbaca@example.org", "no-at-sign", "a@b@"]
)
def test_bad_recipient_address_is_refused(addr):
    with pytest.raises(ValueError):
        build(subscriber=Subscriber(addr, "", "t"))


def test_international_domain_is_idna_encoded_and_name_rfc2047():
    raw, msg = reparse(build(subscriber=Subscriber("pembaca@bücher.example", "Nämé", "t")))
    assert b"<pembaca@xn--bcher-kva.example>" in raw
    assert msg["To"].addresses[0].display_name == "Nämé"


# --------------------------------------------------------------------------- DKIM


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory) -> tuple[Path, bytes]:
    """A throwaway 2048-bit key (private PEM path, DNS TXT record)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the DKIM tests need the `openssl` command to make a throwaway key")
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "private.pem"
    subprocess.run(
        [openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(
        [openssl, "pkey", "-in", key, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def dns_for(record: bytes):
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail._domainkey.news.example.org." else None

    return dnsfunc


def signed_headers(msg: EmailMessage) -> list[str]:
    sig = " ".join(str(msg["DKIM-Signature"]).split())
    h = re.search(r"(?:^|;)\s*h=([^;]*)", sig).group(1)
    return [x.strip().lower() for x in h.split(":")]


@pytest.mark.parametrize("key_as", ["path", "pem"])
def test_dkim_signature_verifies_and_covers_list_headers(rsa_key, monkeypatch, key_as):
    key_path, record = rsa_key
    value = str(key_path) if key_as == "path" else key_path.read_text()
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", value)
    msg = build(config=make_config(dkim_selector="mail"))
    raw, parsed = reparse(msg)
    assert raw.startswith(b"DKIM-Signature: ")  # first, like a trace header
    assert dkim.verify(raw, dnsfunc=dns_for(record))
    assert dkim.verify(msg.as_bytes(), dnsfunc=dns_for(record))  # same bytes, either way
    h = signed_headers(parsed)
    for name in ("from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe"):
        assert name in h
    assert "list-unsubscribe-post" in h
    sig = " ".join(str(parsed["DKIM-Signature"]).split())
    assert "d=news.example.org;" in sig and "s=mail;" in sig and "c=relaxed/relaxed;" in sig


def test_dkim_fails_when_list_unsubscribe_headers_are_tampered(rsa_key, monkeypatch):
    key_path, record = rsa_key
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(key_path))
    raw, _ = reparse(build(config=make_config(dkim_selector="mail")))
    for old, new in (
        (b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x"),
        (b"token=t0k3n", b"token=other"),
    ):
        assert old in raw
        assert not dkim.verify(raw.replace(old, new), dnsfunc=dns_for(record))
    # an added second List-Unsubscribe-Post (oversigned) breaks it too
    forged = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" + raw
    assert not dkim.verify(forged, dnsfunc=dns_for(record))


def test_dkim_with_non_ascii_subject_and_rtl_body(rsa_key, monkeypatch):
    key_path, record = rsa_key
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(key_path))
    a = make_article(title="تقرير خاص — " * 12, summary="ملخص المقال " * 40, language="ar")
    raw, msg = reparse(build(make_digest(a), config=make_config(dkim_selector="mail")))
    assert dkim.verify(raw, dnsfunc=dns_for(record))
    assert msg["Subject"].startswith("Kabar Syndicate: 1 new — تقرير خاص")


def test_dkim_domain_override(rsa_key, monkeypatch):
    key_path, record = rsa_key
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(key_path))
    msg = build(config=make_config(dkim_selector="s1", dkim_domain="example.org"))
    raw, _ = reparse(msg)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"s1._domainkey.example.org." else None

    assert dkim.verify(raw, dnsfunc=dnsfunc)


def test_no_signature_without_selector_even_with_key(rsa_key, monkeypatch):
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(rsa_key[0]))
    assert "DKIM-Signature" not in build()


# --------------------------------------------------------------------------- size


def test_ten_article_message_under_102_kb():
    bio = BIO * 6
    arts = tuple(
        make_article(
            i,
            title=f"Artikel {i}: kerja sama militer antara Korea Utara dan Rusia demi Tiongkok",
            summary=SUMMARY * 4,
            key_bullets=BULLETS * 2,
            author=Author("Alexander Rossi", bio=bio),
        )
        for i in range(10)
    )
    raw, msg = reparse(build(make_digest(*arts)))
    html = msg.get_body(("html",))
    assert len(html.get_content().encode("utf-8")) < 102 * 1024
    assert len(raw) < 102 * 1024


def test_render_preview_files():
    files = render_preview(make_digest(), make_config(), web_url=WEB_URL)
    assert list(files) == ["digest.html", "digest.txt", "digest-web.html", "digest.eml"]
    msg = email.message_from_bytes(files["digest.eml"], policy=policy.default)
    assert msg["To"] == "Preview <preview@example.com>"
    assert "https://news.example.org/unsubscribe/preview" in files["digest.txt"].decode()
    assert "SYNDICATE-UNSUBSCRIBE" not in files["digest.html"].decode()
    assert SUMMARY in files["digest-web.html"].decode()


def test_message_id_for_is_stable_on_site_domain_and_hides_address():
    cfg = make_config()
    secret = b"s" * 32
    a = message_id_for("2026-11-27-001", "Reader@Example.org", cfg, secret)
    assert a == message_id_for("2026-11-27-001", "reader@example.org ", cfg, secret)
    assert a != message_id_for("2026-11-27-001", "other@example.org", cfg, secret)
    assert a != message_id_for("2026-11-27-001", "reader@example.org", cfg, b"t" * 32)
    assert re.fullmatch(r"<2026-11-27-001\.[0-9a-f]{32}@news\.example\.org>", a)
    assert "reader" not in a
    _, msg = reparse(
        build_message(
            render_digest(make_digest(), cfg, web_url=WEB_URL),
            Subscriber("reader@example.org"),
            cfg,
            message_id=a,
            unsubscribe_url=UNSUB,
        )
    )
    assert msg["Message-ID"] == a


def test_unusable_dkim_key_is_a_clear_config_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(bad))
    with pytest.raises(ConfigError, match="SYNDICATE_DKIM_KEY"):
        build(config=make_config(dkim_selector="mail"))
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="cannot read key file"):
        build(config=make_config(dkim_selector="mail"))


def test_dkim_sign_for_a_message_built_with_the_email_package(rsa_key, monkeypatch):
    from syndicate.digest.message import MAIL_POLICY, dkim_sign

    key_path, record = rsa_key
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(key_path))
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = "Kabar Syndicate <digest@news.example.org>"
    msg["To"] = "reader@example.org"
    msg["Subject"] = "Konfirmasi langganan"
    msg.set_content("Klik tautan ini.\n")
    signed = dkim_sign(msg, make_config(dkim_selector="mail"))
    raw = signed.as_bytes(policy=MAIL_POLICY)
    assert raw.startswith(b"DKIM-Signature: ") and dkim.verify(raw, dnsfunc=dns_for(record))
    assert dkim_sign(msg, make_config()) is msg  # no selector: unchanged
