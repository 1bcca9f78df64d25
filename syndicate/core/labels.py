"""Every word syndicate shows readers, per language: one catalog for the digest, the article
pages, the feeds' entry content and the service's pages. Issue #13.

The data is one TOML file, `templates/labels.toml` (shipped in the wheel as
`syndicate/templates/labels.toml`), overlaid by the `labels.toml` of the user's templates
folder (`paths.templates`), key by key.

Why TOML and not gettext catalogs (Babel's .po/.mo): the labels are ~25 short strings, edited
by site operators who already override them in their templates folder as TOML; gettext would
add a compile step (.po → .mo) to the build and to every operator's override, and its plural
support is what Babel's CLDR plural rules already give us here (`_one`/`_other`… keys). One
TOML table per language also makes the completeness test trivial.

API (also for the service's pages):
    labels_for(lang, templates_dir) -> dict of key → text for that language
    plural_label(labels, key, count, lang) -> the CLDR plural form of `key`, {count} filled
    fill(text, **values) -> text with {site}/{name}/{email}… filled (never str.format: a
        site title with braces must not break)
Babel is imported only by plural_label.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from syndicate.config import ConfigError
from syndicate.core.files import BUILTIN_TEMPLATES
from syndicate.core.language import primary_subtag

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _tag(lang: str) -> str:
    """'pt_br' → 'pt-BR': the form table names use."""
    parts = lang.replace("_", "-").split("-")
    return "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


@lru_cache(maxsize=8)
def _parse(path: Path, mtime_ns: int, size: int) -> dict[str, dict[str, str]]:
    # Keyed on mtime and size: a long-running service sees an operator's edit without a restart.
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the labels file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the labels file as UTF-8") from None
    tables: dict[str, dict[str, str]] = {}
    for lang, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{lang}' must be a table of labels ([{lang}])")
        tables[_tag(lang)] = {str(k): str(v) for k, v in table.items()}
    return tables


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    return _parse(path, st.st_mtime_ns, st.st_size)


def catalog(name: str = "labels.toml") -> dict[str, dict[str, str]]:
    """A built-in catalog: language tag → key → text. `name`: labels.toml (what readers
    see) or console/labels.toml (the operator console's words, #24)."""
    return _load(BUILTIN_TEMPLATES / name)


def labels_for(
    lang: str | None, templates_dir: Path | None = None, name: str = "labels.toml"
) -> dict[str, str]:
    """Labels for `lang`: English, overlaid by the language, then by the exact tag (pt-BR);
    at each step the built-in text first, then the user's file of the same `name` in
    `templates_dir`.

    A user's file needs only the languages (or even the keys) it changes.
    """
    tables = [catalog(name)]
    if templates_dir is not None:
        user = Path(templates_dir) / name
        if user.resolve() != (BUILTIN_TEMPLATES / name).resolve():
            tables.append(_load(user))
    lang = lang or "en"
    out: dict[str, str] = {}
    for key in dict.fromkeys(("en", primary_subtag(lang), _tag(lang))):
        for table in tables:
            out.update(table.get(key, {}))
    return out


@lru_cache(maxsize=64)
def _plural_rule(lang: str):  # -> babel.plural.PluralRule
    from babel import Locale, UnknownLocaleError

    for candidate in (lang.replace("-", "_"), primary_subtag(lang), "en"):
        try:
            return Locale.parse(candidate).plural_form
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    raise AssertionError("Babel always knows English")  # pragma: no cover


def plural_forms(lang: str) -> tuple[str, ...]:
    """The CLDR plural categories `lang` distinguishes ("other" always among them)."""
    tags = _plural_rule(lang).tags | {"other"}
    return tuple(form for form in PLURAL_FORMS if form in tags)


def plural_label(labels: Mapping[str, str], key: str, count: int, lang: str) -> str:
    """`key`'s plural form for `count` in `lang` ("intro_one", "intro_few"…), {count} filled."""
    form = _plural_rule(lang)(count)
    text = labels.get(f"{key}_{form}") or labels.get(f"{key}_other", "")
    return fill(text, count=count)


def fill(text: str, **values: object) -> str:
    """Fill {placeholders}; unknown ones stay as written."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text
    )


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))
