"""The summary: 2–3 whole sentences from the top of the article, and the `summarize` entry point.

News puts the point first, so the summary is lead-biased: the first summary-worthy sentences
(dateline removed), in article order, while they fit the word budget. A sentence is not
summary-worthy when a reader would not want it as a summary on its own: headings, list items,
code and instructions, questions, lead-ins ending in ':', fragments (though a short first
sentence may be the lede), and quoted speech (a quote needs its speaker). Also:

- A *hook* is skipped: an opening sentence (or two) that names nobody and nothing — at most
  one capitalised name, no number — followed by a sentence with at least two more ("With
  summer around the corner, icy treats are back on the menu."). A feature lede sets a mood;
  the news starts where the specifics do. Scripts without letter case are left alone, since
  there capitals say nothing about names.
- A sentence that mostly repeats what the summary already says is skipped.
- An article with sections is summarised from its opening part when that has two sentences.

The knobs were chosen on one half of the shared dev sets (IndoSum, CNN/DailyMail) and
confirmed on the other; see bench/summarize.md. Everything is plain `re` and list work in
input order, so the output depends only on the input (never on hash seeds or set order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from syndicate.core.language import detect_language
from syndicate.core.model import Summary
from syndicate.text.bullets import key_bullets, point_key_sentences
from syndicate.text.sentences import CLOSERS, TERMINAL
from syndicate.text.structure import (
    Sentence,
    article_sentences,
    content_words,
    find_sections,
    overlap,
    parse_blocks,
    procedural_blocks,
    stopwords,
)

# Selection knobs. Position dominates in news, so the summary never reaches far down.
SUMMARY_WORDS = 80  # word budget: past it a third sentence cost more than it added (measured)
_LEAD_WINDOW = 6  # only the first N summary-worthy sentences are considered
_MIN_WORDS = 6  # shorter ones are fragments ("Yaitu, Irman dan Gusman.") or asides
_MIN_LEDE_WORDS = 4  # … except the article's first sentence, a lede may be short
_REDUNDANT = 0.85  # share of content words already said that makes a sentence a repeat
_SECOND_OVER = 1.5  # a 2nd sentence may overshoot the budget this much (2 are promised)
_HOOK_NAMES = 1  # an opening sentence with at most this many names/numbers may be a hook …
_HOOK_GAP = 2  # … when the sentence after it has at least this many more
_HOOK_SENTENCES = 2  # a feature lede may run over two sentences
_HOOK_MIN_CANDIDATES = 4  # skip a hook only when enough sentences follow it
_NUMBER_WEIGHT = 2  # a figure or date weighs as two names: the surest sign of news


def summary_worthy(s: Sentence, min_words: int = _MIN_WORDS) -> bool:
    """Whether a sentence could stand in a summary on its own."""
    t = s.text
    return (
        s.kind == "paragraph"
        and not s.procedural
        and not s.speech  # quotes need their context; measured: worse as summary
        and s.words >= min_words
        and t.endswith(TERMINAL)
        and not t.rstrip(CLOSERS).endswith((":", "?", "؟", "？"))  # questions, lead-ins
    )


_TOKEN = re.compile(r"[^\W_][\w'’.-]*")


def _names_and_numbers(sentence: str, stop: frozenset[str], names: frozenset[str]) -> int | None:
    """Names (capitalised words that are not stop words) plus numbers; None for scripts without
    case (Chinese, Arabic, Thai …), where capitals cannot tell a name. The first word counts
    only if it is in `names`, the words the article capitalises in mid-sentence too. A number
    counts as two: a figure or a date is the surest sign of news ("Syndicate 2.0 is out")."""
    tokens = _TOKEN.findall(sentence)
    cased = sum(1 for t in tokens if t[0].lower() != t[0].upper())
    if not tokens or 2 * cased < len(tokens):
        return None
    numbers = sum(1 for t in tokens if t[0].isdigit())
    first = 1 if tokens[0] in names else 0
    return (
        _NUMBER_WEIGHT * numbers
        + first
        + sum(1 for t in tokens[1:] if t[0].isupper() and t.lower() not in stop)
    )


def mid_sentence_capitals(sents: list[Sentence]) -> frozenset[str]:
    """Words written with a capital somewhere other than at the start of a sentence."""
    return frozenset(t for s in sents for t in _TOKEN.findall(s.text)[1:] if t[0].isupper())


def skip_hook(
    candidates: list[Sentence], stop: frozenset[str], sents: list[Sentence]
) -> list[Sentence]:
    """`candidates` without their opening hook: one or two sentences with at most one name or
    number each, followed by a sentence with more. The news starts where the specifics do; an
    opening as plain as what follows is simply the lede ("The council approved a budget on
    Tuesday." followed by more of the same)."""
    if len(candidates) < _HOOK_MIN_CANDIDATES:
        return candidates
    names = mid_sentence_capitals(sents)
    counts: list[int] = []
    for s in candidates[: _HOOK_SENTENCES + 1]:
        named = _names_and_numbers(s.text, stop, names)
        if named is None:
            return candidates
        counts.append(named)
    for run in range(1, _HOOK_SENTENCES + 1):
        if counts[run - 1] > _HOOK_NAMES:
            break
        if counts[run] >= max(counts[:run]) + _HOOK_GAP:
            return candidates[run:]
    return candidates


def select_summary(
    sents: list[Sentence],
    stop: frozenset[str],
    words_of: dict[int, list[str]],
    max_words: int,
    reserved: frozenset[int],
    said: frozenset[str] = frozenset(),
) -> list[Sentence]:
    """Lead-biased choice of 2–3 sentences; `reserved` ones (the key sentences the article's
    own points already show as bullets) are avoided unless nothing else is left, and none
    repeats what is `said` already (the content words of the dek printed above it)."""
    opening = next((s for s in sents if s.kind == "paragraph" and not s.procedural), None)

    def worthy(s: Sentence) -> bool:
        # The opening sentence may be short: "Syndicate 2.0 is out today." is the news.
        return summary_worthy(s, _MIN_LEDE_WORDS if s is opening else _MIN_WORDS)

    candidates = [s for s in sents if worthy(s) and s.index not in reserved]
    if len(candidates) < 2:
        candidates = [s for s in sents if worthy(s)]
    if len(candidates) < 2:  # relax: any sentence-like paragraph or item text will do
        prose = [s for s in sents if s.kind in ("paragraph", "item")]
        prose = [s for s in prose if not s.procedural] or prose  # an article of instructions
        candidates = [s for s in prose if s.words >= 3] or prose
    # An article with sections opens with its own summary: keep to it when it has enough.
    if len([s for s in candidates if s.section == 0]) >= 2:
        candidates = [s for s in candidates if s.section == 0]
    candidates = candidates[:_LEAD_WINDOW]  # lead bias: only the opening is considered
    if candidates and candidates[0] is opening:  # a hook opens the article, or is no hook
        candidates = skip_hook(candidates, stop, sents)
    chosen: list[Sentence] = []
    seen: set[str] = set(said)
    total = 0
    for s in candidates:
        if len(chosen) == 3:
            break
        words = words_of[s.index]
        if (chosen or said) and overlap(words, seen) > _REDUNDANT:
            continue  # says again what the summary already says
        if chosen and total + s.words > max_words:
            # A second sentence is wanted even over budget (2–3 sentences are promised) unless
            # it is a wall of text. A third must fit, and when the next one does not, we stop
            # rather than reach further down: position beats length (measured).
            if len(chosen) >= 2:
                break
            if total + s.words > max_words * _SECOND_OVER:
                continue
        chosen.append(s)
        seen.update(words)
        total += s.words
    if len(chosen) == 1 and len(candidates) > 1:
        # Two sentences are promised; rather a repetitive or long one than a lone sentence.
        rest = [s for s in candidates if s not in chosen and s.words <= max_words]
        chosen.append((rest or [s for s in candidates if s not in chosen])[0])
        chosen.sort(key=lambda s: s.index)
    return chosen


def summarize(
    text: str, lang: str | None = None, *, max_words: int = SUMMARY_WORDS, dek: str = ""
) -> Summary:
    """2–3 whole sentences in article order (≤ max_words) and 3–5 key bullets.

    `text` is an article body as plain text (`Article.text`: blocks separated by blank lines,
    headings on their own line, list items with their marker). `lang` picks the stop words;
    without it the language is detected (syndicate.core.language). `dek` is the article's
    standfirst, shown above the summary: a sentence that only says it again is left out.
    """
    blocks = parse_blocks(text or "")
    if not blocks:
        return Summary(summary="", bullets=[])
    if lang is None:
        lang = detect_language(text)
    stop = stopwords(lang)
    sections, of_block = find_sections(blocks)
    sents = article_sentences(blocks, of_block, procedural_blocks(blocks, sections, of_block))
    keys = point_key_sentences(blocks, sents)
    words_of = {s.index: content_words(s.text, stop) for s in sents}
    said = frozenset(content_words(dek, stop)) if dek else frozenset()
    chosen = select_summary(sents, stop, words_of, max_words, frozenset(keys), said)
    if not chosen:  # only headings: nothing to summarise, but they still say what it covers
        return Summary(summary="", bullets=[b.text for b in blocks if b.kind == "heading"][:5])
    bullets = key_bullets(sents, sections, blocks, chosen, words_of, lang)
    return Summary(summary=_join(s.text for s in chosen), bullets=bullets)


def _join(sentences: Iterable[str]) -> str:
    """Sentences as running text: a space between them, none after a CJK full stop."""
    out = ""
    for s in sentences:
        out += s if not out or out[-1] in "。！？｡」』" else f" {s}"
    return out
