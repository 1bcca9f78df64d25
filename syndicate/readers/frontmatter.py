"""YAML (`---`) and TOML (`+++`) front matter: split it off, and lay it over an Article.

Front matter is the publisher telling us outright, so it wins over anything a reader guessed
from the body. Unknown keys are ignored (static-site front matter carries plenty we don't use);
known keys with an unusable value (a title that is a list, a date we cannot parse) are ignored
too rather than rejecting a readable article.

Front matter is untrusted input, and both parsers have measured traps:
- PyYAML's safe loader still expands aliases: nine 9-way aliases turn 482 bytes into a 215 MB
  author name after 130 s. Its objects share references, so the blow-up happens in whoever
  walks them; we walk the parser's *event stream* first (no object is built, no recursion)
  and refuse a document whose aliases expand it past a small multiple of its own size.
- PyYAML's composer and tomllib both recurse per nesting level: 900 levels raise
  RecursionError (not a YAMLError / TOMLDecodeError). YAML depth is counted in the same event
  pass; for TOML the RecursionError is caught, and the loaded table's depth is checked too
  (dotted keys nest without recursion).
Every refusal is an ArticleError naming what is wrong, reached in milliseconds.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import tzinfo
from typing import Any

from syndicate.core.language import canonical_tag
from syndicate.core.model import Article, Author
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
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise ArticleError(
            f"front matter is {len(raw):,} characters long (limit {MAX_FRONT_MATTER_CHARS:,}); "
            "keep metadata short and put the text in the body"
        )
    meta = load_toml(raw) if fence == "+++" else _load_yaml(raw)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        if fence == "---" and not raw.strip():
            return {}, body
        return None, text  # "---" then prose: a thematic break, not front matter
    return {str(k).strip().lower(): v for k, v in meta.items()}, body


# Metadata needs a few levels (author → name); 32 is far beyond any real front matter and far
# below Python's recursion limit.
MAX_DEPTH = 32
# Real front matter is a few hundred bytes; a 5 MB limit on the whole file still lets a huge
# header through, and everything in it ends up in feeds and emails.
MAX_FRONT_MATTER_CHARS = 65_536
# Aliases may repeat a value (an author reused as editor), not multiply the document: the
# expanded size may be at most this many times the front matter's own, plus a little.
ALIAS_EXPANSION = 4
_ALIAS_SLACK = 1024


def load_toml(raw: str) -> dict[str, Any]:
    try:
        meta = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ArticleError(f"front matter is not valid TOML: {exc}") from None
    except RecursionError:
        raise ArticleError(_too_deep()) from None
    if _depth(meta) > MAX_DEPTH:
        raise ArticleError(_too_deep())
    return meta


def _too_deep() -> str:
    return f"front matter is nested more than {MAX_DEPTH} levels deep; flatten it"


def _depth(value: object) -> int:
    """Nesting depth of loaded data, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _yaml_loader() -> type:
    import yaml

    # libyaml's loader when PyYAML was built with it: the same safe constructors, 10× faster.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_yaml_shape(raw: str) -> None:
    """Walk the YAML event stream once: refuse deep nesting and alias bombs before any object
    is built. Sizes are counted as characters of scalars (+1 per node), with every alias
    counted at the full size of what it stands for, so the total is the expanded size."""
    import yaml

    limit = ALIAS_EXPANSION * len(raw) + _ALIAS_SLACK
    anchored: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, size so far) per open collection
    total = 0

    def close(anchor: str | None, size: int) -> None:
        nonlocal total
        if anchor:
            anchored[anchor] = size
        if open_nodes:
            parent_anchor, parent_size = open_nodes[-1]
            open_nodes[-1] = (parent_anchor, parent_size + size)
        else:
            total += size
        if total > limit or (open_nodes and open_nodes[-1][1] > limit):
            raise ArticleError(
                "front matter expands YAML aliases (*name) far beyond its own size "
                f"(over {limit:,} characters): an alias bomb? Write the values out instead"
            )

    for event in yaml.parse(raw, Loader=_yaml_loader()):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_nodes.append((event.anchor, 1))
            if len(open_nodes) > MAX_DEPTH:
                raise ArticleError(_too_deep())
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            close(*open_nodes.pop())
        elif isinstance(event, yaml.ScalarEvent):
            close(event.anchor, len(event.value) + 1)
        elif isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_nodes):
                # PyYAML builds a list that contains itself; whoever walks it never returns.
                raise ArticleError(f"front matter alias *{event.anchor} refers to itself")
            # An undefined alias is a composer error, reported below as invalid YAML.
            close(None, anchored.get(event.anchor, 1))


