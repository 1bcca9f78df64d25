"""Sentence splitting and datelines (issue #4, #13). Self-contained: no outside data."""

from __future__ import annotations

import pytest

from syndicate.text.sentences import split_sentences
from syndicate.text.structure import strip_dateline

# --- splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Pasien ditangani dr. Andi dan Prof. Budi di RS Jl. Sudirman No. 5. Kondisinya stabil.",
            [
                "Pasien ditangani dr. Andi dan Prof. Budi di RS Jl. Sudirman No. 5.",
                "Kondisinya stabil.",
            ],
        ),
        (
            "Ir. H. Joko Widodo meresmikan pabrik PT. Semen Indonesia Tbk. di Tuban. "
            "Nilai investasinya Rp 52.017.195 per unit.",
            [
                "Ir. H. Joko Widodo meresmikan pabrik PT. Semen Indonesia Tbk. di Tuban.",
                "Nilai investasinya Rp 52.017.195 per unit.",
            ],
        ),
        (
            "Penelitian Santoso dkk. menunjukkan hasil serupa. Inflasi naik 6,17 persen.",
            ["Penelitian Santoso dkk. menunjukkan hasil serupa.", "Inflasi naik 6,17 persen."],
        ),
        (
            '"Kami sudah siap. Semua lancar," ujar Kepala BPS Suhariyanto. Ia optimistis.',
            ['"Kami sudah siap. Semua lancar," ujar Kepala BPS Suhariyanto.', "Ia optimistis."],
        ),
        (
            "“Ini langkah maju!” kata Menteri. Rapat berlanjut hingga malam.",
            ["“Ini langkah maju!” kata Menteri.", "Rapat berlanjut hingga malam."],
        ),
    ],
)
def test_split_indonesian(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "id") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. Attorney met B.B. King in Memphis. He played 3.5 hours.",
            ["The U.S. Attorney met B.B. King in Memphis.", "He played 3.5 hours."],
        ),
        (
            "Sanctions were imposed by the U.S. The move angered Moscow.",
            ["Sanctions were imposed by the U.S.", "The move angered Moscow."],
        ),
        (
            '"We are ready. The team is fit," said Dr. Smith. Mr. Jones agreed.',
            ['"We are ready. The team is fit," said Dr. Smith.', "Mr. Jones agreed."],
        ),
        (
            'Is it over? "Not yet!" he said. Wait... it\'s fine. Shares of Apple Inc. rose.',
            [
                "Is it over?",
                '"Not yet!" he said.',
                "Wait... it's fine.",
                "Shares of Apple Inc. rose.",
            ],
        ),
    ],
)
def test_split_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "NEW YORK, Nov. 27 (Reuters) - Stocks rose on Friday. Bonds fell.",
            ["NEW YORK, Nov. 27 (Reuters) - Stocks rose on Friday.", "Bonds fell."],
        ),
        (
            "JAKARTA, KOMPAS.com - Harga beras naik pada pukul 10.00 WIB. Pedagang mengeluh.",
            ["JAKARTA, KOMPAS.com - Harga beras naik pada pukul 10.00 WIB.", "Pedagang mengeluh."],
        ),
        (
            "Apple sold 5.2 million units. iPhone sales rose 3.5 percent in 2019. 2020 was worse.",
            [
                "Apple sold 5.2 million units.",
                "iPhone sales rose 3.5 percent in 2019.",
                "2020 was worse.",
            ],
        ),
    ],
)
def test_split_datelines_and_numbers(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_cjk() -> None:
    text = "今天天气很好。我们去公园吧！你来吗？好的"
    assert split_sentences(text, "zh") == ["今天天气很好。", "我们去公园吧！", "你来吗？", "好的"]
    assert split_sentences("東京で会議が開かれた。「成功だ」と述べた。", "ja") == [
        "東京で会議が開かれた。",
        "「成功だ」と述べた。",
    ]


def test_split_rtl() -> None:
    arabic = "هل انتهى الاجتماع؟ نعم، انتهى مساء أمس. وسيعقد اجتماع آخر غدا."
    assert split_sentences(arabic, "ar") == [
        "هل انتهى الاجتماع؟",
        "نعم، انتهى مساء أمس.",
        "وسيعقد اجتماع آخر غدا.",
    ]
    hebrew = "הישיבה הסתיימה. מחר תתקיים ישיבה נוספת!"
    assert split_sentences(hebrew, "he") == ["הישיבה הסתיימה.", "מחר תתקיים ישיבה נוספת!"]


def test_split_lines_and_hard_wraps() -> None:
    text = "A first line that wraps\nover two lines. Then more.\n\n• A point\n\nHeading"
    assert split_sentences(text) == [
        "A first line that wraps over two lines.",
        "Then more.",
        "• A point",
        "Heading",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Jakarta (ANTARA News) - Badan Pusat Statistik mencatat ekspor turun.",
            "Badan Pusat Statistik mencatat ekspor turun.",
        ),
        (
            "Jakarta, CNN Indonesia - - Taylor Swift baru merilis single.",
            "Taylor Swift baru merilis single.",
        ),
        (
            "JAKARTA, KOMPAS.com - Harga beras naik lagi pekan ini.",
            "Harga beras naik lagi pekan ini.",
        ),
        (
            "WASHINGTON (Reuters) — The Senate passed the bill on Friday.",
            "The Senate passed the bill on Friday.",
        ),
        (
            "Suara.com - Ario Kiswinar Teguh diduga menyindir ayahnya.",
            "Ario Kiswinar Teguh diduga menyindir ayahnya.",
        ),
        # Not datelines: a hyphenated compound, an ordinary sentence with a dash.
        ("Kerja sama Rusia-Korea Utara menguat.", "Kerja sama Rusia-Korea Utara menguat."),
        ("The U.S. - China talks resumed.", "The U.S. - China talks resumed."),
        ("Trump - who won - spoke on Friday.", "Trump - who won - spoke on Friday."),
        (
            "Kalah 1 - 4 dari India mengejutkan tim Indonesia.",
            "Kalah 1 - 4 dari India mengejutkan tim Indonesia.",
        ),
        ("NEW YORK, Nov. 27 (Reuters) - Stocks rose on Friday.", "Stocks rose on Friday."),
        # An agency glued to the first word, with or without a place before it.
        (
            "(CNN)The last time he spoke with his son was in May.",
            "The last time he spoke with his son was in May.",
        ),
        ("Washington (CNN)This week marks the anniversary.", "This week marks the anniversary."),
        ("(Update) Prices fell.", "(Update) Prices fell."),
    ],
)
def test_strip_dateline(sentence: str, expected: str) -> None:
    assert strip_dateline(sentence) == expected
