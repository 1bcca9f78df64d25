"""Bylines and bios as newsrooms write them (issue #25), in every language the readers know:
a byline at the top or none, a bio at the end in every common form. The author and the bio
are exact, the bio leaves the body, and a closing line about someone else (the analyst the
story quotes) is never taken for the author's bio."""

from __future__ import annotations

import pytest

from syndicate.core.model import Author
from tests.reader_helpers import read_string

# Article text per language: a real-looking opening, two paragraphs.
BODIES = {
    "en": "The harbour at Port Ellis reopened on Monday after a three-day closure caused by the "
    "storm, the port authority said.\n\nFerries resumed their timetable in the afternoon and "
    "the first fishing boats left shortly after noon.",
    "fr": "Le port de Marseille a rouvert lundi après trois jours de fermeture à cause de la "
    "tempête.\n\nLes ferries ont repris leurs rotations dans l'après-midi, selon l'autorité "
    "portuaire.",
    "es": "El puerto de Valencia reabrió el lunes tras tres días cerrado por el temporal.\n\n"
    "Los ferris retomaron sus horarios por la tarde, según la autoridad portuaria.",
    "de": "Die Fähre zwischen Kiel und Oslo fährt seit Montag wieder nach Fahrplan, teilte die "
    "Reederei mit.\n\nDie Reparatur des Schiffes hatte drei Wochen gedauert und kostete rund "
    "zwei Millionen Euro.",
    "id": "Pelabuhan Tanjung Priok kembali dibuka pada Senin setelah ditutup tiga hari akibat "
    "badai.\n\nKapal feri kembali berlayar sesuai jadwal pada sore hari, kata otoritas "
    "pelabuhan.",
    "ms": "Pelabuhan Klang dibuka semula pada Isnin selepas ditutup selama tiga hari akibat "
    "ribut.\n\nFeri kembali belayar mengikut jadual pada sebelah petang, kata pihak berkuasa "
    "pelabuhan.",
    "pt": "O porto de Lisboa reabriu na segunda-feira depois de três dias fechado por causa da "
    "tempestade.\n\nOs ferries retomaram os horários à tarde, segundo a autoridade portuária.",
}

# (language, byline line or "", how the bio closes the article, author, bio)
FORMS = [
    # "About the author" and its translations, the bio below
    ("en", "", "About the author\n\n{}", "Tom Baxter",
     "Tom Baxter reports on transport and tourism for the Ledger."),
    ("en", "", "About the author: {}", "Tom Baxter",
     "Tom Baxter reports on transport and tourism for the Ledger."),
    ("fr", "", "À propos de l'auteur\n\n{}", "Claire Dubois",
     "Claire Dubois couvre l'économie maritime pour le Quotidien."),
    ("es", "", "Sobre la autora\n\n{}", "Lucía Fernández",
     "Lucía Fernández escribe sobre puertos y transporte para El Diario."),
    ("de", "", "Über den Autor\n\n{}", "Hans Müller",
     "Hans Müller berichtet seit 2010 über Häfen und Schifffahrt."),
    ("id", "Penulis: Siti Rahma", "Tentang Penulis\n\n{}", "Siti Rahma",
     "Siti Rahma meliput isu maritim untuk Harian Nusantara sejak 2018."),
    ("pt", "", "Sobre o autor\n\n{}", "João Silva",
     "João Silva cobre transportes para o Jornal da Tarde."),
    # a byline at the top, a closing sentence with the author as subject (any verb)
    ("en", "By Margaret Ellison", "{}", "Margaret Ellison",
     "Margaret Ellison is the Ledger's coast and shipping correspondent."),
    ("en", "By Margaret Ellison", "{}", "Margaret Ellison",
     "Ellison has covered the coast for the Ledger since 2015."),
    ("en", "Reporter: Jane Doe", "{}", "Jane Doe",
     "Jane Doe writes about shipping for the Ledger."),
    ("fr", "Par Claire Dubois", "{}", "Claire Dubois",
     "Claire Dubois est journaliste au service économie du Quotidien."),
    ("es", "Por Lucía Fernández", "{}", "Lucía Fernández",
     "Lucía Fernández es corresponsal de economía en Valencia."),
    ("de", "Von Hans Müller", "{}", "Hans Müller",
     "Hans Müller ist Redakteur im Ressort Wirtschaft."),
    ("id", "Oleh Siti Rahma", "{}", "Siti Rahma",
     "Siti Rahma adalah jurnalis yang meliput isu maritim."),
    ("ms", "Oleh Ahmad Faizal", "{}", "Ahmad Faizal",
     "Ahmad Faizal ialah wartawan ekonomi di Kuala Lumpur."),
    ("pt", "Por João Silva", "{}", "João Silva", "João Silva é repórter de economia em Lisboa."),
    ("en", "By Jane Doe and John Roe", "{}", "Jane Doe and John Roe",
     "Jane Doe and John Roe are reporters for the Ledger."),
    # a pronoun as the subject
    ("en", "By Jane Doe", "{}", "Jane Doe", "She covers health and science for the Ledger."),
    ("fr", "Par Claire Dubois", "— {}", "Claire Dubois",
     "Elle est correspondante du Quotidien à Marseille."),
    ("id", "Oleh: Budi Santoso", "*{}*", "Budi Santoso", "Dia adalah wartawan ekonomi di Jakarta."),
    # after a dash, in italics, after a line with the name; without a byline
    ("en", "", "— {}", "Jane Doe", "Jane Doe is a freelance writer based in Lisbon."),
    ("en", "", "- {}", "Jane Doe", "Jane Doe is a freelance writer based in Lisbon."),
    ("en", "By Priya Raman", "*{}*", "Priya Raman",
     "Priya Raman covers local government for the Ledger."),
    ("en", "", "_{}_", "Priya Raman", "Priya Raman covers local government for the Ledger."),
    ("en", "", "Jane Doe\n\n{}", "Jane Doe",
     "Jane Doe is a freelance writer based in Lisbon. She has covered ports for ten years."),
]  # fmt: skip


