"""Editor overrides for any article: a `NAME.meta.toml` file next to it. Issue #13.

Markdown (and text) files carry front matter; a saved web page or a plain-text wire story
cannot, or should not be edited to (the HTML is the publisher's page, a wire story is
re-delivered as sent). So an editor writes a sidecar next to the article instead:

    inbox/storm.html
    inbox/storm.meta.toml     summary = "…"  bullets = ["…"]  date = 2025-03-03
                              [author]  name = "Jane Doe"  bio = "…"

Why a sidecar and not a header block inside the file: it works the same for every format
(no HTML comment or text convention to invent and to keep out of the body), the article's
bytes stay as delivered, and TOML is the format of the config the operator already writes
(dates are real dates, tables give `author.bio`, and there is no alias or implicit typing to
tame as in YAML).

The keys are those of front matter (`title`, `author`, `date`, `updated`, `url`, `tags`,
`lang`, `summary`, `bullets`, `image`, `location`, `dek` and their common aliases), and the
sidecar wins over front matter and over anything the reader found. Unlike front matter, which
often comes from a static-site generator with keys of its own, a sidecar is written for us: an
unknown key or an unusable value is an error that names it, not a silent no-op.

Applying it is apply_front_matter's job (read_article does it last). What the pipeline must
know (see `is_candidate` and `sidecar_path` in readers/__init__.py):
a sidecar is never an article itself, and a changed sidecar is a changed article, so the
pipeline folds the sidecar's bytes into the article's fingerprint.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from syndicate.readers.dates import parse_date
from syndicate.readers.errors import ArticleError
from syndicate.readers.frontmatter import (
    DATE_KEYS,
    KNOWN_KEYS,
    MAX_FRONT_MATTER_CHARS,
    UPDATED_KEYS,
    load_toml,
)


def read_sidecar(path: Path, default_tz: tzinfo) -> dict[str, Any]:
    """The sidecar's keys, lower-cased and checked; ArticleError naming the file otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FRONT_MATTER_CHARS:
        raise ArticleError(
            f"{path.name}: {len(data):,} bytes (limit {MAX_FRONT_MATTER_CHARS:,}); "
            "keep metadata short"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArticleError(f"{path.name}: not UTF-8 text; save it as UTF-8") from None
    try:
        meta = load_toml(text)
    except ArticleError as exc:
        raise ArticleError(f"{path.name}: {exc}".replace("front matter", "metadata")) from None
    meta = {str(k).strip().lower(): v for k, v in meta.items()}
    for key, value in meta.items():
        problem = _problem(key, value, default_tz)
        if problem:
            raise ArticleError(f"{path.name}: {problem}")
    return meta


def _problem(key: str, value: Any, default_tz: tzinfo) -> str | None:
    if key not in KNOWN_KEYS:
        known = ", ".join(sorted(k for k in KNOWN_KEYS if k in _DOCUMENTED))
        return f"unknown key '{key}' (known: {known})"
    if key in DATE_KEYS or key in UPDATED_KEYS:
        if isinstance(value, (date, datetime)) or (
            isinstance(value, str) and parse_date(value, default_tz)
        ):
            return None
        return (
            f"'{key}' is not a date we can read: {value!r} "
            "(write 2025-03-03 or 2025-03-03T10:30:00+07:00)"
        )
    if key in ("author", "authors", "byline"):
        if isinstance(value, str) and value.strip():
            return None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return None
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) or (isinstance(v, dict) and "name" in v) for v in value)
        ):
            return None
        return f'\'{key}\' must be a name or a table with a name ([author] name = "…" bio = "…")'
    if key in ("tags", "keywords", "categories", "bullets", "key_bullets", "highlights"):
        # A string is a comma-separated list of tags; bullets often contain commas.
        if (isinstance(value, str) and key in ("tags", "keywords", "categories")) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return None
        return f'\'{key}\' must be a list of strings ({key} = ["…", "…"])'
    if not isinstance(value, str):
        return f"'{key}' must be a string, not {type(value).__name__}"
    return None


# The keys the README documents (the rest of KNOWN_KEYS are aliases front matter accepts).
_DOCUMENTED = frozenset(
    ("title", "author", "date", "updated", "url", "tags", "lang", "summary", "bullets")
) | {"image", "location", "dek"}