def _load_yaml(raw: str) -> object:
    import yaml

    try:
        _check_yaml_shape(raw)
        # safe_load: front matter is data; never construct arbitrary Python objects.
        return yaml.load(raw, Loader=_yaml_loader())
    except RecursionError:
        raise ArticleError(_too_deep()) from None  # a backstop: the depth check comes first
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
        # One level only: a list of lists of authors is not metadata anyone writes.
        names = [a for a in (_author(v) for v in value[:10] if not isinstance(v, list)) if a]
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


# Every key apply_front_matter reads, by field; the first one present wins.
TITLE_KEYS = ("title",)
AUTHOR_KEYS = ("author", "authors", "byline")
DATE_KEYS = ("date", "published", "pubdate", "publishdate")
UPDATED_KEYS = ("updated", "lastmod", "modified", "last_modified", "date_modified")
URL_KEYS = ("url", "canonical", "canonical_url", "link", "permalink")
TAG_KEYS = ("tags", "keywords", "categories")
LANG_KEYS = ("lang", "language", "locale")
SUMMARY_KEYS = ("summary", "description", "excerpt")
BULLET_KEYS = ("bullets", "key_bullets", "highlights")
IMAGE_KEYS = ("image", "cover", "lead_image", "featured_image", "thumbnail")
LOCATION_KEYS = ("location", "dateline", "place")
DEK_KEYS = ("dek", "standfirst", "subtitle", "deck")
KNOWN_KEYS = frozenset(
    TITLE_KEYS + AUTHOR_KEYS + DATE_KEYS + UPDATED_KEYS + URL_KEYS + TAG_KEYS + LANG_KEYS
    + SUMMARY_KEYS + BULLET_KEYS + IMAGE_KEYS + LOCATION_KEYS + DEK_KEYS
)  # fmt: skip


def front_matter_author(meta: dict[str, Any]) -> Author | None:
    """The author front matter (or a sidecar) names, if any."""
    return _author(_first(meta, *AUTHOR_KEYS))


def apply_front_matter(article: Article, meta: dict[str, Any], default_tz: tzinfo) -> Article:
    """Overlay the publisher's metadata on what the reader found."""
    changes: dict[str, Any] = {}
    if title := _text(_first(meta, *TITLE_KEYS)):
        changes["title"] = title
    if author := front_matter_author(meta):
        if not author.bio and article.author and article.author.name == author.name:
            author = replace(author, bio=article.author.bio)
        changes["author"] = author
    if published := parse_date(_first(meta, *DATE_KEYS), default_tz):
        changes["published"] = published
    if updated := parse_date(_first(meta, *UPDATED_KEYS), default_tz):
        changes["updated"] = updated
    url = _text(_first(meta, *URL_KEYS))
    if url and url.startswith(("http://", "https://")):
        changes["url"] = url
    if tags := _strings(_first(meta, *TAG_KEYS)):
        changes["tags"] = tags
    lang = _text(_first(meta, *LANG_KEYS))
    if lang and (tag := canonical_tag(lang)):
        changes["language"] = tag
    if summary := _text(_first(meta, *SUMMARY_KEYS)):
        changes["summary"] = summary
    if bullets := _strings(_first(meta, *BULLET_KEYS)):
        changes["key_bullets"] = bullets
    if image := _text(_first(meta, *IMAGE_KEYS)):
        changes["image"] = image
    if location := _text(_first(meta, *LOCATION_KEYS)):
        changes["location"] = location
    if dek := _text(_first(meta, *DEK_KEYS)):
        changes["dek"] = dek
    return article.with_(**changes) if changes else article
