"""Markdown reader: front matter (YAML and TOML), blocks from tokens, sanitized HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from syndicate.core.model import Author, Block, RelatedLink
from syndicate.readers.errors import ArticleError
from tests.reader_helpers import read_sample
from tests.reader_helpers import read_string as read_text_into


def test_yaml_front_matter_wins():
    article = read("en_yaml_front_matter.md")
    assert article.title == "City council approves a four-day week pilot for municipal staff"
    assert article.author == Author(
        name="Jane Doe",
        bio="Jane Doe covers local government for the Springfield Ledger.",
        email="jane@example.org",
    )
    assert article.published == datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert article.updated == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # naive → default zone
    assert article.url == "https://ledger.example.org/2026/11/four-day-week"
    assert article.tags == ("local government", "labor", "pilot programs")
    assert article.language == "en-US"
    assert article.summary == (
        "Springfield will test a four-day week for 300 city workers starting in January."
    )
    assert article.key_bullets == ("300 workers take part", "The pilot runs for six months")
    assert article.image == "https://ledger.example.org/img/city-hall.jpg"


def test_yaml_body_blocks():
    article = read("en_yaml_front_matter.md")
    assert article.location == "SPRINGFIELD"
    assert article.blocks[:3] == (
        Block("heading", "A different heading in the body"),
        Block(
            "paragraph",
            "The city council voted 7–2 on Tuesday to let about 300 municipal employees work "
            "four ten-hour days instead of five eight-hour ones, starting in January.",
        ),
        Block(
            "paragraph",
            "Supporters said the change would help the city hire and keep staff; opponents "
            "worried about service hours at the permit office.",
        ),
    )
    assert [(b.marker, b.text) for b in article.blocks if b.kind == "item"] == [
        ("-", "Offices stay open Monday to Friday; staff rotate their day off."),
        ("-", "Overtime rules do not change."),
        ("-", "Managers report absences and response times every month."),
        ("1.", "January: parks and permits"),
        ("2.", "March: the library system"),
    ]
    assert article.sections == ("A different heading in the body", "What changes")
    assert article.related == (
        RelatedLink("Springfield budget gap narrows", "https://ledger.example.org/budget"),
    )
    assert article.paragraphs[-1] == "Residents can comment at the next meeting."
    assert "Source" not in article.text and "**" not in article.text


def test_body_html_is_sanitized_and_matches_the_blocks():
    html = read("en_yaml_front_matter.md").body_html
    assert html is not None
    assert "<script" not in html and "alert" not in html and "onclick" not in html
    assert "<p>Residents can comment at the next meeting.</p>" in html
    assert (
        '<a href="https://ledger.example.org/services" rel="noopener noreferrer nofollow">' in html
    )
    assert html.startswith("<h1>A different heading in the body</h1>\n<p>The city council voted")
    assert "SPRINGFIELD —" not in html  # the dateline left the HTML too
    assert "Read also" not in html and "Source:" not in html


def test_toml_front_matter():
    article = read("id_toml_front_matter.md")
    assert article.title == "Harga cabai rawit di Jakarta naik dua kali lipat menjelang akhir tahun"
    assert article.author == Author(name="Budi Santoso")
    assert article.published == datetime(2026, 11, 25, 7, 15, tzinfo=timezone(timedelta(hours=7)))
    assert article.tags == ("ekonomi", "pangan", "Jakarta")
    assert article.language == "id"
    assert article.url == "https://berita.example.id/ekonomi/harga-cabai"
    assert article.sections == ("Penyebab kenaikan",)
    assert [b.marker for b in article.blocks if b.kind == "item"] == ["*", "*"]
    assert article.related == (
        RelatedLink(
            "Inflasi pangan November diperkirakan melandai", "https://berita.example.id/inflasi"
        ),
    )
    assert "Editor" not in article.text and "Siti Rahma" not in article.text
    assert article.summary == "" and article.key_bullets == ()  # the summarizer's job


def test_title_from_the_first_heading_and_language_detected(tmp_path):
    article = read_string(
        tmp_path,
        "# Gempa magnitudo 5,6 guncang Cianjur\n\n"
        "Gempa bumi mengguncang wilayah Cianjur, Jawa Barat, pada Senin siang. Warga berhamburan "
        "keluar rumah dan sejumlah bangunan dilaporkan rusak ringan.\n\n"
        "## Tidak berpotensi tsunami\n\nBMKG memastikan gempa tidak berpotensi tsunami.\n",
    )
    assert article.title == "Gempa magnitudo 5,6 guncang Cianjur"
    assert article.sections == ("Tidak berpotensi tsunami",)
    assert article.language == "id"
    assert "<h1>" not in (article.body_html or "")


def test_byline_paragraph_under_the_title(tmp_path):
    article = read_string(tmp_path, "# Title\n\n*By Jane Doe*\n\nBody text of the story.\n")
    assert article.author == Author(name="Jane Doe")
    assert article.paragraphs == ("Body text of the story.",)


def test_front_matter_author_list_and_comma_tags(tmp_path):
    article = read_string(
        tmp_path,
        "---\ntitle: T\nauthors: [Ann Lee, Bo Chen]\ntags: a, b ,c\ndate: 2026-01-02\n---\n\n"
        "Body.\n",
    )
    assert article.author == Author(name="Ann Lee, Bo Chen")
    assert article.tags == ("a", "b", "c")
    assert article.published == datetime(2026, 1, 2, tzinfo=UTC)


def test_hostile_markdown_stays_inert(tmp_path):
    article = read_string(
        tmp_path,
        '---\ntitle: "{{ 7*7 }} <b>bold</b>\\r\\nX-Injected: yes"\n---\n\n'
        "Text with {{ 7*7 }} and {% raw %} and ]]> inside.\n\n"
        '<img src=x onerror="alert(1)"><iframe src="https://evil.example"></iframe>\n\n'
        '[click](javascript:alert(1)) <a href="data:text/html,x">data</a>\n',
    )
    assert article.title == "{{ 7*7 }} <b>bold</b> X-Injected: yes"
    assert article.paragraphs[0] == "Text with {{ 7*7 }} and {% raw %} and ]]> inside."
    html = article.body_html or ""
    assert "onerror" not in html and "iframe" not in html
    # markdown-it refuses the javascript: link (it stays literal text); nh3 drops the data: href.
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "[click](javascript:alert(1))" in html
    assert "{{ 7*7 }}" in html  # template syntax is text; the templates autoescape it


def test_invalid_yaml_front_matter_is_rejected_with_a_reason(tmp_path):
    with pytest.raises(ArticleError, match=r"^front matter is not valid YAML"):
        read_string(tmp_path, "---\ntitle: [unclosed\n---\n\nBody.\n")


def test_unclosed_toml_front_matter(tmp_path):
    with pytest.raises(ArticleError, match="never closed"):
        read_string(tmp_path, "+++\ntitle = 'x'\n\nBody.\n")


def test_yaml_cannot_build_python_objects(tmp_path):
    with pytest.raises(ArticleError, match="not valid YAML"):
        read_string(tmp_path, "---\ntitle: !!python/object/apply:os.system ['true']\n---\n\nB.\n")


def test_thematic_break_is_not_front_matter(tmp_path):
    article = read_string(tmp_path, "---\n\nTitle line\n\nBody paragraph.\n")
    assert article.title == "Title line"


def test_heading_only_is_title_without_body(tmp_path):
    with pytest.raises(ArticleError, match=r"^title but no body text$"):
        read_string(tmp_path, "---\ntitle: Only a title\n---\n\n# Only a title\n")


def test_bare_read_also_marker_takes_the_linked_list_after_it(tmp_path):
    article = read_string(
        tmp_path,
        "# Judul\n\nParagraf pertama berita.\n\n**Baca juga:**\n\n"
        "- [Harga emas naik](https://example.id/emas)\n- [Rupiah menguat](https://example.id/rp)\n\n"
        "Paragraf kedua berita.\n",
    )
    assert article.related == (
        RelatedLink("Harga emas naik", "https://example.id/emas"),
        RelatedLink("Rupiah menguat", "https://example.id/rp"),
    )
    assert article.paragraphs == ("Paragraf pertama berita.", "Paragraf kedua berita.")
    assert "Harga emas" not in (article.body_html or "")


def test_table_rows_read_as_lines(tmp_path):
    article = read_string(
        tmp_path,
        "# Harga pangan\n\nHarga di Jakarta pekan ini:\n\n"
        "| Komoditas | Harga (Rp/kg) |\n|---|---:|\n| Beras | 14.500 |\n| Cabai rawit | 62.000 |\n",
    )
    assert article.paragraphs == (
        "Harga di Jakarta pekan ini:",
        "Komoditas | Harga (Rp/kg)",
        "Beras | 14.500",
        "Cabai rawit | 62.000",
    )
    assert "<table>" in (article.body_html or "")


def test_byline_and_date_paragraphs_under_the_title(tmp_path):
    article = read_string(
        tmp_path,
        "# Title\n\n*By Jane Doe*\n\n_27 November 2026_\n\nBody text of the story.\n",
        default_tz=timezone(timedelta(hours=7)),
    )
    assert article.author == Author(name="Jane Doe")
    assert article.published == datetime(2026, 11, 27, tzinfo=timezone(timedelta(hours=7)))
    assert article.paragraphs == ("Body text of the story.",)
    assert "Jane Doe" not in (article.body_html or "")


def test_unusable_front_matter_language_is_detected_instead(tmp_path):
    article = read_string(
        tmp_path,
        "---\ntitle: Judul\nlang: Bahasa Indonesia\n---\n\n"
        "Pemerintah akan membangun jalan tol baru di Sumatra tahun depan.\n",
    )
    assert article.language == "id"


def test_escapes_cannot_smuggle_control_characters(tmp_path):
    article = read_string(
        tmp_path,
        '---\ntitle: "Bell\\a and NUL\\x00 and ESC\\e here"\ntags: ["a\\x1b[31m"]\n---\n\n'
        "Entities &#7; and &#x1b; and &#0; in text.\n",
    )
    assert article.title == "Bell and NUL and ESC here"
    assert article.tags == ("a[31m",)
    assert all(ch >= " " for ch in article.text)


def test_pictures_stay_in_the_html_and_the_first_is_the_lead_image(tmp_path):
    article = read_string(
        tmp_path,
        "# Judul\n\n![Banjir di Kampung Melayu](https://berita.example.id/foto/banjir.jpg)\n\n"
        "Isi berita pertama.\n\n![relatif](foto/kedua.jpg)\n",
    )
    assert article.image == "https://berita.example.id/foto/banjir.jpg"
    assert article.paragraphs == ("Isi berita pertama.",)  # alt text is not prose
    html = article.body_html or ""
    assert (
        '<img src="https://berita.example.id/foto/banjir.jpg" alt="Banjir di Kampung Melayu">'
        in html
    )


def test_front_matter_image_wins_over_the_first_picture():
    article = read("en_yaml_front_matter.md")
    assert article.image == "https://ledger.example.org/img/city-hall.jpg"


def read(name: str, **kwargs):
    return read_sample(name, **kwargs)


def read_string(tmp_path: Path, text: str, name: str = "a.md", **kwargs):
    return read_text_into(tmp_path, text, name, **kwargs)


def test_impossible_yaml_date_is_a_clear_rejection(tmp_path: Path):
    # PyYAML raises ValueError (not YAMLError) for a date-shaped value like 2026-13-45.
    with pytest.raises(ArticleError, match=r"impossible date: month must be in 1\.\.12"):
        read_string(tmp_path, "---\ntitle: T\ndate: 2026-13-45\n---\nBody text here.\n")
