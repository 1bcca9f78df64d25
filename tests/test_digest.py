"""render_digest / render_article_page: templates, labels, escaping, premailer settings."""

from __future__ import annotations

import html as htmllib
import http.server
import re
import threading
from datetime import datetime
from html.parser import HTMLParser

import pytest

from syndicate.config import DigestConfig
from syndicate.core.model import Author, Digest, RelatedLink
from syndicate.core.rendering import clean_text, one_line
from syndicate.digest.render import inline_css, render_digest
from syndicate.site.article_pages import render_article_page
from tests.factories import (
    BULLETS,
    SUMMARY,
    WEB_URL,
    WIB,
    make_article,
    make_config,
    make_digest,
)


def visible_text(html: str) -> str:
    """Body text without tags, entities decoded, whitespace collapsed."""
    body = html.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def attribute_names(html: str) -> set[str]:
    names: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            names.update(k for k, _ in attrs)

    Collect().feed(html)
    return names


# --------------------------------------------------------------------------- HTML


def test_html_has_layout_language_and_per_article_content():
    r = render_digest(make_digest(n=2), make_config(), web_url=WEB_URL)
    h = r.html
    assert h.startswith("<!DOCTYPE html>")
    assert re.search(r'<html lang="id" dir="ltr"', h)
    tables = re.findall(r"<table\b[^>]*>", h)
    assert tables and all('role="presentation"' in t for t in tables)
    text = visible_text(h)
    # header: site name and the date in Indonesian (Babel), with the digest label
    assert "Kabar Syndicate" in text and "Ringkasan · 27 November 2026" in text
    assert "2 artikel baru sejak ringkasan terakhir." in text
    assert text.count("Oleh Alexander Rossi · 26 November 2026") == 2
    assert SUMMARY in text
    assert "Poin penting" in text
    for b in BULLETS:
        assert f"<li>{b}</li>" in h or re.search(rf"<li[^>]*>{re.escape(b)}</li>", h)
    assert text.count("Baca selengkapnya") == 2
    assert "Tentang penulis." in text and "Gadget & Teknologi" in text
    # linked title and button both point at article_link (our page: no canonical URL)
    assert h.count('href="https://news.example.org/articles/artikel-1.html"') == 2
    # footer: why, unsubscribe (placeholder), view in browser, postal address
    assert "Anda menerima email ini karena berlangganan Kabar Syndicate." in text
    assert re.search(rf'<a href="{r.unsubscribe_placeholder}"[^>]*>Berhenti berlangganan</a>', h)
    assert re.search(rf'<a href="{re.escape(WEB_URL)}"[^>]*>Lihat di peramban</a>', h)
    assert "Jl. Contoh No. 1, Jakarta 10110, Indonesia" in text


def test_preheader_is_hidden_lead_summary_and_first_text():
    r = render_digest(make_digest(n=3), make_config(), web_url=WEB_URL)
    body = r.html.split("<body", 1)[1]
    m = re.search(r'<div class="preheader" style="([^"]*)"[^>]*>([^<]*)</div>', body)
    assert m, "no preheader"
    assert "display:none" in m.group(1) and "mso-hide:all" in m.group(1)
    assert htmllib.unescape(m.group(2)).startswith(SUMMARY[:100])
    # nothing visible before it
    assert visible_text(r.html).startswith(SUMMARY[:50])


def test_css_is_inlined_and_media_rules_kept_with_important():
    r = render_digest(make_digest(), make_config(), web_url=WEB_URL)
    h = r.html
    # digest.css went into style="" attributes …
    assert re.search(r'<h2 class="title" style="[^"]*font-size:22px', h)
    assert re.search(r'<td class="button" bgcolor="#1d4ed8" style="[^"]*padding:11px 22px', h)
    # … and its <style> block is gone; the responsive block stays, !important intact
    styles = re.findall(
        r"<style[^>]*>(.*?)</style>", re.sub(r"<!--.*?-->", "", h, flags=re.S), re.S
    )
    assert len(styles) == 1
    kept = styles[0]
    assert "@media screen and (max-width: 620px)" in kept
    assert "@media (prefers-color-scheme: dark)" in kept
    assert ".container { width: 100% !important; }" in kept
    assert "data-premailer" not in h
    # classes stay: the kept @media rules select by class
    assert 'class="article"' in h


