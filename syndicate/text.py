"""Sentences and summaries (pure, deterministic, offline). Owned by issue #4."""

from __future__ import annotations

from syndicate.model import Summary


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    raise NotImplementedError


def summarize(text: str, lang: str | None = None, *, max_words: int = 70) -> Summary:
    """2–3 whole sentences in article order (≤ max_words) and 3–5 key bullets.

    `text` is an article body as plain text (blocks separated by blank lines). Lines starting
    with a bullet marker ("• ", "- ", "* ", "1. ") are the article's own points/sections and
    drive the bullets.
    """
    raise NotImplementedError
