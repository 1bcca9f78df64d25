"""Sentences, summaries and key bullets (pure, deterministic, offline).

- `sentences`: sentence splitting for news text in any script;
- `structure`: what the summarizer sees of a body: blocks, sections, sentences, words;
- `summary`: the 2–3 sentence summary and `summarize`, the entry point;
- `bullets`: the key bullets.

`from syndicate.text import summarize, split_sentences` is the public surface (the pipeline,
the benchmarks and `syndicate/__init__.py` use it).
"""

from __future__ import annotations

from syndicate.text.bullets import as_bullet
from syndicate.text.sentences import split_sentences
from syndicate.text.structure import strip_dateline
from syndicate.text.summary import summarize

__all__ = ["as_bullet", "split_sentences", "strip_dateline", "summarize"]