def test_button_works_without_border_radius():
    """Outlook for Windows: a padded cell with bgcolor; border-radius only inside @media."""
    r = render_digest(make_digest(), make_config(), web_url=WEB_URL)
    cell = re.search(r'<td class="button"[^>]*>', r.html).group(0)
    assert 'bgcolor="#1d4ed8"' in cell and "padding:" in cell
    assert "border-radius" not in cell
    inline = " ".join(re.findall(r'style="([^"]*)"', r.html))
    assert "border-radius" not in inline


def test_inline_css_never_fetches_link_stylesheets():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red; }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/evil.css"
        out = inline_css(
            f'<html><head><link rel="stylesheet" href="{url}"><style>p {{ margin: 0 }}</style>'
            "</head><body><p>x</p></body></html>"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert '<p style="margin:0">x</p>' in out
    assert "color:red" not in out.replace(" ", "")


def test_important_in_media_survives_inlining():
    out = inline_css(
        "<html><head><style>p { color: #111 }\n@media (max-width: 600px) "
        "{ p { color: #222 !important } }</style></head><body><p>x</p></body></html>"
    )
    assert '<p style="color:#111">x</p>' in out
    assert "!important" in out


# --------------------------------------------------------------------------- escaping


HOSTILE = '<script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} " onmouseover="x'


def test_hostile_article_text_is_escaped_and_never_evaluated():
    a = make_article(
        title=HOSTILE,
        summary=HOSTILE,
        key_bullets=(HOSTILE,),
        author=Author("<b>Mallory</b> {{ config }}", bio=HOSTILE),
        url="javascript:alert(1)",
    )
    r = render_digest(make_digest(a), make_config(), web_url=WEB_URL)
    for out in (r.html, r.web_html):
        assert "<script>" not in out and "<b>Mallory" not in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        assert "javascript:" not in out
        assert not any(n.startswith("on") for n in attribute_names(out))  # text, not markup
        text = visible_text(out)
        assert "{{ 7*7 }}" in text and "{% if 1 %}x{% endif %}" in text
        assert "49" not in text
        assert "<b>Mallory</b> {{ config }}" in text
    # javascript: canonical URL falls back to our own page
    assert 'href="https://news.example.org/articles/artikel-0.html"' in r.html
    # plain text is not HTML-escaped and not evaluated either
    assert "<script>alert(1)</script> {{ 7*7 }}" in " ".join(r.text.split())
    assert "&lt;" not in r.text and "javascript:" not in r.text


def test_control_characters_and_line_separators_do_not_break_html():
    a = make_article(title="Judul\u2028kedua\x00\x1b[31m\r\nBaris", summary="A\u2029B\x07C")
    r = render_digest(make_digest(a), make_config(), web_url=WEB_URL)
    assert "\x00" not in r.html and "\x1b" not in r.html and "\x07" not in r.text
    assert "Judul kedua[31m Baris" in visible_text(r.html)
    assert "\u2028" not in r.subject and "\n" not in r.subject


# --------------------------------------------------------------------------- author bio

LONG_BIO = (
    "Sari Wulandari covers energy and mining for the paper from its Jakarta newsroom, with a "
    "degree in economics from Universitas Gadjah Mada. Before that she spent eight years at a "
    "wire agency in Singapore, reporting on commodities. She has won two national awards for "
    "her investigations into coal permits. She lives in Bogor with her family and two cats."
)
ONE_LONG_SENTENCE = (
    "Budi Santoso has reported on Indonesian politics, regional elections, the national budget, "
    "labour disputes, land conflicts and the courts for more than twenty years across Java, "
    "Sumatra, Kalimantan and Sulawesi for newspapers, radio and television"
)


def _text_part_bio(text: str) -> str:
    flat = " ".join(text.split())
    return flat.split("Tentang penulis. ", 1)[1].split(" Baca selengkapnya", 1)[0].split(" ----")[0]


def _html_bio(html: str) -> str:
    m = re.search(r'<p class="bio"[^>]*>(.*?)</p>', html, re.S)
    assert m, "no bio paragraph"
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())


