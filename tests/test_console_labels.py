"""The console's words (templates/console/labels.toml, #24): every key a console template
or handler names is in [en]; every other table has only [en]'s keys with the same
placeholders; every language of the readers' catalog is complete (a key a region's table
lacks, [pt-BR]'s, comes from [pt], then [en])."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate.core.labels import catalog, labels_for, placeholders
from syndicate.store.subscribers import STATUSES
from syndicate.web.console.render import CATALOG, SECTIONS

REPO = Path(__file__).resolve().parents[1]
ENGLISH = catalog(CATALOG)["en"]
# Every language of the readers' catalog has the console's words too.
COMPLETE = sorted(catalog())


def named_keys() -> set[str]:
    """Keys the templates name outright (L.key) and the notes and errors the code names."""
    keys: set[str] = set()
    for path in (REPO / "templates" / "console").glob("*.j2"):
        keys |= set(re.findall(r"\bL\.([a-z_]+)", path.read_text()))
    for path in (REPO / "syndicate" / "web" / "console").glob("*.py"):
        keys |= set(re.findall(r'"((?:note|error)_[a-z_]+)"', path.read_text()))
    return keys


def test_every_key_named_is_in_english():
    missing = sorted(named_keys() - set(ENGLISH))
    assert not missing, missing


def test_composed_keys_exist_for_every_value_they_take():
    wanted = {f"section_{s}" for s in SECTIONS} | {f"status_{s}" for s in STATUSES}
    wanted |= {f"stage_{s}" for s in ("starting", "reading", "publishing", "digest", "delivering")}
    wanted |= {f"start_{m}" for m in ("never", "due", "now")} | {"status_erased"}
    wanted |= {f"delivery_{s}" for s in ("pending", "sent", "failed", "in_doubt", "dropped")}
    assert not sorted(wanted - set(ENGLISH))


@pytest.mark.parametrize("lang", sorted(catalog(CATALOG)))
def test_other_languages_use_english_keys_and_placeholders(lang):
    for key, text in catalog(CATALOG)[lang].items():
        assert key in ENGLISH, (lang, key)
        assert placeholders(text) == placeholders(ENGLISH[key]), (lang, key)
        assert text.strip(), (lang, key)


@pytest.mark.parametrize("lang", COMPLETE)
def test_complete_languages_have_every_key(lang):
    assert not sorted(set(ENGLISH) - set(catalog(CATALOG)[lang]))


def test_a_user_file_overrides_one_key(tmp_path):
    (tmp_path / "console").mkdir()
    (tmp_path / "console" / "labels.toml").write_text('[id]\nlogout = "Keluar dulu"\n')
    words = labels_for("id", tmp_path, CATALOG)
    assert words["logout"] == "Keluar dulu" and words["login_button"] == "Masuk"
    assert labels_for("xx", None, CATALOG)["logout"] == "Log out"
