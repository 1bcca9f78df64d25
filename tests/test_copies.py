"""Build once, personalize bytes: every copy a template makes is the message built for that
subscriber alone, whatever the body's encoding, and no line grows past the limits."""

from __future__ import annotations

import base64
import binascii
import email
import quopri
import random
import re
from email import policy
from email.header import decode_header, make_header

import dkim
import pytest

from syndicate.digest.encoding import (
    base64_body,
    canonical_text,
    dot_stuff,
    quoted_printable_body,
)
from syndicate.digest.message import MessageTemplate, Recipient, build_template
from syndicate.digest.render import render_digest
from tests.factories import WEB_URL, make_article, make_config, make_digest
from tests.test_mail import dns_for, rsa_key  # noqa: F401  (a fixture)

HOLE = b"SYNDICATE-UNSUBSCRIBE-0123456789abcdef01234567"


# ---------------------------------------------------------------- the encoders


def _random_text(rng: random.Random, arabic: bool) -> bytes:
    words = ["ملخص", "المقال", "تقرير", "Jakarta", "—", "é", "=", ".", "x" * 90] if arabic else [
        "Halo", "dunia", "=", "tab\t", ".", "trailing ", "é", "y" * 100, "a=b", "..",
    ]  # fmt: skip
    lines = []
    for _ in range(rng.randint(1, 40)):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(0, 25)))
        if rng.random() < 0.3:
            cut = rng.randint(0, len(line))
            line = line[:cut] + HOLE.decode() + line[cut:]
        lines.append(line)
    raw = canonical_text("\n".join(lines))
    if rng.random() < 0.3:
        raw = HOLE + raw  # at the very start
    if rng.random() < 0.3:
        raw += HOLE + HOLE  # adjacent holes at the very end
    return raw


@pytest.mark.parametrize("seed", range(60))
def test_bodies_with_holes_decode_to_the_text_with_each_value(seed: int):
    rng = random.Random(seed)
    raw = _random_text(rng, arabic=seed % 2 == 0)
    for length in (0, 1, 2, 3, 4, 5, 31, 32, 33, 100, 250):
        value = bytes(rng.choice(b"abcXYZ019-_:/?&=.") for _ in range(length))
        expected = raw.replace(HOLE, value)
        filled_b64 = base64_body(raw, HOLE).fill([value] * raw.count(HOLE))
        assert binascii.a2b_base64(filled_b64.replace(b"\r\n", b"")) == expected
        assert all(len(line) <= 76 for line in filled_b64.split(b"\r\n"))
        filled_qp = quoted_printable_body(raw, HOLE).fill([value] * raw.count(HOLE))
        assert quopri.decodestring(filled_qp) == expected
        assert all(len(line) <= 76 for line in filled_qp.split(b"\r\n")), filled_qp
        assert not re.search(rb"[ \t]\r\n", filled_qp)  # no bare trailing whitespace


def test_dot_stuffing_doubles_line_leading_dots_only():
    assert dot_stuff(b".a\r\nb.c\r\n..\r\n") == b"..a\r\nb.c\r\n...\r\n"


# ---------------------------------------------------------------- whole messages


def _template(digest=None, config=None) -> tuple[MessageTemplate, str]:
    config = config or make_config()
    rendered = render_digest(digest or make_digest(), config, web_url=WEB_URL)
    return build_template(rendered, config), rendered


def _recipient(i: int, name: str | None = None, token: str | None = None) -> Recipient:
    token = token if token is not None else f"tok{i:029d}"
    return Recipient(
        f"reader{i}@example.org",
        f"Pembaca {i}" if name is None else name,
        f"<2026-11-27-001.{i:020x}@news.example.org>",
        f"https://news.example.org/unsubscribe/{token}",
        preferences_url=f"https://news.example.org/preferences/{token}",
    )


def _personal(rendered, r: Recipient, body: str) -> str:
    """`body` of the rendered digest with both of the recipient's links filled in."""
    body = body.replace(rendered.unsubscribe_placeholder, r.unsubscribe_url)
    return body.replace(rendered.preferences_placeholder, r.preferences_url)


ARABIC = make_article(title="تقرير خاص — " * 12, summary="ملخص المقال " * 40, language="ar")