@pytest.mark.parametrize(
    ("bio", "expected"),
    [
        (
            LONG_BIO,
            "Sari Wulandari covers energy and mining for the paper from its Jakarta newsroom, "
            "with a degree in economics from Universitas Gadjah Mada.",
        ),
        (
            ONE_LONG_SENTENCE,
            "Budi Santoso has reported on Indonesian politics, regional elections, the national "
            "budget, labour disputes, land conflicts and the courts for more than twenty years "
            "across Java, Sumatra, Kalimantan…",
        ),
    ],
)
def test_digest_shows_the_first_sentence_of_the_bio_at_most_200_characters(bio, expected):
    a = make_article(author=Author("Sari Wulandari", bio=bio))
    r = render_digest(make_digest(a), make_config(), web_url=WEB_URL)
    for html in (r.html, r.web_html):
        shown = _html_bio(html)
        assert shown == f"Tentang penulis. {expected}"
    assert _text_part_bio(r.text) == expected
    assert len(expected) <= 200
    # a word boundary: what is shown (before an ellipsis) is a prefix of the bio ending a word
    kept = expected.removesuffix("…")
    assert bio.startswith(kept) and bio[len(kept) : len(kept) + 1] in ("", " ", ",")
    # the article's own page keeps the whole bio
    page = render_article_page(a, make_config())
    assert htmllib.escape(bio, quote=False) in " ".join(page.split())


# --------------------------------------------------------------------------- text part


def test_text_part_is_designed_wrapped_and_references_links():
    arts = tuple(
        make_article(i, url="https://example.com/very/long/" + "x" * 90 if i == 1 else None)
        for i in range(3)
    )
    r = render_digest(make_digest(*arts), make_config(), web_url=WEB_URL)
    t = r.text
    assert "<" not in t and "&amp;" not in t and "Gadget & Teknologi" in " ".join(t.split())
    lines = t.splitlines()
    long_lines = [ln for ln in lines if len(ln) > 78]
    assert all(re.search(r"https?://\S{40,}", ln) for ln in long_lines), long_lines
    assert t.startswith("KABAR SYNDICATE\nRingkasan · 27 November 2026\n")
    assert "1. Kerja sama militer antara Korea Utara dan Rusia demi kepentingan" in t
    assert "   Oleh Alexander Rossi · 26 November 2026" in lines
    assert "   Poin penting:" in lines
    for b in BULLETS:
        assert f"   * {b}" in lines
    assert "   Baca selengkapnya: [2]" in lines
    # numbered references after the articles, in order
    refs = [ln for ln in lines if re.match(r"\[\d+\] ", ln)]
    assert refs == [
        "[1] https://news.example.org/articles/artikel-0.html",
        "[2] https://example.com/very/long/" + "x" * 90,
        "[3] https://news.example.org/articles/artikel-2.html",
    ]
    # summary wrapped into the article's indentation
    assert "   Lebih dari 11.000 tentara Korea Utara terlibat dalam pertempuran di pihak" in lines
    # footer: unsubscribe placeholder, web version, postal address
    i = lines.index("Berhenti berlangganan:")
    assert lines[i + 1] == r.unsubscribe_placeholder
    i = lines.index("Lihat di peramban:")
    assert lines[i + 1] == WEB_URL
    assert "Jl. Contoh No. 1, Jakarta 10110, Indonesia" in t
    assert all(ln == ln.rstrip() for ln in lines)


# --------------------------------------------------------------------------- web version


def test_web_version_has_no_personal_links():
    r = render_digest(make_digest(n=2), make_config(), web_url=WEB_URL)
    w = r.web_html
    assert r.unsubscribe_placeholder not in w
    assert "Berhenti berlangganan" not in w and "preheader" not in w
    assert WEB_URL not in w  # "view in browser" makes no sense in the browser
    assert SUMMARY in visible_text(w) and 'lang="id"' in w
    assert r.unsubscribe_placeholder in r.html and r.unsubscribe_placeholder in r.text


def test_empty_digest_is_refused():
    with pytest.raises(ValueError, match="no articles"):
        render_digest(
            Digest("2026-11-27-001", datetime(2026, 11, 27, tzinfo=WIB), ()),
            make_config(),
            web_url=WEB_URL,
        )


def test_rendering_is_deterministic():
    d = make_digest(n=3)
    assert render_digest(d, make_config(), web_url=WEB_URL) == render_digest(
        d, make_config(), web_url=WEB_URL
    )


# --------------------------------------------------------------------------- languages


