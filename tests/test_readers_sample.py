"""The shipped sample article, read the way the pipeline reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.core.model import RelatedLink
from syndicate.readers.read import read_article

REPO = Path(__file__).resolve().parents[1]
INBOX = REPO / "articles"
SAMPLE = INBOX / "000_6bd5c2adaf47451d.txt"

FURNITURE = (
    "Baca juga",
    "Pasukan Korea Utara di garis depan",
    "Anda mungkin juga tertarik",
    "Sumber",
    "Alexander Rossi",
    "University of California",
)


@pytest.fixture(scope="module")
def sample():
    return read_article(SAMPLE, inbox=INBOX)


def test_title(sample):
    assert sample.title == (
        "Kerja sama militer antara Korea Utara dan Rusia pada umumnya adalah demi kepentingan "
        "Tiongkok dalam melawan Barat."
    )


def test_author_is_the_bio_box_not_the_quoted_analyst(sample):
    assert sample.author is not None
    assert sample.author.name == "Alexander Rossi"
    assert sample.author.bio.startswith("Alexander Rossi is the Creator and Editor")
    assert sample.author.bio.endswith("engaging technology insights.")


def test_language_is_indonesian(sample):
    assert sample.language == "id"


def test_bullet_points_are_headings_with_their_marker(sample):
    headings = [(b.text, b.marker) for b in sample.blocks if b.kind == "heading"]
    assert headings == [
        ("Keuntungan geopolitik", "•"),
        ("Dasar ideologis dan strategis", "•"),
        ("Peran instrumental DPRK", "•"),
        ("Kemungkinan risiko bagi Tiongkok", ""),
    ]
    assert sample.sections == (
        "Keuntungan geopolitik",
        "Dasar ideologis dan strategis",
        "Peran instrumental DPRK",
        "Kemungkinan risiko bagi Tiongkok",
    )


def test_no_furniture_in_the_body(sample):
    for block in sample.blocks:
        for junk in FURNITURE:
            assert junk not in block.text, (junk, block)
    assert sample.text.count("\n\n") == len(sample.blocks) - 1


def test_related_headline_is_kept_as_a_link(sample):
    assert sample.related == (
        RelatedLink(title="Pasukan Korea Utara di garis depan – berita terbaru", url=None),
    )


def test_article_text_around_the_furniture_is_kept(sample):
    paragraphs = sample.paragraphs
    assert paragraphs[0].startswith("Lebih dari 11.000 tentara Korea Utara")
    # The two paragraphs after "Baca juga" are article text, not part of the related block.
    assert paragraphs[-2].startswith("Sebelumnya, Gedung Putih mengomentari")
    assert paragraphs[-1].startswith("Veteran ATO Yevgeny Dikiy")
    assert len(paragraphs) == 12


def test_store_fills_identity_and_dates_stay_unknown(sample):
    assert sample.source == "000_6bd5c2adaf47451d.txt"
    assert (sample.id, sample.slug, sample.first_seen) == ("", "", None)
    assert sample.published is None and sample.updated is None
    assert sample.body_html is None
    assert sample.summary == "" and sample.key_bullets == ()