@pytest.mark.parametrize("digest", [make_digest(), make_digest(ARABIC)], ids=["qp", "base64"])
def test_each_copy_is_that_subscribers_message(digest):
    template, rendered = _template(digest)
    cte = "base64" if digest is not make_digest() and digest.articles[0] is ARABIC else None
    names = ["Pembaca", 'Quote "me", \\ please', "Nämé Ünïcödé", "ب" * 80, "x" * 120, ""]
    for i, name in enumerate(names):
        r = _recipient(i, name=name, token="t" * (i * 7 + 1))
        raw = template.copy(r)
        msg = email.message_from_bytes(raw, policy=policy.default)
        to = msg["To"].addresses[0]
        assert to.addr_spec == r.email
        # policy.default puts spaces between adjacent encoded words of a display name (its
        # own output does the same); decode_header joins them as RFC 2047 says.
        legacy = email.message_from_bytes(raw)["To"]
        decoded = str(make_header(decode_header(legacy))).rpartition(" <")[0]
        assert name == (to.display_name if name.isascii() and len(name) < 60 else decoded)
        assert msg["Message-ID"] == r.message_id
        assert msg["List-Unsubscribe"].strip() == f"<{r.unsubscribe_url}>"
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
        assert text == _personal(rendered, r, rendered.text)
        assert html == _personal(rendered, r, rendered.html).replace("\r\n", "\n")
        assert r.preferences_url in text and r.unsubscribe_url in text
        if cte:
            assert msg.get_body(("html",))["Content-Transfer-Encoding"] == cte
        for line in raw.split(b"\r\n"):
            assert len(line) <= 78, line
        # What the email package writes back is the same bytes (previews, one-off sends).
        assert msg.as_bytes(policy=policy.SMTP) == raw


def test_smtp_copies_are_the_same_message_dot_stuffed():
    a = make_article(summary="Baris pertama.\n.titik di awal baris\n..dua titik")
    template, _ = _template(make_digest(a))
    r = _recipient(7)
    assert template.copy(r, smtp=True) == dot_stuff(template.copy(r))


def test_a_copy_costs_no_encoding_of_the_body(monkeypatch):
    import syndicate.digest.encoding as encoding

    template, _ = _template()
    calls = []
    monkeypatch.setattr(encoding, "_qp", lambda raw: calls.append(raw))
    monkeypatch.setattr(encoding, "b64_lines", lambda raw: calls.append(raw) or b"")
    template.copy(_recipient(1))
    assert calls == []


@pytest.mark.parametrize(
    "bad",
    [
        {"email": "pëmbaca@example.org"},
        {"email": "a@b@c"},
        {"email": "reader@example.org\r\nBcc: x@y"},
        {"message_id": "<no-at-sign>"},
        {"unsubscribe_url": "javascript:alert(1)"},
        {"unsubscribe_mailto": "mailto:a@b?subject=x y"},
    ],
)
def test_values_no_message_can_carry_are_refused(bad):
    from dataclasses import replace

    template, _ = _template()
    with pytest.raises(ValueError):
        template.copy(replace(_recipient(1), **bad))


def test_dkim_signs_each_copy(rsa_key, monkeypatch):  # noqa: F811
    key_path, record = rsa_key
    monkeypatch.setenv("SYNDICATE_DKIM_KEY", str(key_path))
    template, _ = _template(config=make_config(dkim_selector="mail"))
    first, second = template.copy(_recipient(1)), template.copy(_recipient(2))
    for raw in (first, second):
        assert raw.startswith(b"DKIM-Signature: ")
        assert dkim.verify(raw, dnsfunc=dns_for(record))
    signature = re.compile(rb"\bb=([^;]+)")
    assert signature.search(first).group(1) != signature.search(second).group(1)
    # Swapping one subscriber's unsubscribe link into another's copy breaks the signature.
    forged = second.replace(b"tok" + b"0" * 28 + b"2", b"tok" + b"0" * 28 + b"1")
    assert forged != second and not dkim.verify(forged, dnsfunc=dns_for(record))


def test_base64_copies_decode_exactly():
    template, _rendered = _template(make_digest(ARABIC))
    raw = template.copy(_recipient(3))
    body = raw.split(b"Content-Transfer-Encoding: base64\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    decoded = base64.b64decode(body.replace(b"\r\n", b"")).decode("utf-8")
    assert _recipient(3).unsubscribe_url.replace("&", "&amp;") in decoded


def test_an_internationalized_site_domain_goes_in_headers_as_idna():
    from syndicate.config import SiteConfig
    from syndicate.digest.headers import message_id_for

    config = make_config()
    config = config.model_copy(
        update={"site": config.site.model_copy(update={"base_url": "https://bücher.example/"})}
    )
    mid = message_id_for("2026-11-27-001", "reader@example.org", config, b"s" * 32)
    assert mid.endswith("@xn--bcher-kva.example>")
    template, _ = _template(config=config)
    raw = template.copy(Recipient("reader@example.org", "", mid, "https://bücher.example/u/t"))
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Message-ID"] == mid and raw.isascii()
    assert isinstance(config.site, SiteConfig)