def _article_text(language: str, byline: str, closing: str) -> str:
    top = f"{byline}\n\n" if byline else ""
    return f"Harbour news\n\n{top}{BODIES[language]}\n\n{closing}\n"


@pytest.mark.parametrize(("language", "byline", "closing", "name", "bio"), FORMS)
def test_bio_in_plain_text(tmp_path, language, byline, closing, name, bio):
    text = _article_text(language, byline, closing.format(bio))
    article = read_string(tmp_path, text, "story.txt")
    assert article.author == Author(name=name, bio=bio)
    assert article.text == BODIES[language]  # the box left the body, the story did not
    # (two short Malay paragraphs read as Indonesian to the language detector)
    assert article.language in ({language, "id"} if language == "ms" else {language})


@pytest.mark.parametrize(("language", "byline", "closing", "name", "bio"), FORMS)
def test_bio_in_markdown(tmp_path, language, byline, closing, name, bio):
    text = _article_text(language, byline, closing.format(bio))
    article = read_string(tmp_path, text, "story.md")
    assert article.author == Author(name=name, bio=bio)
    assert article.text == BODIES[language]
    assert bio.split(".")[0] not in (article.body_html or "")


def test_markdown_italic_bio_of_the_front_matter_author(tmp_path):
    text = (
        "---\ntitle: Council approves bus lanes\nauthor: Priya Raman\n---\n\n"
        "The city council approved three new bus lanes on Tuesday.\n\n"
        "Work starts in May and should take six weeks, the council said.\n\n"
        "*Priya Raman covers local government for the Ledger.*\n"
    )
    article = read_string(tmp_path, text, "bus.md")
    assert article.author == Author(
        "Priya Raman", bio="Priya Raman covers local government for the Ledger."
    )
    assert "Priya Raman" not in article.text and "Priya Raman" not in (article.body_html or "")


@pytest.mark.parametrize("suffix", ["txt", "md"])
def test_a_bio_over_two_paragraphs(tmp_path, suffix):
    closing = "Jane Doe is a freelance writer based in Lisbon.\n\nShe is working on a book."
    article = read_string(tmp_path, _article_text("en", "By Jane Doe", closing), f"a.{suffix}")
    assert article.author == Author(
        "Jane Doe", bio="Jane Doe is a freelance writer based in Lisbon. She is working on a book."
    )
    assert article.text == BODIES["en"]


def test_markdown_heading_and_a_handle_after_the_name(tmp_path):
    text = (
        "# Harbour news\n\n*By Jane Doe*\n\n" + BODIES["en"] + "\n\n## About the author\n\n"
        "Jane Doe (@janedoe) is a freelance writer based in Lisbon.\n"
    )
    article = read_string(tmp_path, text, "story.md")
    assert article.author == Author(
        "Jane Doe", bio="Jane Doe (@janedoe) is a freelance writer based in Lisbon."
    )
    assert article.text == BODIES["en"]


