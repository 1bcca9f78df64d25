"""One label catalog (syndicate/labels.py over templates/labels.toml) for digest, feeds and
pages, complete in every language the readers know. Issue #13."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import ConfigError
from syndicate.core.labels import (
    catalog,
    fill,
    labels_for,
    placeholders,
    plural_forms,
    plural_label,
)
from syndicate.readers.markers import reader_languages
from syndicate.site.feeds.entries import prepare_entry
from tests.feeds_fixtures import feeds_article, feeds_config

ENGLISH = catalog()["en"]
PLURAL_KEYS = sorted({k.rsplit("_", 1)[0] for k in ENGLISH if k.endswith("_other")})
PLAIN_KEYS = sorted(k for k in ENGLISH if k.rsplit("_", 1)[0] not in PLURAL_KEYS)


def required_keys(lang: str) -> set[str]:
    forms = plural_forms(lang)
    return set(PLAIN_KEYS) | {f"{key}_{form}" for key in PLURAL_KEYS for form in forms}


@pytest.mark.parametrize("lang", sorted(set(reader_languages()) | set(catalog())))
def test_no_label_is_missing_in_any_language(lang):
    table = catalog().get(lang, {})
    missing = sorted(required_keys(lang) - set(table))
    assert not missing, f"[{lang}] in templates/labels.toml lacks {missing}"
    assert all(text.strip() for text in table.values()), f"[{lang}] has an empty label"


@pytest.mark.parametrize("lang", sorted(catalog()))
def test_no_unknown_keys_and_the_same_placeholders(lang):
    for key, text in catalog()[lang].items():
        base = key.rsplit("_", 1)[0]
        english = ENGLISH.get(key) or ENGLISH.get(f"{base}_other")
        assert english is not None, f"[{lang}] {key} is not a label [en] has"
        if base in PLURAL_KEYS:
            # "مقال جديد واحد" spells the one out: {count} may go, nothing may be added.
            assert placeholders(text) <= placeholders(english), (lang, key)
        else:
            assert placeholders(text) == placeholders(english), (lang, key)


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("en", 1, "1 new article since the last digest."),
        ("en", 3, "3 new articles since the last digest."),
        ("id", 1, "1 artikel baru sejak ringkasan terakhir."),
        ("ar", 2, "مقالان جديدان منذ الملخص الأخير."),
        ("ar", 11, "11 مقالًا جديدًا منذ الملخص الأخير."),
        ("he", 2, "שני מאמרים חדשים מאז התקציר האחרון."),
        ("fr", 0, "0 nouvel article depuis la dernière sélection."),
        ("ja", 5, "前回のダイジェスト以降の新着記事は 5 件です。"),
    ],
)
def test_plural_forms_follow_cldr(lang, count, expected):
    assert plural_label(labels_for(lang), "intro", count, lang) == expected


def test_the_three_old_sources_now_agree():
    # Feeds said "Poin utama", the digest "Poin penting": one catalog, one answer.
    entry = prepare_entry(feeds_article(1), feeds_config())
    assert "<strong>Poin penting</strong>" in entry.content_html
    assert "<em>Oleh Sari Wulandari</em>" in entry.content_html


def test_region_overlays_language_overlays_english(tmp_path):
    (tmp_path / "labels.toml").write_text(
        '[pt-BR]\nread_more = "Leia mais"\n[pt_pt]\nread_more = "Ler mais"\n', encoding="utf-8"
    )
    brazil = labels_for("pt-BR", tmp_path)
    assert brazil["read_more"] == "Leia mais" and brazil["key_points"] == "Pontos principais"
    assert labels_for("pt_PT", tmp_path)["read_more"] == "Ler mais"
    assert labels_for("pt", tmp_path)["read_more"] == "Continuar lendo"
    assert labels_for("xx", tmp_path)["read_more"] == "Read more"
    assert labels_for(None)["read_more"] == "Read more"


def test_a_users_override_reaches_feeds_too(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "labels.toml").write_text('[id]\nkey_points = "Intinya"\n', encoding="utf-8")
    config = feeds_config(tmp_path)
    config = config.model_copy(
        update={"paths": config.paths.model_copy(update={"templates": Path("templates")})}
    )
    assert config.path("templates") == templates
    entry = prepare_entry(feeds_article(1), config)
    assert "<strong>Intinya</strong>" in entry.content_html and "Oleh Sari" in entry.content_html


def test_an_edited_override_is_seen_without_a_restart(tmp_path):
    path = tmp_path / "labels.toml"
    path.write_text('[en]\nunsubscribe = "Leave"\n', encoding="utf-8")
    assert labels_for("en", tmp_path)["unsubscribe"] == "Leave"
    path.write_text('[en]\nunsubscribe = "Stop the emails"\n', encoding="utf-8")
    assert labels_for("en", tmp_path)["unsubscribe"] == "Stop the emails"


def test_a_broken_override_is_a_config_error_naming_the_file(tmp_path):
    (tmp_path / "labels.toml").write_text("[en\nby = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"labels\.toml: not valid TOML"):
        labels_for("en", tmp_path)


def test_fill_leaves_braces_in_values_alone():
    assert fill("Stop receiving the {site} digest?", site="{weird} site") == (
        "Stop receiving the {weird} site digest?"
    )
    assert fill("{email} will get no more digests.", site="x") == (
        "{email} will get no more digests."
    )


# Words after which a site's name would need its own article changed or merged ("the The
# Harbour Ledger", "de Le Monde" for "du Monde", "von Der Spiegel" for "vom Spiegel"): in
# these languages a label names the site as the subject, after a colon, or after a word
# that takes any name as it is. Languages without articles (id, ms, zh, ja, ar's and he's
# construct forms) and Dutch ("van De Volkskrant") take any name after their words.
MERGING = {
    "en": {"the", "a", "an"},
    "fr": {"de", "à", "du", "au", "aux", "des", "le", "la", "les", "sélection"},
    "es": {"de", "a", "del", "al", "el", "la", "los", "las", "por"},
    "pt": {"de", "a", "o", "do", "da", "ao", "à", "em", "no", "na", "por", "pelo", "pela"},
    "de": {"von", "vom", "zu", "zum", "zur", "an", "am", "in", "im", "bei", "beim", "mit",
           "der", "die", "das", "dem", "den", "des", "abonniert"},
}  # fmt: skip


@pytest.mark.parametrize("lang", sorted(MERGING))
def test_the_sites_name_reads_right_whatever_the_title(lang):
    for key, text in catalog()[lang].items():
        if "{site}" not in text:
            continue
        prefix = text.split("{site}", 1)[0].rstrip()
        relative = prefix.endswith((", die", ", der", ", das"))  # "…, die Der Spiegel versendet"
        before = prefix.rsplit(" ", 1)[-1].lower()
        assert relative or before not in MERGING[lang], f"[{lang}] {key}: {text!r}"
        after = text.split("{site}", 1)[1].lstrip(" ").split(" ", 1)[0]
        assert not (lang == "en" and after.startswith("digest")), f"[{lang}] {key}: {text!r}"
    for title in ("The Harbour Ledger", "Le Monde", "Der Spiegel", "El País", "O Globo"):
        question = fill(labels_for(lang)["unsubscribe_question"], site=title)
        assert f" {title}" in question or question.startswith(title)