def test_english_labels_and_date():
    r = render_digest(make_digest(n=1), make_config("en"), web_url=WEB_URL)
    text = visible_text(r.html)
    assert "By Alexander Rossi · November 26, 2026" in text
    assert "Digest · November 27, 2026" in text
    assert "1 new article since the last digest." in text  # singular via CLDR plural rules
    assert "Read more" in text and "Unsubscribe" in text and "Key points" in text
    assert 'lang="en" dir="ltr"' in r.html
    # the Indonesian article keeps its own language inside the English digest
    assert re.search(r'<td class="article" lang="id"', r.html)


def test_unknown_language_falls_back_to_english_labels():
    r = render_digest(make_digest(), make_config("sw"), web_url=WEB_URL)
    assert 'lang="sw"' in r.html and "Read more" in r.html and "Unsubscribe" in r.text


def test_partial_language_falls_back_per_key():
    # a language whose labels are all given: German throughout, dates in German too
    r = render_digest(make_digest(), make_config("de"), web_url=WEB_URL)
    assert "Weiterlesen" in r.html and "27. November 2026" in r.html and "Von Alexander" in r.html


@pytest.mark.parametrize("lang", ["ar", "he", "fa", "ur"])
def test_rtl_languages_get_dir_rtl(lang):
    r = render_digest(make_digest(), make_config(lang), web_url=WEB_URL)
    assert f'<html lang="{lang}" dir="rtl"' in r.html
    # the Indonesian article inside is marked left-to-right again, bullets indented on the left
    assert re.search(r'<td class="article" lang="id" dir="ltr"', r.html)
    assert re.search(r'<ul class="bullets bullets-ltr" style="[^"]*padding-left:22px', r.html)
    ar = make_article(language=lang, title="عنوان")
    r = render_digest(make_digest(ar), make_config(lang), web_url=WEB_URL)
    assert re.search(r'<td class="article" style=', r.html)  # same language: no lang/dir
    assert re.search(r'<ul class="bullets bullets-rtl" style="[^"]*padding-right:22px', r.html)


def test_arabic_labels():
    r = render_digest(make_digest(), make_config("ar"), web_url=WEB_URL)
    assert "اقرأ المزيد" in r.html and "إلغاء الاشتراك" in r.text


def test_user_templates_folder_overrides_single_files(tmp_path):
    (tmp_path / "digest.css").write_text(".title { color: #ff0000; }\n", encoding="utf-8")
    (tmp_path / "labels.toml").write_text('[id]\nread_more = "Lanjut baca"\n', encoding="utf-8")
    r = render_digest(make_digest(), make_config(paths={"templates": tmp_path}), web_url=WEB_URL)
    assert re.search(r'<h2 class="title" style="color:#f00', r.html)
    assert "Lanjut baca" in r.html and "Poin penting" in r.html  # other labels from built-in


# --------------------------------------------------------------------------- subject, size


def test_subject_from_template_single_line():
    cfg = make_config()
    cfg = cfg.model_copy(
        update={"digest": DigestConfig(subject="{site} {date}: {count} — {first_title}")}
    )
    a = make_article(title="Baris satu\r\nBcc: evil@example.com\u2028X-Evil: 1")
    r = render_digest(make_digest(a), cfg, web_url=WEB_URL)
    assert r.subject == (
        "Kabar Syndicate 27 November 2026: 1 — Baris satu Bcc: evil@example.com X-Evil: 1"
    )


def test_ten_article_digest_stays_under_gmail_clip():
    long_summary = " ".join([SUMMARY] * 3)
    arts = tuple(
        make_article(i, summary=long_summary, key_bullets=BULLETS * 2, title=f"Artikel {i} " * 8)
        for i in range(10)
    )
    r = render_digest(make_digest(*arts), make_config(), web_url=WEB_URL)
    assert len(r.html.encode("utf-8")) < 102 * 1024
    assert len(r.web_html.encode("utf-8")) < 102 * 1024


# --------------------------------------------------------------------------- article page


