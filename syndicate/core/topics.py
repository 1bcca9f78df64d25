"""Topics: what an article is about (its tags) and in (its language), as one vocabulary for the
topic feeds (`feeds/tags/<tag>/`, `feeds/lang/<tag>/`) and the newsletters' filters (#23).

Decisions:
- A tag's slug is its folder name and what a newsletter's `tags` are compared by: NFKC,
  lower case, every run of anything but letters and digits made one "-". "Ports & Harbours",
  "ports-harbours" and "PORTS  harbours" are one topic; letters of every script stay as they
  are ("経済" is its own folder), so a tag in Japanese is not slugged away to nothing. A tag
  with no letter or digit at all has no topic.
- A language's topic is its primary subtag ("en-GB" and "en" are both `lang/en`): a reader
  who follows English wants every English article. A newsletter's `languages` are compared
  the other way round, as RFC 4647 basic filtering does: "en" takes "en" and "en-GB",
  "pt-BR" takes "pt-BR" only.
- An article's topics are one string of folder names ("lang/en tags/ports"), sorted: stored
  with the article's light row (store/articles.py), so publishing finds which topic feeds a
  change touches without decoding any article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from syndicate.core.language import canonical_tag, primary_subtag

TAGS, LANGUAGES = "tags", "lang"  # the folders under paths.feeds
_NOT_WORD = re.compile(r"[\W_]+")


def topic_slug(tag: str) -> str:
    """A tag as a topic (and folder) name, or "" for one without letters or digits."""
    text = unicodedata.normalize("NFKC", tag).casefold()
    return _NOT_WORD.sub("-", text).strip("-")[:80].strip("-")


def language_topic(language: str | None) -> str:
    """The topic of an article's language: its primary subtag, or "" when it has none."""
    tag = canonical_tag(language or "")
    if tag is None or primary_subtag(tag) in ("und", "zxx", "mul"):
        return ""
    return primary_subtag(tag)


def article_topics(tags: Iterable[str], language: str | None) -> str:
    """The feed folders an article belongs in, sorted and space-separated."""
    found = {f"{TAGS}/{s}" for s in map(topic_slug, tags) if s}
    if lang := language_topic(language):
        found.add(f"{LANGUAGES}/{lang}")
    return " ".join(sorted(found))


def language_matches(wanted: str, language: str | None) -> bool:
    """RFC 4647 basic filtering: `wanted` ("en") matches "en" and "en-GB", not "eng"."""
    tag = (canonical_tag(language or "") or "").lower()
    want = wanted.lower()
    return tag == want or tag.startswith(want + "-")