# --- no false bio --------------------------------------------------------------------------

QUOTE = '"We lost a week of income," said Maria Chen, an analyst at Harbour Economics.'
NOT_BIOS = [
    # the story's byline names the author; the closing line is about the analyst
    ("en", "By Tom Baxter", "Maria Chen is a senior analyst at Harbour Economics.", "Tom Baxter"),
    ("en", "By Tom Baxter", "She said the port would need a new breakwater within five years.",
     "Tom Baxter"),
    ("en", "By Tom Baxter", "*Maria Chen is a senior analyst at Harbour Economics.*",
     "Tom Baxter"),
    ("en", "By Tom Baxter", "She is a former reporter who now advises port operators.",
     "Tom Baxter"),
    # no byline: the person was quoted before, so the line is news about them
    ("en", "", "Chen has written two books on the shipping industry.", None),
    ("en", "", "Maria Chen is a former reporter who now advises port operators.", None),
    # no byline and not a person: the publisher
    ("en", "", "*The Ledger is a member of the press standards organisation.*", None),
]  # fmt: skip
NOT_BIOS_ELSEWHERE = [
    ("fr", "Par Claire Dubois", "« Nous avons perdu une semaine », a déclaré Marc Petit.",
     "Marc Petit est économiste au cabinet Portuaire Conseil.", "Claire Dubois"),
    ("id", "Oleh Siti Rahma", '"Kami rugi satu minggu," kata Agus Salim, pengamat maritim.',
     "Agus Salim adalah pengamat maritim dari Universitas Indonesia.", "Siti Rahma"),
    ("de", "Von Hans Müller", "„Wir haben eine Woche verloren“, sagte Jonas Weber.",
     "Jonas Weber ist Analyst bei Hafen Consult.", "Hans Müller"),
    ("es", "Por Lucía Fernández", "«Perdimos una semana», dijo Pablo Ruiz, analista.",
     "Pablo Ruiz es analista de Puerto Consultores.", "Lucía Fernández"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "byline", "closing", "name"), NOT_BIOS)
@pytest.mark.parametrize("suffix", ["txt", "md"])
def test_a_closing_line_about_someone_else_is_no_bio(
    tmp_path, language, byline, closing, name, suffix
):
    text = _article_text(language, byline, f"{QUOTE}\n\n{closing}")
    article = read_string(tmp_path, text, f"story.{suffix}")
    assert article.author == (Author(name=name) if name else None)
    # still the story's last paragraph ("*" is literal in plain text, italics in Markdown)
    assert article.text.endswith(closing if suffix == "txt" else closing.strip("*"))


@pytest.mark.parametrize(("language", "byline", "quote", "closing", "name"), NOT_BIOS_ELSEWHERE)
def test_no_false_bio_in_other_languages(tmp_path, language, byline, quote, closing, name):
    article = read_string(
        tmp_path, _article_text(language, byline, f"{quote}\n\n{closing}"), "a.txt"
    )
    assert article.author == Author(name=name)
    assert article.text.endswith(closing)


def test_sign_off_without_bio_still_names_the_author(tmp_path):
    article = read_string(tmp_path, _article_text("en", "", "— Jane Doe"), "a.txt")
    assert article.author == Author(name="Jane Doe")
    assert article.text == BODIES["en"]


# --- the standfirst above the byline -------------------------------------------------------

DEK = "The port is open again after a three-day closure, but fishermen lost a week of income."


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.txt", f"Harbour news\n\n{DEK}\n\nBy Jane Doe | 3 March 2025\n\n{BODIES['en']}\n"),
        ("a.md", f"# Harbour news\n\n{DEK}\n\n*By Jane Doe*\n\n{BODIES['en']}\n"),
        ("b.md", f"---\ntitle: Harbour news\ndek: {DEK}\n---\n\n{BODIES['en']}\n"),
    ],
)
def test_a_one_sentence_paragraph_above_the_byline_is_the_dek(tmp_path, name, text):
    article = read_string(tmp_path, text, name)
    assert article.dek == DEK
    assert article.text == BODIES["en"]
    assert "lost a week" not in (article.body_html or "")


def test_two_sentences_above_a_byline_are_the_story(tmp_path):
    lede = "The port reopened on Monday. Fishermen lost a week of income."
    article = read_string(
        tmp_path, f"Harbour news\n\n{lede}\n\nBy Jane Doe\n\nMore text.\n", "a.txt"
    )
    assert article.dek == ""
    assert article.paragraphs[0] == lede
