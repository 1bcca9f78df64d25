"""Date lines in every language the readers know give `published` (issue #13).

Month and weekday names come from CLDR through Babel; these lines are the shapes newsrooms in
each language print under a headline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from syndicate.readers.dates import parse_date
from syndicate.readers.markers import reader_languages
from syndicate.readers.meta import _date_line
from tests.reader_helpers import read_string

WIB = timezone(timedelta(hours=7))
MARCH_3 = datetime(2025, 3, 3, tzinfo=UTC)
AT_1030 = datetime(2025, 3, 3, 10, 30, tzinfo=UTC)

# (language, date line, published) — every reader language at least twice.
LINES = [
    ("en", "Published: March 3, 2025", MARCH_3),
    ("en", "Mon, 3 March 2025 10:30 GMT", AT_1030),
    ("id", "Senin, 3 Maret 2025 10:30 WIB", datetime(2025, 3, 3, 10, 30, tzinfo=WIB)),
    ("id", "Diterbitkan: 3 Mar 2025 pukul 10.30", AT_1030),
    ("ms", "Isnin, 3 Mac 2025", MARCH_3),
    ("ms", "Diterbitkan pada 3 Mac 2025", MARCH_3),
    ("ar", "الاثنين 3 مارس 2025", MARCH_3),
    ("ar", "نُشر في 3 آذار 2025", MARCH_3),
    ("ar", "٣ مارس ٢٠٢٥", MARCH_3),
    ("he", "3 במרץ 2025", MARCH_3),
    ("he", "פורסם ב-3 במרץ 2025, 10:30", AT_1030),
    ("zh", "2025年3月3日", MARCH_3),
    ("zh", "发布时间：2025年3月3日 10:30", AT_1030),
    ("ja", "2025年3月3日（月）10時30分", AT_1030),
    ("ja", "公開日：2025/03/03", MARCH_3),
    ("fr", "Le 3 mars 2025", MARCH_3),
    ("fr", "Publié le 3 mars 2025 à 10h30", AT_1030),
    ("fr", "lundi 3 mars 2025", MARCH_3),
    ("es", "3 de marzo de 2025", MARCH_3),
    ("es", "Publicado el 3 de marzo de 2025 a las 10:30", AT_1030),
    ("pt", "3 de março de 2025", MARCH_3),
    ("pt", "Publicado em 3 de março de 2025, às 10h30", AT_1030),
    ("de", "3. März 2025", MARCH_3),
    ("de", "Montag, 3. März 2025, 10:30 Uhr", AT_1030),
    ("de", "Veröffentlicht am 03.03.2025", MARCH_3),
    ("de", "3. Jänner 2025", datetime(2025, 1, 3, tzinfo=UTC)),  # Austrian, from CLDR de_AT
]


def test_every_reader_language_is_covered():
    assert {lang for lang, _, _ in LINES} == set(reader_languages())


@pytest.mark.parametrize(("lang", "line", "expected"), LINES)
def test_date_line(lang, line, expected):
    assert _date_line(line, UTC) == ("published", expected)


@pytest.mark.parametrize(
    "line",
    [
        "Mis à jour le 4 mars 2025 à 08h15",
        "Aktualisiert am 4. März 2025",
        "Actualizado: 4 mar. 2025",
        "Atualizado em 4 de março de 2025",
        "עודכן 4 במרץ 2025",
        "آخر تحديث: 4 مارس 2025",
        "更新日: 2025年3月4日",
        "Diperbarui 4 Maret 2025",
    ],
)
def test_updated_lines(line):
    kind, when = _date_line(line, UTC)
    assert kind == "updated" and when.date() == datetime(2025, 3, 4).date()


@pytest.mark.parametrize(
    "line",
    [
        "Le gouvernement a annoncé le 3 mars 2025 une réforme.",
        "Pada 3 Maret 2025 harga beras naik tajam di pasar",
        "The May 2025 elections",
        "Die Wahl am 3. März 2025 brachte eine Überraschung für alle Parteien",
    ],
)
def test_sentences_that_mention_a_date_are_not_date_lines(line):
    assert _date_line(line, UTC) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3. März 2025", MARCH_3),
        ("3 de marzo de 2025", MARCH_3),
        ("3 במרץ 2025", MARCH_3),
        ("12/25/2025", datetime(2025, 12, 25, tzinfo=UTC)),  # month over 12: American order
        ("31 février 2025", None),
    ],
)
def test_front_matter_values(value, expected):
    assert parse_date(value, UTC) == expected


ARTICLES = [
    ("de.txt", "Neue Regeln für Radwege\n\nVon Hans Müller\n3. März 2025\n\n"
     "Die Stadt hat am Montag neue Regeln für Radwege vorgestellt, die ab Sommer gelten.\n"),
    ("fr.txt", "Nouvelles règles pour les pistes cyclables\n\nPar Jeanne Martin\n"
     "Le 3 mars 2025\n\nLa ville a présenté lundi de nouvelles règles pour les pistes "
     "cyclables, qui entreront en vigueur cet été.\n"),
    ("es.md", "# Nuevas reglas para los carriles bici\n\nPor Ana García\n\n"
     "3 de marzo de 2025\n\nLa ciudad presentó el lunes nuevas reglas para los carriles "
     "bici, que entrarán en vigor este verano.\n"),
    ("de.md", "# Neue Regeln für Radwege\n\nVon Hans Müller\n\n3. März 2025\n\n"
     "Die Stadt hat am Montag neue Regeln für Radwege vorgestellt, die ab Sommer gelten.\n"),
    ("fr.html", "<!doctype html><html lang=fr><head><title>Pistes cyclables</title></head><body>"
     "<article><h1>Pistes cyclables</h1><p>Publié le 3 mars 2025</p><p>La ville a présenté "
     "lundi de nouvelles règles pour les pistes cyclables, qui entreront en vigueur cet été. "
     "Les associations de cyclistes saluent une avancée attendue depuis des années.</p>"
     "</article></body></html>"),
    ("ar.txt", "قواعد جديدة لممرات الدراجات\n\n3 مارس 2025\n\nأعلنت البلدية يوم الاثنين "
     "عن قواعد جديدة لممرات الدراجات تدخل حيز التنفيذ في الصيف المقبل.\n"),
    ("ja.txt", "自転車レーンの新しいルール\n\n2025年3月3日\n\n市は月曜日、自転車レーンに関する"
     "新しいルールを発表した。夏から適用される。\n"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text"), ARTICLES)
def test_articles_get_published_from_their_date_line(tmp_path, name, text):
    article = read_string(tmp_path, text, name)
    assert article.published == MARCH_3
    assert "2025" not in article.text  # the date line is metadata, not body text
