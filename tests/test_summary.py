"""Summaries (issues #4, #13): lead-biased, whole sentences, hooks and quotes skipped.
Self-contained: no outside data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syndicate.core.language import detect_language
from syndicate.core.model import Summary
from syndicate.text.sentences import split_sentences
from syndicate.text.summary import summarize

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "articles" / "000_6bd5c2adaf47451d.txt"


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


# --- the sample article ---------------------------------------------------------------------


def test_sample_summary(sample_text: str) -> None:
    result = summarize(sample_text, "id")
    assert isinstance(result, Summary)
    assert result.summary == (
        "Kerja sama militer antara Korea Utara dan Rusia pada umumnya adalah demi kepentingan "
        "Tiongkok dalam melawan Barat. Lebih dari 11.000 tentara Korea Utara, dan mungkin lebih, "
        "terlibat dalam pertempuran di pihak Rusia dalam perang melawan Ukraina. Hal ini "
        "menimbulkan kekhawatiran di kalangan analis internasional."
    )
    sentences = split_sentences(result.summary, "id")
    assert 2 <= len(sentences) <= 3
    flat = " ".join(sample_text.split())
    assert all(s in flat for s in sentences)
    for furniture in ("Baca juga", "Sumber", "Anda mungkin", "Alexander Rossi"):
        assert furniture not in result.summary
    assert len(result.summary.split()) <= 70


def test_sample_language_detected(sample_text: str) -> None:
    assert detect_language(sample_text) == "id"
    assert summarize(sample_text) == summarize(sample_text, "id")


# --- edge cases -----------------------------------------------------------------------------


def test_empty_and_blank() -> None:
    assert summarize("") == Summary(summary="", bullets=[])
    assert summarize("  \n\n \n") == Summary(summary="", bullets=[])
    assert split_sentences("") == []


def test_one_sentence() -> None:
    result = summarize("Harga beras naik lima persen pekan ini di Jakarta.", "id")
    assert result == Summary(
        summary="Harga beras naik lima persen pekan ini di Jakarta.", bullets=[]
    )


def test_only_headings() -> None:
    result = summarize("Ekonomi\n\nPolitik\n\nOlahraga", "id")
    assert result == Summary(summary="", bullets=["Ekonomi", "Politik", "Olahraga"])


@pytest.mark.parametrize(
    "text",
    [
        ".",
        "....",
        "!!!",
        "“",
        '"',
        "\n\n•\n\n• ",
        "- ",
        "1.",
        'Made in the U.S. "',
        "。。。",
        "؟؟",
        "Sumber",
        "\x00\x01",
        "• a\n\n• b",
        "a" * 5000,
        "Kalimat pendek. " * 3000,
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    result = summarize(text)
    assert isinstance(result.summary, str)
    assert all(isinstance(b, str) and b for b in result.bullets)
    assert len(result.bullets) <= 5
    split_sentences(text)


def test_furniture_is_skipped() -> None:
    text = (
        "ADVERTISEMENT\n\nBaca juga: Harga emas naik\n\n"
        "Pemerintah menaikkan harga BBM mulai Senin pagi ini. Kenaikan rata-rata sepuluh persen "
        "untuk semua jenis bahan bakar.\n\nRead more: something else\n\n"
        "Menteri Keuangan menyebut subsidi terlalu besar selama ini. Dana akan dialihkan ke "
        "bantuan sosial langsung.\n\nSumber\n\nPenulis Terkenal\nPenulis adalah wartawan senior."
    )
    result = summarize(text, "id")
    assert result.summary == (
        "Pemerintah menaikkan harga BBM mulai Senin pagi ini. Kenaikan rata-rata sepuluh persen "
        "untuk semua jenis bahan bakar. Menteri Keuangan menyebut subsidi terlalu besar selama ini."
    )
    assert result.bullets == ["Dana akan dialihkan ke bantuan sosial langsung."]


def test_word_budget() -> None:
    goods = ["beras", "gula", "minyak", "telur", "daging", "ayam", "sapi", "ikan", "cabai"]
    goods += ["bawang", "garam", "kopi"]
    # Twelve distinct ten-word sentences.
    text = " ".join(
        f"Pedagang {w} di pasar {i} melaporkan kenaikan harga minggu {i + 1} ini."
        for i, w in enumerate(goods)
    )
    for budget in (25, 40, 70):
        result = summarize(text, "id", max_words=budget)
        n = len(split_sentences(result.summary))
        assert 2 <= n <= 3
        assert len(result.summary.split()) <= max(budget, 20)


def test_bullets_add_to_the_summary() -> None:
    paras = [
        "The city council approved a new budget on Tuesday after months of debate.",
        "The budget raises spending on schools by ten percent next year.",
        "Council members argued over police funding for several weeks.",
        "A new library branch will open in the northern district in 2027.",
        "Bus fares stay unchanged, the transit authority confirmed on Wednesday.",
        "Property taxes rise slightly for owners of large commercial buildings.",
        "The mayor is expected to sign the budget into law by Friday.",
    ]
    result = summarize("\n\n".join(paras), "en")
    assert result.summary == " ".join(paras[:3])
    assert 3 <= len(result.bullets) <= 5
    assert all(b not in result.summary for b in result.bullets)
    assert all(b in paras for b in result.bullets)


# --- determinism ----------------------------------------------------------------------------


def test_deterministic_across_hash_seeds(sample_text: str) -> None:
    code = (
        "import json, sys; from syndicate.text.summary import summarize; "
        "t = sys.stdin.read(); r = summarize(t); r2 = summarize(t, 'id'); "
        "print(json.dumps([r.summary, r.bullets, r2.summary, r2.bullets]))"
    )
    outputs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        proc = subprocess.run(
            [sys.executable, "-c", code],
            input=sample_text,
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == summarize(sample_text).summary


# --- other languages and structures ---------------------------------------------------------

ENGLISH = """WASHINGTON (Reuters) - The U.S. Senate on Thursday passed a $1.2 trillion spending \
package, averting a partial government shutdown hours before funding was set to expire.

