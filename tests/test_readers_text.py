"""Plain-text reader on realistic articles in several languages and shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from syndicate.config import ReadersConfig
from syndicate.core.model import Author, Block, RelatedLink
from tests.reader_helpers import read_sample
from tests.reader_helpers import read_string as read_text_into

WIB = timezone(timedelta(hours=7))


def test_english_wire_story():
    article = read("en_wire.txt")
    assert article.title == "Springfield water rates to rise 8% as plant upgrade runs over budget"
    assert article.author == Author(name="Jane Doe")  # ", Staff Reporter" is a role
    assert article.published == datetime(2026, 11, 26, 18, 45, tzinfo=timezone(timedelta(hours=-5)))
    assert article.language == "en"
    assert article.location == "SPRINGFIELD"
    assert article.paragraphs[0].startswith("Residents will pay about 8% more for water")
    assert article.sections == ("What the increase means", "Next steps")
    assert [b for b in article.blocks if b.kind == "item"] == [
        Block("item", "freeze the monthly service charge until 2028;", "-"),
        Block("item", "expand the discount for seniors and low-income households;", "-"),
        Block("item", "publish quarterly reports on the plant's budget.", "-"),
        Block("item", "A public hearing on the discount program is set for Dec. 10.", "1."),
        Block("item", "The new rates take effect Jan. 1.", "2."),
    ]
    assert article.related == (
        RelatedLink("Springfield council approves four-day week pilot"),
        RelatedLink("Elm Street plant: a timeline of delays"),
        RelatedLink("How Springfield's water compares with neighboring towns"),
    )
    assert article.tags == ("water", "city council", "budget")
    for junk in ("Advertisement", "Editor", "Mark Lee", "Read also", "Related", "Tags"):
        assert junk not in article.text
    # Hard-wrapped lines are joined into one paragraph.
    assert "approved a rate increase on Tuesday to cover" in article.paragraphs[0]


def test_indonesian_kompas_style():
    article = read("id_kompas.txt")
    assert article.title == (
        "Banjir Rendam Ratusan Rumah di Jakarta Timur, Warga Mengungsi ke Masjid"
    )
    assert article.language == "id"
    assert article.location == "JAKARTA"
    assert article.paragraphs[0].startswith("Banjir setinggi hingga satu meter")
    assert article.published == datetime(2026, 11, 26, 14, 30, tzinfo=WIB)
    assert article.author == Author(name="Rina Marlina")  # "Penulis:" closing line
    assert article.related == (
        RelatedLink("Pemprov DKI Siagakan 200 Pompa Air Hadapi Puncak Musim Hujan"),
        RelatedLink("Jadwal Buka Tutup Pintu Air Manggarai Hari Ini"),
    )
    assert article.sections == ("Posko pengungsian",)
    assert [b.text for b in article.blocks if b.kind == "item"] == [
        "makanan siap saji dan air minum;",
        "selimut dan tikar;",
        "obat-obatan dasar.",
    ]
    for junk in ("Baca juga", "Simak breaking news", "Editor", "Dani Prabowo", "Penulis",
                 "KOMPAS.com", "Kompas.com"):  # fmt: skip
        assert junk not in article.text, junk


def test_arabic_right_to_left():
    article = read("ar_news.txt")
    assert article.title == "افتتاح أكبر محطة للطاقة الشمسية في المنطقة جنوب الأردن"
    assert article.author == Author(name="أحمد منصور")
    assert article.language == "ar"
    assert article.location == "عمّان"
    assert article.paragraphs[0].startswith("افتتحت الحكومة الأردنية يوم الثلاثاء")
    assert article.sections == ("تحديات التخزين",)
    assert [b.marker for b in article.blocks if b.kind == "item"] == ["•", "•", "•"]
    assert article.related == (RelatedLink("الأردن يوقع اتفاقية جديدة لتصدير الكهرباء إلى العراق"),)
    assert "المصدر" not in article.text and "اقرأ أيضا" not in article.text


def test_chinese():
    article = read("zh_news.txt")
    assert article.title == "深圳地铁14号线延长线今日开通运营"
    assert article.author == Author(name="王伟")
    assert article.language == "zh"
    assert article.published == datetime(2026, 11, 26, tzinfo=UTC)
    assert article.sections == ("客流预测",)
    assert article.related == (
        RelatedLink("深圳今年将新开通5条地铁线路"),
        RelatedLink("粤港澳大湾区城际铁路建设提速"),
    )
    assert len(article.paragraphs) == 3
    for junk in ("来源", "责任编辑", "李明", "相关阅读"):
        assert junk not in article.text


def test_dates_without_a_zone_use_the_default_zone():
    article = read("zh_news.txt", default_tz=WIB)
    assert article.published == datetime(2026, 11, 26, tzinfo=WIB)


def test_front_matter_in_a_txt_file_wins():
    article = read("id_front_matter.txt")
    assert article.title == "Panen raya padi di Karawang melebihi target"
    assert article.author == Author(name="Dewi Lestari")
    assert article.published == datetime(2026, 11, 24, tzinfo=UTC)
    assert article.tags == ("pertanian", "Karawang")
    assert article.language == "id"
    assert article.paragraphs[0].startswith("Petani di Kabupaten Karawang")
    assert article.body_html is None  # still plain text, not Markdown


def test_top_bylines_in_several_forms(tmp_path):
    body = "\n\nIsi berita yang cukup panjang untuk menjadi satu paragraf yang utuh.\n"
    cases = {
        "By Jane Doe": "Jane Doe",
        "Oleh Budi Santoso": "Budi Santoso",
        "Oleh: Budi Santoso": "Budi Santoso",
        "Penulis: Siti Nurhaliza | Editor: Andi": "Siti Nurhaliza",
        "Reporter: Made Wirawan": "Made Wirawan",
        "By Jane Doe and John Roe": "Jane Doe and John Roe",
    }
    for line, name in cases.items():
        article = read_string(tmp_path, f"Judul berita\n\n{line}{body}")
        assert article.author == Author(name=name), line
        assert article.paragraphs == (body.strip(),)


def test_sentences_that_look_like_bylines_are_text(tmp_path):
    text = (
        "Judul berita\n\nOleh karena itu, pemerintah menunda kenaikan harga BBM bulan ini.\n\n"
        "Sumber-sumber di kementerian mengatakan keputusan diambil kemarin.\n"
    )
    article = read_string(tmp_path, text)
    assert article.author is None
    assert article.paragraphs == (
        "Oleh karena itu, pemerintah menunda kenaikan harga BBM bulan ini.",
        "Sumber-sumber di kementerian mengatakan keputusan diambil kemarin.",
    )


@pytest.mark.parametrize(
    "sign_off", ["— Jane Doe", "– Jane Doe", "-- Jane Doe", "Oleh: Jane Doe", "(Jane Doe)"]
)
def test_closing_sign_off(tmp_path, sign_off):
    text = f"Title\n\nThe article has one paragraph of real text in it.\n\n{sign_off}\n"
    article = read_string(tmp_path, text)
    assert article.author == Author(name="Jane Doe")
    assert article.paragraphs == ("The article has one paragraph of real text in it.",)


def test_bullet_list_is_items_not_headings(tmp_path):
    text = "Title\n\nWhat to pack:\n\n• Apples\n\n• Oranges\n\n• Pears\n\nThen leave early.\n"
    article = read_string(tmp_path, text)
    assert [b.kind for b in article.blocks] == ["paragraph", "item", "item", "item", "paragraph"]


def test_config_extends_markers(tmp_path):
    text = (
        "Judul\n\nParagraf pertama yang panjang dan berisi.\n\n"
        "Simak videonya di sini\n\nLaporan Wartawan Kami: Agus Salim\n\n"
        "Lihat pula: Berita lain yang menarik\n"
    )
    plain = read_string(tmp_path, text)
    assert "Simak videonya di sini" in plain.text
    config = ReadersConfig(
        furniture=["Simak videonya di sini"],
        byline_prefixes=["Laporan Wartawan Kami"],
        related=["Lihat pula"],
    )
    article = read_string(tmp_path, text, readers_config=config)
    assert article.paragraphs == ("Paragraf pertama yang panjang dan berisi.",)
    assert article.author == Author(name="Agus Salim")
    assert article.related == (RelatedLink("Berita lain yang menarik"),)


def test_related_headline_with_url(tmp_path):
    text = (
        "Title\n\nFirst paragraph of the story, long enough to be text.\n\n"
        "Read also: Budget gap narrows https://ledger.example.org/budget\n\n"
        "Second paragraph of the story.\n"
    )
    article = read_string(tmp_path, text)
    assert article.related == (
        RelatedLink("Budget gap narrows", "https://ledger.example.org/budget"),
    )
    assert len(article.paragraphs) == 2


def test_reading_is_deterministic():
    first = read("id_kompas.txt")
    assert read("id_kompas.txt") == first
    assert first.content_hash() == read("id_kompas.txt").content_hash()


def test_source_is_relative_with_forward_slashes(tmp_path):
    (tmp_path / "2026" / "11").mkdir(parents=True)
    article = read_string(tmp_path, "Title\n\nSome body text here.\n", name="2026/11/story.txt")
    assert article.source == "2026/11/story.txt"


@pytest.mark.parametrize(
    ("opening", "place"),
    [
        ("JAKARTA, KOMPAS.com - ", "JAKARTA"),
        ("SPRINGFIELD — ", "SPRINGFIELD"),
        ("WASHINGTON (Reuters) - ", "WASHINGTON"),
        ("SPRINGFIELD, Ill. — ", "SPRINGFIELD"),
        ("Jakarta (ANTARA) - ", "Jakarta"),
        ("Liputan6.com, Jakarta - ", "Jakarta"),
        ("TEMPO.CO, Jakarta - ", "Jakarta"),
        ("Jakarta - ", "Jakarta"),
        ("Jakarta, CNN Indonesia -- ", "Jakarta"),
        ("NEW YORK — ", "NEW YORK"),
    ],
)
def test_datelines(tmp_path, opening, place):
    sentence = "Harga beras naik lagi pekan ini di semua pasar tradisional."
    article = read_string(tmp_path, f"Judul\n\n{opening}{sentence}\n")
    assert article.location == place
    assert article.paragraphs == (sentence,)


@pytest.mark.parametrize(
    "opening",
    ["NATO - the alliance met today. ", "Jakarta-Bandung toll road is busy. ", "Meanwhile - "],
)
def test_not_datelines(tmp_path, opening):
    article = read_string(tmp_path, f"Title\n\n{opening}more text follows here.\n")
    assert article.location is None
    assert article.paragraphs == (f"{opening}more text follows here.".strip(),)


def test_footer_lines_are_dropped(tmp_path):
    text = (
        "Title\n\nBy Jane Doe\nStaff Writer\n\nThe only paragraph of the story.\n\n"
        "© 2026 Northern Ledger. All rights reserved.\n\nShare this article\n"
    )
    article = read_string(tmp_path, text)
    assert article.author == Author(name="Jane Doe")
    assert article.paragraphs == ("The only paragraph of the story.",)


def test_other_languages_furniture(tmp_path):
    text = (
        "Le gouvernement annonce un plan pour le rail\n\nPar Jean Dupont\n\n"
        "Le gouvernement a présenté mardi un plan de dix milliards d'euros pour moderniser "
        "les lignes régionales.\n\nLire aussi : La grève des contrôleurs se poursuit\n\n"
        "Les travaux commenceront au printemps.\n\nSource : AFP\n"
    )
    article = read_string(tmp_path, text)
    assert article.author == Author(name="Jean Dupont")
    assert article.language == "fr"
    assert article.related == (RelatedLink("La grève des contrôleurs se poursuit"),)
    assert len(article.paragraphs) == 2 and "AFP" not in article.text


def test_a_list_ending_in_a_name_keeps_its_last_item(tmp_path):
    text = "Title\n\nThe panel:\n\n- Ann Lee\n- Bo Chen\n"
    article = read_string(tmp_path, text)
    assert article.author is None
    assert [b.text for b in article.blocks if b.kind == "item"] == ["Ann Lee", "Bo Chen"]


def test_detik_style():
    article = read("id_detik.txt")
    assert article.author == Author(name="Andi Saputra")  # "Andi Saputra - detikFinance"
    assert article.published == datetime(2026, 11, 26, 15, 42, tzinfo=WIB)
    assert article.location == "Jakarta"
    assert article.paragraphs[0].startswith("Menteri Keuangan mengumumkan defisit")
    assert len(article.blocks) == 3
    for junk in ("detikFinance", "Simak Video", "Gambas", "(abc/dna)", "Rabu, 26 Nov"):
        assert junk not in article.text, junk


def test_blog_post_furniture():
    article = read("en_blog.txt")
    assert article.title == "Why I Stopped Using Microservices for Small Projects"
    assert article.sections == ("What I do now",)
    assert len(article.paragraphs) == 4
    for junk in ("Unsplash", "Thanks for reading", "Originally published"):
        assert junk not in article.text, junk


def test_japanese_with_agency_credit():
    article = read("ja_news.txt")
    assert article.language == "ja"
    assert article.sections == ("今後の課題",)
    assert article.related == (RelatedLink("物価高で給食の献立見直し相次ぐ"),)
    assert article.author == Author(name="共同")  # "（共同）": the Kyodo News credit
    assert (
        article.paragraphs[-1]
        == "一方で、食材価格の高騰が続く中、給食の質をどう維持するかが課題となる。"
    )


def test_header_style_metadata_block(tmp_path):
    text = (
        "Title: Festival film Jakarta dibuka\nAuthor: Dewi Lestari\nDate: 2026-11-27 19:00\n"
        "URL: https://berita.example.id/2026/11/27/festival-film\nTags: film, festival\n\n"
        "Festival film tahunan di Jakarta dibuka dengan pemutaran film dokumenter.\n"
    )
    article = read_string(tmp_path, text, default_tz=WIB)
    assert article.title == "Festival film Jakarta dibuka"
    assert article.author == Author(name="Dewi Lestari")
    assert article.published == datetime(2026, 11, 27, 19, 0, tzinfo=WIB)
    assert article.url == "https://berita.example.id/2026/11/27/festival-film"
    assert article.tags == ("film", "festival")
    assert article.paragraphs == (
        "Festival film tahunan di Jakarta dibuka dengan pemutaran film dokumenter.",
    )


def test_file_without_a_title_line(tmp_path):
    first = (
        "The city council met on Tuesday to discuss the budget for next year, and members "
        "spent most of the four-hour session arguing about the cost of the new water plant. "
    )
    text = first * 3 + "\n\nA second paragraph follows.\n"
    article = read_string(tmp_path, text)
    assert article.title == first.strip()
    assert article.paragraphs == ((first * 3).strip(), "A second paragraph follows.")


def test_overlong_first_line_without_sentences(tmp_path):
    line = " ".join(["kata"] * 120)
    article = read_string(tmp_path, f"{line}\n\nIsi.\n")
    assert article.title.endswith("…") and len(article.title) <= 201
    assert article.paragraphs[0] == line


def test_about_the_author_box(tmp_path):
    text = (
        "Judul\n\nIsi berita yang cukup panjang untuk menjadi satu paragraf.\n\n"
        "Tentang Penulis\n\nBudi Santoso adalah wartawan ekonomi yang meliput pasar modal sejak "
        "2015.\n"
    )
    article = read_string(tmp_path, text)
    assert article.author == Author(
        name="Budi Santoso",
        bio="Budi Santoso adalah wartawan ekonomi yang meliput pasar modal sejak 2015.",
    )
    assert article.paragraphs == ("Isi berita yang cukup panjang untuk menjadi satu paragraf.",)


def test_language_left_open_when_the_text_is_too_short_to_tell(tmp_path):
    assert read_string(tmp_path, "OK\n\n12:30\n").language is None
    assert read_string(tmp_path, "OK\n\n12:30\n", language_hint="id").language == "id"


def test_empty_marker_in_config_is_a_config_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="markers must not be empty strings"):
        ReadersConfig(furniture=["Sumber", "  "])


def read(name: str, **kwargs):
    return read_sample(name, **kwargs)


def read_string(tmp_path: Path, text: str, name: str = "a.txt", **kwargs):
    return read_text_into(tmp_path, text, name, **kwargs)
