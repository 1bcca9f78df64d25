"""Sentences, summaries and key bullets (pure, deterministic, offline).

- `sentences`: sentence splitting for news text in any script;
- `structure`: what the summarizer sees of a body: blocks, sections, sentences, words;
- `summary`: the 2–3 sentence summary and `summarize`, the entry point;
- `bullets`: the key bullets.

`from syndicate.text import summarize, split_sentences` is the public surface (the pipeline,
the benchmarks and `syndicate/__init__.py` use it).
"""
