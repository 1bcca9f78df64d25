"""Editor overrides for every format: NAME.meta.toml next to the article (issue #13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from syndicate.config import Config
from syndicate.readers.errors import ArticleError
from syndicate.readers.read import is_candidate, read_article, sidecar_path
from syndicate.run import pipeline
from tests.conftest import SAMPLE

TEXT = (
    "Harbour reopens after the storm\n\n"
    "The harbour reopened on Tuesday after three days of closure. Ferries resumed their "
    "timetable in the afternoon, and the port authority said damage was limited.\n\n"
    "Fishermen said the closure cost them a week of income.\n"
)
PAGE = (
    "<!doctype html><html lang=en><head><title>Harbour reopens</title></head><body><article>"
    "<h1>Harbour reopens</h1><p>The harbour reopened on Tuesday after three days of closure. "
    "Ferries resumed their timetable in the afternoon, and the port authority said damage "
    "was limited.</p><p>Fishermen said the closure cost them a week of income.</p>"
    "</article></body></html>"
)
SIDECAR = """\
title = "Harbour reopens after three-day storm closure"
date = 2025-03-03T10:30:00+07:00
updated = "4 March 2025"
url = "https://news.example.org/harbour"
tags = ["ports", "weather"]
lang = "en-GB"
summary = "The harbour is open again; damage was limited."
bullets = ["Ferries run again from Tuesday afternoon.", "Fishermen lost a week of income."]
image = "https://news.example.org/harbour.jpg"
location = "PORT TOWN"
dek = "Damage was limited; fishermen lost a week of income."

[author]
name = "Jane Doe"
bio = "Jane Doe covers shipping and the coast."
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "body"), [("harbour.txt", TEXT), ("harbour.html", PAGE)])
def test_a_sidecar_sets_every_field(tmp_path, name, body):
    article_path = write(tmp_path, name, body)
    write(tmp_path, "harbour.meta.toml", SIDECAR)
    article = read_article(article_path, inbox=tmp_path)
    assert article.title == "Harbour reopens after three-day storm closure"
    assert article.published == datetime(2025, 3, 3, 10, 30, tzinfo=timezone(timedelta(hours=7)))
    assert article.updated == datetime(2025, 3, 4, tzinfo=UTC)
    assert article.url == "https://news.example.org/harbour"
    assert article.tags == ("ports", "weather")
    assert article.language == "en-GB"
    assert article.summary == "The harbour is open again; damage was limited."
    assert article.key_bullets == (
        "Ferries run again from Tuesday afternoon.",
        "Fishermen lost a week of income.",
    )
    assert article.image == "https://news.example.org/harbour.jpg"
    assert article.location == "PORT TOWN"
    assert article.dek == "Damage was limited; fishermen lost a week of income."
    assert article.author is not None and article.author.name == "Jane Doe"
    assert article.author.bio == "Jane Doe covers shipping and the coast."
    assert "harbour reopened on Tuesday" in article.text  # the body is the file's


def test_the_sidecar_wins_over_front_matter(tmp_path):
    path = write(tmp_path, "a.md", "---\ntitle: From front matter\nsummary: Old.\n---\n" + TEXT)
    write(tmp_path, "a.meta.toml", 'summary = "From the sidecar."\n')
    article = read_article(path, inbox=tmp_path)
    assert article.summary == "From the sidecar." and article.title == "From front matter"


def test_the_exact_name_wins_over_the_stem(tmp_path):
    path = write(tmp_path, "a.txt", TEXT)
    write(tmp_path, "a.meta.toml", 'summary = "Shared."\n')
    write(tmp_path, "a.txt.meta.toml", 'summary = "Only for a.txt."\n')
    assert sidecar_path(path) == tmp_path / "a.txt.meta.toml"
    assert read_article(path, inbox=tmp_path).summary == "Only for a.txt."


@pytest.mark.parametrize("name", ["a.meta.toml", "story.txt.meta.toml", "X.META.TOML"])
def test_a_sidecar_is_never_an_article(name):
    assert not is_candidate(Path("inbox") / name)


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        ('sumary = "typo"\n', "a.meta.toml: unknown key 'sumary' (known: author, bullets"),
        ('date = "yesterday"\n', "a.meta.toml: 'date' is not a date we can read: 'yesterday'"),
        ('bullets = "one, two"\n', "a.meta.toml: 'bullets' must be a list of strings"),
        ("[author]\nbio = 'no name'\n", "a.meta.toml: 'author' must be a name or a table"),
        ("summary = [1, 2]\n", "a.meta.toml: 'summary' must be a string, not list"),
        ('summary = "unclosed\n', "a.meta.toml: metadata is not valid TOML"),
        ("a = " + "[" * 900 + "]" * 900 + "\n", "a.meta.toml: metadata is nested more than"),
    ],
)
def test_a_bad_sidecar_is_an_error_naming_file_and_key(tmp_path, sidecar, reason):
    path = write(tmp_path, "a.txt", TEXT)
    write(tmp_path, "a.meta.toml", sidecar)
    with pytest.raises(ArticleError) as caught:
        read_article(path, inbox=tmp_path)
    assert str(caught.value).startswith(reason)


def test_a_symlinked_sidecar_may_not_leave_the_inbox(tmp_path):
    inbox, outside = tmp_path / "inbox", tmp_path / "secret.toml"
    inbox.mkdir()
    outside.write_text('summary = "secret"\n', encoding="utf-8")
    path = write(inbox, "a.txt", TEXT)
    (inbox / "a.meta.toml").symlink_to(outside)
    with pytest.raises(ArticleError, match="outside the inbox"):
        read_article(path, inbox=inbox)


def test_pipeline_a_sidecar_edit_is_an_article_edit(config: Config):
    first = pipeline.run(config).new[0]
    inbox = config.path("inbox")
    sidecar = inbox / SAMPLE.with_suffix(".meta.toml").name
    sidecar.write_text('summary = "Ringkasan dari editor."\n', encoding="utf-8")
    report = pipeline.run(config)
    assert report.new == [] and [a.id for a in report.updated] == [first.id]
    entry = feedparser.parse(config.path("feeds") / "atom.xml").entries[0]
    assert entry.summary == "Ringkasan dari editor."
    assert pipeline.run(config).unchanged == 1  # the sidecar is not an article of its own
    sidecar.unlink()
    (reverted,) = pipeline.run(config).updated  # removing the override is an edit too
    assert reverted.summary != "Ringkasan dari editor."


def test_pipeline_a_sidecar_alone_is_nothing(config: Config):
    (config.path("inbox") / "orphan.meta.toml").write_text('summary = "x"\n', encoding="utf-8")
    report = pipeline.run(config)
    assert [a.source for a in report.new] == [SAMPLE.name]
    assert not report.rejected
