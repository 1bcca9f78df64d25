"""Decoding and normalization: every encoding publishers produce ends up as clean NFC text."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest

from syndicate.readers.hygiene import decode, normalize
from syndicate.readers.read import read_article

ID_TEXT = (
    "Café “Kopi Kenangan” buka cabang baru\n\n"
    "Pemilik kafe, José Hernández, mengatakan cabang ke-12 itu dibuka Sabtu — lebih cepat "
    "dari rencana. Harga kopi mulai Rp 18.000 per gelas.\n"
)


def read_bytes(tmp_path: Path, data: bytes, name: str = "a.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return read_article(path, inbox=tmp_path)


@pytest.mark.parametrize(
    "data",
    [
        ID_TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + ID_TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + ID_TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + ID_TEXT.encode("utf-16-be"),
        ID_TEXT.encode("utf-16"),  # Python writes a BOM in native order
        ID_TEXT.encode("cp1252"),
        ID_TEXT.replace("“", '"').replace("”", '"').replace("—", "-").encode("latin-1"),
        ID_TEXT.replace("\n", "\r\n").encode("cp1252"),
        ID_TEXT.encode("utf-16-le"),
        ID_TEXT.encode("utf-16-be"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16le-bom",
        "utf16be-bom",
        "utf16",
        "cp1252",
        "latin1",
        "crlf",
        "utf16le-no-bom",
        "utf16be-no-bom",
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path, data):
    article = read_bytes(tmp_path, data)
    assert article.title.startswith("Café ")
    assert article.title.endswith("Kenangan” buka cabang baru") or article.title.endswith(
        'Kenangan" buka cabang baru'
    )
    assert "José Hernández" in article.paragraphs[0]
    assert "\r" not in article.text and "\ufeff" not in article.title


def test_cp1252_smart_quotes_are_not_mojibake():
    text = decode(ID_TEXT.encode("cp1252"))
    assert "“Kopi Kenangan”" in text and "—" in text
    assert "â€" not in text


def test_nfc():
    decomposed = "Cafe\u0301 Tie\u0302\u0301ng Vie\u0323\u0302t"
    assert normalize(decomposed) == unicodedata.normalize("NFC", decomposed)
    assert normalize(decomposed) == "Café Tiếng Việt"


def test_line_endings():
    assert normalize("a\r\nb\rc\u2028d\u2029e\x85f") == "a\nb\nc\nd\ne\nf"


def test_controls_and_invisible_junk_are_removed():
    dirty = (
        "Ju\x00d\x07ul\u200b ber\u00adita\x1b[31m \x9b\u2060x\ufeffy\u202eevil\u202c\u2066iso\u2069"
    )
    assert normalize(dirty) == "Judul berita[31m xyeviliso"


def test_joiners_and_bidi_marks_are_kept():
    # ZWJ builds emoji and Indic conjuncts, ZWNJ is Persian spelling, RLM/LRM pin direction.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "می\u200cخواهم"
    hebrew = "\u05d1\u05e9\u05e0\u05ea 2026\u200f"
    assert normalize(family) == family
    assert normalize(persian) == persian
    assert normalize(hebrew) == hebrew


def test_tabs_and_trailing_spaces():
    assert normalize("a\tb   \nc \t") == "a    b\nc"


def test_rtl_and_cjk_survive_the_whole_reader(tmp_path):
    text = (
        "שריפה גדולה בכרמל נשלטה אחרי יומיים\n\n"
        "כוחות הכיבוי השתלטו הבוקר על השריפה, שפרצה ביום ראשון ליד חיפה. "
        "לא היו נפגעים בנפש.\n\n"
        "東京で初雪、平年より十日早く\n"
    )
    article = read_bytes(tmp_path, text.encode("utf-8"))
    assert article.title == "שריפה גדולה בכרמל נשלטה אחרי יומיים"
    assert article.paragraphs == (
        "כוחות הכיבוי השתלטו הבוקר על השריפה, שפרצה ביום ראשון ליד חיפה. לא היו נפגעים בנפש.",
        "東京で初雪、平年より十日早く",
    )
    assert article.language == "he"


def test_utf8_decodes_even_when_it_could_be_latin1():
    # Every byte string is valid latin-1; UTF-8 must be tried (and win) first.
    assert decode("naïve résumé".encode()) == "naïve résumé"


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [("zh_news.txt", "gbk"), ("zh_news.txt", "gb18030"), ("ar_news.txt", "cp1256")],
)
def test_legacy_cjk_and_arabic_encodings(sample, encoding):
    text = (Path(__file__).parent / "samples" / "readers" / sample).read_text(encoding="utf-8")
    assert decode(text.encode(encoding)) == text


HEBREW = (
    "שריפה גדולה בכרמל נשלטה אחרי יומיים\n\nכוחות הכיבוי השתלטו הבוקר על השריפה, שפרצה ביום "
    "ראשון ליד חיפה. לא היו נפגעים בנפש. המשטרה פתחה בחקירה כדי לברר את סיבת השריפה, ותושבי "
    "השכונות הסמוכות חזרו לבתיהם בערב."
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # Short Western texts: charset-normalizer alone answers cp1250 ("Naďve") or even
        # mac_iceland for these; among equally clean decodings we prefer Windows-1252.
        ("Naïve résumé\n\nThe café served crème brûlée.", "cp1252"),
        ("Café\n\nIt costs 5€ — nice.", "cp1252"),
        ("Jalan\n\nHarga naik 5% – kata pejabat.", "cp1252"),
        ("x\n\né", "latin-1"),
        ("Zażółć gęślą jaźń — polski tekst o pogodzie w Krakowie.", "cp1250"),
        ("Привет, как дела? Это тестовая статья о погоде в Москве.", "cp1251"),
        ("Καλημέρα, αυτό είναι ένα άρθρο για τον καιρό.", "cp1253"),
        (HEBREW, "cp1255"),
    ],
)
def test_legacy_code_pages(text, encoding):
    assert decode(text.encode(encoding)) == text