def test_article_page_is_escaped_readable_and_grouped():
    a = make_article(
        title=HOSTILE,
        url="https://publisher.example/artikel?id=1&x=2",
        related=(RelatedLink("Pasukan Korea Utara", "javascript:alert(2)"),),
        tags=("politik",),
    )
    page = render_article_page(a, make_config("en"))
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en" dir="ltr">' in page  # the site's layout and labels …
    assert '<article class="story" lang="id">' in page  # … the article in its own language
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "{{ 7*7 }}" in page
    assert "javascript:" not in page
    assert '<link rel="canonical" href="https://publisher.example/artikel?id=1&amp;x=2">' in page
    assert "By Alexander Rossi" in page and "November 26, 2026" in page
    assert "<h2>Summary</h2>" in page and "<h2>Key points</h2>" in page
    # consecutive list items become one list; headings stay headings
    assert re.search(
        r"<ul>\s*<li>Keuntungan geopolitik</li>\s*<li>Dasar ideologis dan strategis</li>\s*</ul>",
        page,
    )
    assert "<h2>Kemungkinan risiko bagi Tiongkok</h2>" in page
    assert "Gadget &amp; Teknologi" in page


def test_article_page_prints_the_dek_under_the_headline():
    dek = "Pyongyang's troops <b>serve</b> Beijing's interests, an analyst writes."
    page = render_article_page(make_article(dek=dek), make_config())
    headline_end = page.index("</h1>")
    shown = page.index('<p class="dek">')
    assert headline_end < shown < page.index('class="meta"')
    assert "Pyongyang&#39;s troops &lt;b&gt;serve&lt;/b&gt; Beijing&#39;s" in page
    assert 'class="dek"' not in render_article_page(make_article(), make_config())


def test_article_page_without_summary_does_not_repeat_first_paragraph():
    page = render_article_page(make_article(summary="", key_bullets=()), make_config())
    assert page.count("Lebih dari 11.000 tentara Korea Utara terlibat.") == 1
    assert 'class="summary"' not in page


def test_long_unbroken_words_get_break_opportunities_in_html_only():
    word = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrente"
    r = render_digest(
        make_digest(make_article(summary=f"Kata {word} panjang.")), make_config(), web_url=WEB_URL
    )
    summary = re.search(r'<p class="summary"[^>]*>(.*?)</p>', r.html).group(1)
    assert word not in summary and "\u200b" in summary
    assert summary.replace("\u200b", "") == f"Kata {word} panjang."
    assert word in r.text and "\u200b" not in r.text


def test_read_more_arrow_follows_reading_direction():
    ltr = render_digest(make_digest(), make_config(), web_url=WEB_URL).html
    rtl = render_digest(make_digest(), make_config("ar"), web_url=WEB_URL).html
    assert "Baca selengkapnya →</a>" in ltr
    assert "اقرأ المزيد ←</a>" in rtl and "&amp;larr;" not in rtl


def test_article_page_falls_back_to_sanitized_body_html():
    a = make_article(
        blocks=(),
        body_html='<p onclick="x()">Isi <b>tebal</b><script>alert(1)</script>'
        '<img src="https://tracker.example/p.gif" onerror="y()">'
        '<a href="javascript:z()">tautan</a> <a href="https://ok.example/">ok</a></p>',
    )
    page = render_article_page(a, make_config())
    assert "Isi <b>tebal</b>" in page
    assert "<script" not in page and "alert(1)" not in page
    assert "onclick" not in page and "onerror" not in page and "javascript:" not in page
    assert "tracker.example" not in page
    assert '<a href="https://ok.example/" rel="noopener noreferrer">ok</a>' in page


def test_one_line_keeps_zwnj_drops_bidi_overrides_and_surrogates():
    assert one_line("می\u200cخواهم\u2028x") == "می\u200cخواهم x"
    assert one_line("abc\u202edcba\u202c") == "abcdcba"
    assert clean_text("a\ud800b") == "ab"


def test_text_part_aligns_two_digit_numbers():
    r = render_digest(make_digest(n=10), make_config(), web_url=WEB_URL)
    lines = r.text.splitlines()
    assert " 1. Kerja sama militer antara Korea Utara dan Rusia demi kepentingan Tiongkok" in lines
    assert "10. Kerja sama militer antara Korea Utara dan Rusia demi kepentingan Tiongkok" in lines
    assert "    Oleh Alexander Rossi · 26 November 2026" in lines
    assert " [9] https://news.example.org/articles/artikel-8.html" in lines
    assert "[10] https://news.example.org/articles/artikel-9.html" in lines
    assert all(len(ln) <= 78 for ln in lines if "://" not in ln)
