"""Whatever lands in the inbox, a reader either returns a sane Article or raises ArticleError.

Seeded random files stitched from the pieces real articles and hostile inputs are made of;
deterministic, so a failure reproduces.
"""

from __future__ import annotations

import random

import pytest

from syndicate.readers.errors import ArticleError
from syndicate.readers.read import read_article

PIECES = [
    "\n", "\n\n", " ", "•", "- ", "* ", "1. ", "Baca juga:", "Sumber", "By ", "Oleh: ", "—", "–",
    "-", "JAKARTA, KOMPAS.com - ", "Jane Doe", "Budi", "---", "+++", "title: x", "# ", "## ",
    "<p>", "</p>", "<html>", "<script>", "]]>", "{{ 7*7 }}", "\r\n", "\u200b", "\u202e", "©",
    "(abc/def)", "[Gambas:x]", "Tentang Penulis", "is a writer.", "27 November 2026", "WIB",
    "http://x.y/z", "Tags: a, b", "東京", "مرحبا", "word", "Word.", "Sentence here.", "|", ":",
    "(", ")", "「", "」", "\t", "\x00", "é", "<!-- c -->", "> ", "```", "| a | b |\n|---|---|",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_random_inputs_never_crash(tmp_path, seed):
    rng = random.Random(seed)
    for i in range(150):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        suffix = rng.choice([".txt", ".md", ".html", "", ".text"])
        encoding = rng.choice(["utf-8", "utf-16", "cp1252"])
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        path = tmp_path / f"f{i}{suffix}"
        path.write_bytes(data)
        try:
            article = read_article(path, inbox=tmp_path)
        except ArticleError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        assert article.title and "\n" not in article.title
        assert article.blocks
        assert all(b.text and "\n" not in b.text for b in article.blocks)
        assert all(ch >= " " for ch in article.title + article.text.replace("\n", ""))


def test_markdown_html_block_with_a_dateline(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("# T\n\n<div>JAKARTA, KOMPAS.com - Isi berita.</div>\n", encoding="utf-8")
    article = read_article(path, inbox=tmp_path)
    assert article.location == "JAKARTA"
    assert article.paragraphs == ("Isi berita.",)