The bill, which passed 74-24, now goes to President Joe Biden, who has said he will sign it. \
It funds the Department of Homeland Security, the Pentagon and other agencies through Sept. 30.

"This is a good bill for the American people," Senate Majority Leader Chuck Schumer said.

ADVERTISEMENT

Republicans had demanded deeper cuts to non-defense spending. Sen. Rand Paul called the \
package "a monument to waste," but most of his party voted in favor.

Read more: What a shutdown would have meant for federal workers

The measure includes $886 billion for the military, a 3% increase over last year.

It does not include aid for Ukraine, which remains stalled in the House of Representatives.

Reporting by Jane Doe; Editing by John Smith
"""


def test_english_news() -> None:
    result = summarize(ENGLISH)  # language detected
    assert detect_language(ENGLISH) == "en"
    assert result.summary == (
        "The U.S. Senate on Thursday passed a $1.2 trillion spending package, averting a partial "
        "government shutdown hours before funding was set to expire. The bill, which passed "
        "74-24, now goes to President Joe Biden, who has said he will sign it. It funds the "
        "Department of Homeland Security, the Pentagon and other agencies through Sept. 30."
    )
    # "It does not include aid for Ukraine …" would leave the reader asking what "It" is: the
    # sentence that names the measure is the bullet.
    assert result.bullets == [
        "Republicans had demanded deeper cuts to non-defense spending.",
        'Sen. Rand Paul called the package "a monument to waste," but most of his party voted in '
        "favor.",
        "The measure includes $886 billion for the military, a 3% increase over last year.",
    ]
    for furniture in ("ADVERTISEMENT", "Read more", "Reporting by", "Reuters"):
        assert furniture not in result.summary + " ".join(result.bullets)


def test_quoted_speech_is_not_a_summary_sentence_but_a_quoted_title_is() -> None:
    text = (
        '"Frozen 2" earned $130 million in North America over its opening weekend. '
        '"We are thrilled with the result," a Disney spokesperson said on Sunday. '
        "The film also set a record for an animated release in November. "
        "Analysts expect it to pass one billion dollars worldwide by January."
    )
    assert summarize(text, "en").summary == (
        '"Frozen 2" earned $130 million in North America over its opening weekend. '
        "The film also set a record for an animated release in November. "
        "Analysts expect it to pass one billion dollars worldwide by January."
    )


def test_numbered_points_drive_bullets() -> None:
    text = (
        "Ada tiga cara menghemat listrik di rumah tanpa mengurangi kenyamanan keluarga.\n\n"
        "1. Matikan lampu\n\nLampu yang menyala tanpa penghuni membuang daya percuma.\n\n"
        "2. Cabut pengisi daya\n\nPengisi daya tetap menyedot listrik meski tidak dipakai.\n\n"
        "3. Atur suhu AC\n\nSuhu 25 derajat sudah nyaman dan jauh lebih hemat energi.\n\n"
        "Langkah kecil ini bisa memangkas tagihan hingga dua puluh persen setiap bulan."
    )
    result = summarize(text, "id")
    assert result.bullets == [
        "Matikan lampu: Lampu yang menyala tanpa penghuni membuang daya percuma.",
        "Cabut pengisi daya: Pengisi daya tetap menyedot listrik meski tidak dipakai.",
        "Atur suhu AC: Suhu 25 derajat sudah nyaman dan jauh lebih hemat energi.",
    ]
    # Headings and points never make the summary, nor do the key sentences the bullets show.
    assert result.summary == (
        "Ada tiga cara menghemat listrik di rumah tanpa mengurangi kenyamanan keluarga. "
        "Langkah kecil ini bisa memangkas tagihan hingga dua puluh persen setiap bulan."
    )


def test_chinese_summary() -> None:
    text = (
        "国家统计局周一发布了最新的工业利润数据。前十个月规模以上工业企业利润同比增长百分之三点五。\n\n"
        "分析人士认为，政策支持和需求回暖是利润增长的主要原因。高技术制造业利润增长尤为明显。\n\n"
        "不过，也有专家提醒，外部环境仍然复杂多变。统计局表示将继续密切关注经济运行。"
    )
    result = summarize(text)
    assert result.summary == (
        "国家统计局周一发布了最新的工业利润数据。前十个月规模以上工业企业利润同比增长百分之三点五。"
        "分析人士认为，政策支持和需求回暖是利润增长的主要原因。"
    )
    assert result.bullets == [
        "高技术制造业利润增长尤为明显。",
        "不过，也有专家提醒，外部环境仍然复杂多变。",
        "统计局表示将继续密切关注经济运行。",
    ]


def test_arabic_question_not_in_summary() -> None:
    text = (
        "أعلنت الحكومة يوم الأحد عن خطة جديدة لدعم الصادرات الزراعية في البلاد. "
        "هل ستنجح الخطة في تحقيق أهدافها المعلنة؟ "
        "وتهدف الخطة إلى زيادة الصادرات بنسبة عشرين في المئة خلال العام المقبل."
    )
    result = summarize(text, "ar")
    assert "؟" not in result.summary
    assert len(split_sentences(result.summary, "ar")) == 2


def test_a_list_followed_by_a_paragraph_does_not_glue_the_paragraph_to_the_last_item():
    text = (
        "We are happy to announce syndicate 0.2. It adds JSON Feed archives and a new layout.\n\n"
        "What's new\n\n"
        "- JSON Feed 1.1 archives\n\n"
        "- Faster plain-text reader\n\n"
        "- Digest preview command\n\n"
        "Thanks to everyone who contributed to this release over the last months."
    )
    bullets = summarize(text, "en").bullets
    assert bullets[:3] == [
        "JSON Feed 1.1 archives",
        "Faster plain-text reader",
        "Digest preview command",
    ]


# --- hooks, quotes, ledes, sections (issue #13) ----------------------------------------------


def test_a_feature_hook_is_skipped():
    text = (
        "With summer around the corner, icy treats are back on the menu.\n\n"
        "Kiwi Creamery of Auckland recalled 12,000 tubs of mango sorbet on Monday after "
        "inspectors from New Zealand's Ministry for Primary Industries found traces of peanut.\n\n"
        "The recall covers tubs sold at Countdown and New World supermarkets since 1 March.\n\n"
        "No illnesses have been reported, the company said in a statement on its website.\n\n"
        "Customers can return the tubs to any store for a full refund."
    )
    summary = summarize(text, "en").summary
    assert summary.startswith("Kiwi Creamery of Auckland recalled 12,000 tubs")
    assert "icy treats" not in summary


def test_a_plain_lede_is_not_a_hook():
    text = (
        "Syndicate 2.0 is out today.\n\n"
        "It brings paged feed archives, a faster reader and a preview command for digests.\n\n"
        "Feed readers that fall behind can now catch up through RFC 5005 archive pages.\n\n"
        "The plain-text reader was rewritten around a single pass over the file.\n\n"
        "Thanks to everyone who reported bugs and tested the release candidates."
    )
    assert summarize(text, "en").summary.startswith("Syndicate 2.0 is out today. It brings")


def test_sentences_inside_a_quotation_are_speech():
    text = (
        "The finance minister defended the budget in parliament on Tuesday against the "
        "opposition. She said: 'We are ready for a hard winter. Every household will get help "
        "with its heating bills from January.' The opposition called the plan too small and too "
        "late for families already in debt. A vote is expected next week after two more days of "
        "debate in the chamber."
    )
    summary = summarize(text, "en").summary
    assert "Every household will get help" not in summary
    assert split_sentences(summary) == [
        "The finance minister defended the budget in parliament on Tuesday against the opposition.",
        "The opposition called the plan too small and too late for families already in debt.",
        "A vote is expected next week after two more days of debate in the chamber.",
    ]


def test_an_article_with_sections_is_summarised_from_its_opening():
    text = (
        "The city will close its coal plant in 2027, the council decided on Tuesday. The vote "
        "was nine to four after a year of hearings.\n\n"
        "Costs\n\n"
        "Repairs due next year would have cost more than the new solar farm itself.\n\n"
        "Jobs\n\n"
        "Sixty workers at the plant will be offered jobs at the new site or retraining."
    )
    assert summarize(text, "en").summary == (
        "The city will close its coal plant in 2027, the council decided on Tuesday. The vote "
        "was nine to four after a year of hearings."
    )


def test_code_and_steps_never_make_the_summary():
    text = (
        "Version 2 of the publisher adds paged archives for every feed it writes.\n\n"
        "Upgrading\n\n"
        "1. Back up the state folder before anything else.\n\n"
        "2. Run pip install -U syndicate in the virtual environment.\n\n"
        "pip install -U syndicate && syndicate run --no-digest\n\n"
        "Large inboxes are three times faster to publish than with version 1."
    )
    result = summarize(text, "en")
    assert (
        result.summary == "Version 2 of the publisher adds paged archives for every feed it writes."
    )
    assert not any("pip" in b or "Back up" in b for b in result.bullets)


def test_an_article_made_only_of_instructions_still_gets_a_summary():
    text = (
        "Installation\n\n"
        "Download the installer from the project page and run it as an administrator.\n\n"
        "Restart the computer when the installer asks for it, then open the app."
    )
    assert summarize(text, "en").summary == (
        "Download the installer from the project page and run it as an administrator. Restart "
        "the computer when the installer asks for it, then open the app."
    )


def test_scroll_down_for_video_glued_to_a_sentence_is_furniture():
    text = (
        "A slick bunk bed design has been unveiled by Zodiac, giving cabin crew a bed each on "
        "long flights. Scroll down for video First class accommodation! The beds fold away "
        "behind a door on the lower deck when they are not in use."
    )
    summary = summarize(text, "en").summary
    assert "Scroll down" not in summary
    assert "First class accommodation!" not in summary  # a caption fragment, not a sentence
