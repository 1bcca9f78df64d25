"""YAML (`---`) and TOML (`+++`) front matter: split it off, and lay it over an Article.

Front matter is the publisher telling us outright, so it wins over anything a reader guessed
from the body. Unknown keys are ignored (static-site front matter carries plenty we don't use);
known keys with an unusable value (a title that is a list, a date we cannot parse) are ignored
too rather than rejecting a readable article.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import tzinfo
from typing import Any

from syndicate.language import canonical_tag
from syndicate.model import Article, Author
from syndicate.readers.dates import parse_date
from syndicate.readers.errors import ArticleError
from syndicate.readers.hygiene import clean_field

_FENCES = {
    "---": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M),
    "+++": re.compile(r"^\+\+\+[ \t]*$", re.M),
}


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(metadata, body); (None, text) when the text has no front matter."""
    first, _, rest = text.partition("\n")
    fence = first.strip()
    if fence not in _FENCES:
        return None, text
    end = _FENCES[fence].search(rest)
    if end is None:
        if fence == "---":
            return None, text  # a Markdown horizontal rule, not front matter
        raise ArticleError("front matter opened with +++ is never closed")
    raw, body = rest[: end.start()], rest[end.end() :]
    if fence == "+++":
        try:
            meta: object = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise ArticleError(f"front matter is not valid TOML: {exc}") from None
    else:
        meta = _load_yaml(raw)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        if fence == "---" and not raw.strip():
            return {}, body
        return None, text  # "---" then prose: a thematic break, not front matter
    return {str(k).strip().lower(): v for k, v in meta.items()}, body


def _load_yaml(raw: str) -> object:
    import yaml

    try:
        # safe_load: front matter is data; never construct arbitrary Python objects.
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "syntax error"
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ArticleError(f"front matter is not valid YAML: {problem}{where}") from None
    except ValueError as exc:
        # PyYAML resolves anything shaped like a date (2026-13-45) as a timestamp, then the
        # datetime constructor raises ValueError, not a YAMLError.
        raise ArticleError(f"front matter has an impossible date: {exc}") from None


def _first(meta: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = meta.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = clean_field(str(value))
        return text or None
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;]", value)]
    if not isinstance(value, list):
        return ()
    out = [_text(v) for v in value[:100]]
    return tuple(dict.fromkeys(v for v in out if v))


def _author(value: Any) -> Author | None:
    if isinstance(value, list) and value:
        names = [a for a in (_author(v) for v in value[:10]) if a]
        if not names:
            return None
        if len(names) == 1:
            return names[0]
        return Author(name=", ".join(a.name for a in names))
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        name = _text(lowered.get("name"))
        if not name:
            return None
        return Author(
            name=name,
            bio=_text(lowered.get("bio") or lowered.get("description")) or "",
            email=_text(lowered.get("email")),
            url=_text(lowered.get("url") or lowered.get("website")),
        )
    name = _text(value)
    return Author(name=name) if name else None


def apply_front_matter(article: Article, meta: dict[str, Any], default_tz: tzinfo) -> Article:
    """Overlay the publisher's metadata on what the reader found."""
    changes: dict[str, Any] = {}
    if title := _text(_first(meta, "title")):
        changes["title"] = title
    if author := _author(_first(meta, "author", "authors", "byline")):
        if not author.bio and article.author and article.author.name == author.name:
            author = replace(author, bio=article.author.bio)
        changes["author"] = author
    if published := parse_date(
        _first(meta, "date", "published", "pubdate", "publishdate"), default_tz
    ):
        changes["published"] = published
    if updated := parse_date(
        _first(meta, "updated", "lastmod", "modified", "last_modified", "date_modified"), default_tz
    ):
        changes["updated"] = updated
    url = _text(_first(meta, "url", "canonical", "canonical_url", "link", "permalink"))
    if url and url.startswith(("http://", "https://")):
        changes["url"] = url
    if tags := _strings(_first(meta, "tags", "keywords", "categories")):
        changes["tags"] = tags
    lang = _text(_first(meta, "lang", "language", "locale"))
    if lang and (tag := canonical_tag(lang)):
        changes["language"] = tag
    if summary := _text(_first(meta, "summary", "description", "excerpt")):
        changes["summary"] = summary
    if bullets := _strings(_first(meta, "bullets", "key_bullets", "highlights")):
        changes["key_bullets"] = bullets
    if image := _text(_first(meta, "image", "cover", "lead_image", "featured_image", "thumbnail")):
        changes["image"] = image
    if location := _text(_first(meta, "location", "dateline", "place")):
        changes["location"] = location
    return article.with_(**changes) if changes else article
