"""Key bullets: what the summary does not say, one point per bullet, never cut before its point.

A bullet is a whole sentence of the article, or the first independent clause of a long one (the
part before a ';' or ':'), or one of the article's own list items; it is never shortened with
an ellipsis, because the clause a cut drops is often the one that carries the point ("Beijing
backs Moscow's 'legitimate security interests'…" loses "which match its policy on Taiwan").

- An article with sections (two or more headings or points) gets one bullet per section, in
  order, as "Heading: key sentence" (the heading when short); with more sections than bullets,
  the first ones and always the last, since a closing section is where the counter-point or
  the outlook sits. A section made of a list gives its items instead.
- Otherwise the article's own list items are its points; failing those, the most central
  sentences outside the summary (frequent content words, earlier is better), not repeating the
  summary or each other.
- Instructions are never points: code, steps under "Upgrading"/"Installation"/"Instalasi",
  numbered lists introduced by "To install:" (see structure.procedural_blocks).
- A bullet carries its point read alone (points.py): a sentence that only announces its
  content ("There are some concerns.") gives way to the next one, which states it; a sentence
  that reports a non-event ("… were not announced.") is never a bullet; one that opens by
  pointing back ("This means …") only when nothing else is left; a leading connective that
  leans on the sentence before ("In particular, ") is dropped.
"""

from __future__ import annotations

import re
from collections import Counter

from syndicate.text.points import announces_only, leans_back, reports_non_event, standalone
from syndicate.text.sentences import TERMINAL, WIDE, n_words
from syndicate.text.structure import (
    Block,
    Section,
    Sentence,
    is_point,
    overlap,
)

MAX_BULLETS = 5
BULLET_WORDS = 35  # a longer sentence is not a bullet, though one of its clauses may be
_MIN_WORDS = 5  # shorter sentences are asides ("But maybe that's about to change.")
_LABEL_WORDS = 8  # a longer heading is not repeated in front of its bullet
_LONG_ARTICLE = 20  # sentences; a longer article gets up to five bullets, a shorter one three
# The end of a first independent clause: a ';' or ':' (a comma or dash ends dependent ones),
# unless a quotation follows: then what precedes is its attribution ("He said: 'We …").
_CLAUSE_END = re.compile(r"\s*[;:]\s+(?![\"“‘'«「])|[；：](?![“‘「])")


def as_bullet(sentence: str) -> str | None:
    """The sentence, or its first independent clause when the sentence is too long and the
    clause fits; None when neither fits. Only the first clause: a later one leans on it, and in
    scraped pages it is often a photo caption glued on."""
    if n_words(sentence) <= BULLET_WORDS:
        return sentence
    end = _CLAUSE_END.search(sentence)
    if not end:
        return None
    clause = sentence[: end.start()].rstrip(",;:，；： ")
    if not _MIN_WORDS + 1 <= n_words(clause) <= BULLET_WORDS:
        return None
    return clause + ("。" if WIDE.search(clause) else ".")


def point_key_sentences(blocks: list[Block], sents: list[Sentence]) -> dict[int, Sentence]:
    """Each point's key sentence: the first sentence of the paragraph below it, keyed by the
    sentence's index ("• Keuntungan geopolitik" → "Tiongkok memandang …")."""
    first_of_block: dict[int, Sentence] = {}
    for s in sents:
        first_of_block.setdefault(s.block, s)
    return {
        first_of_block[i + 1].index: first_of_block[i + 1]
        for i in range(len(blocks))
        if is_point(blocks, i) and i + 1 in first_of_block
    }


def _bullet_worthy(s: Sentence, lang: str | None, strict: bool = True) -> bool:
    if s.procedural or s.kind != "paragraph" or not s.text.endswith(TERMINAL):
        return False
    if s.text.rstrip("\"'”’»)]").endswith((":", "?", "؟", "？")):
        return False
    if s.words < _MIN_WORDS or (strict and (s.speech or leans_back(s.text, lang))):
        return False
    return not reports_non_event(s.text, lang)


def _stated(s: Sentence, sents: list[Sentence], lang: str | None) -> Sentence | None:
    """The sentence that states `s`'s point: `s` itself, or, when `s` only announces it
    ("… ada beberapa kekhawatiran."), the next sentence of its section if that one says it."""
    if not announces_only(s.text, lang):
        return s
    nxt = sents[s.index + 1] if s.index + 1 < len(sents) else None
    if (
        nxt is not None
        and nxt.section == s.section
        and _bullet_worthy(nxt, lang, strict=False)
        and not announces_only(nxt.text, lang)
    ):
        return nxt
    return None


def _bullet(s: Sentence, lang: str | None) -> str | None:
    return as_bullet(standalone(s.text, lang))


def _list_items(sents: list[Sentence], blocks: list[Block]) -> list[Sentence]:
    """Items of ordinary lists (not points, not instructions)."""
    return [
        s
        for s in sents
        if s.kind == "item" and not s.procedural and not is_point(blocks, s.block) and s.text
    ]


def _section_bullets(
    sents: list[Sentence],
    sections: list[Section],
    blocks: list[Block],
    used: set[int],
    lang: str | None,
) -> list[tuple[int, int, str]]:
    """(section, sentence index, bullet) candidates: one key sentence per section, or all the
    items of a section made of a list, in article order."""
    items = _list_items(sents, blocks)
    out: list[tuple[int, int, str]] = []
    for sec_i, section in enumerate(sections):
        if section.procedural:
            continue
        in_section = [s for s in sents if s.section == sec_i and s.index not in used]
        listed = [s for s in items if s.section == sec_i]
        if len(listed) >= 2:
            out += [(sec_i, s.index, b) for s in listed if (b := as_bullet(s.text))]
            continue
        for strict in (True, False):
            key = next(
                (
                    (t, b)
                    for s in in_section
                    if _bullet_worthy(s, lang, strict)
                    and (t := _stated(s, sents, lang)) is not None
                    and t.index not in used
                    and (b := _bullet(t, lang))
                ),
                None,
            )
            if key:
                s, bullet = key
                label = section.heading
                if label and len(label.split()) <= _LABEL_WORDS and not label.endswith(TERMINAL):
                    bullet = f"{label}: {bullet}"
                out.append((sec_i, s.index, bullet))
                break
    return out


def _structured(
    sents: list[Sentence],
    sections: list[Section],
    blocks: list[Block],
    used: set[int],
    lang: str | None,
) -> list[tuple[int, str]]:
    candidates = _section_bullets(sents, sections, blocks, used, lang)
    # One per section first (the opening part last: the summary already speaks for it) …
    firsts: dict[int, tuple[int, int, str]] = {}
    for c in candidates:
        firsts.setdefault(c[0], c)
    order = [k for k in firsts if k != 0] + [k for k in firsts if k == 0]
    if len(order) > MAX_BULLETS:  # keep the closing section: counter-point, outlook
        closing = max(k for k in order if k != 0)
        order = [*[k for k in order if k != closing][: MAX_BULLETS - 1], closing]
    picked = [firsts[k] for k in order]
    # … then more items of listed sections while there is room.
    for c in candidates:
        if len(picked) >= MAX_BULLETS:
            break
        if c not in picked:
            picked.append(c)
    return [(index, bullet) for _, index, bullet in picked]


def _central(
    sents: list[Sentence],
    summary: list[Sentence],
    used: set[int],
    words_of: dict[int, list[str]],
    want: int,
    lang: str | None,
) -> list[tuple[int, str]]:
    """Key sentences outside the summary and `used`: central (frequent content words), early,
    not redundant with the summary or each other; one that only announces its point stands
    for the next sentence, which states it."""
    pool = [s for s in sents if s.index not in used and _bullet_worthy(s, lang)]
    if len(pool) < want:
        pool += [
            s
            for s in sents
            if s.index not in used and s not in pool and _bullet_worthy(s, lang, False)
        ]
    freq: Counter[str] = Counter()
    for s in sents:
        freq.update(set(words_of[s.index]))
    seen: set[str] = set()
    for s in summary:
        seen.update(words_of[s.index])
    n = len(sents)

    def score(s: Sentence) -> float:
        distinct = set(words_of[s.index])
        if not distinct:
            return 0.0
        centrality = sum(min(freq[w], 5) for w in distinct) / (len(distinct) ** 0.5)
        return centrality * (1.5 - s.index / (n + 1))

    ranked = sorted(pool, key=lambda s: (-score(s), s.index))
    picked: list[tuple[int, str]] = []
    # Strict about repeating the summary first; relax only if that leaves too few bullets
    # (short articles), since three bullets are promised.
    for limit in (0.6, 0.85, 1.0):
        for ranked_s in ranked:
            if len(picked) == want:
                break
            s = _stated(ranked_s, sents, lang)
            if s is None or s.index in used:
                continue
            bullet = _bullet(s, lang)
            if (
                not bullet
                or any(bullet == b for _, b in picked)
                or overlap(words_of[s.index], seen) > limit
            ):
                continue
            picked.append((s.index, bullet))
            seen.update(words_of[s.index])
    return picked


def key_bullets(
    sents: list[Sentence],
    sections: list[Section],
    blocks: list[Block],
    summary: list[Sentence],
    words_of: dict[int, list[str]],
    lang: str | None = None,
) -> list[str]:
    """3–5 bullets in article order (fewer when the article has nothing more to say); `lang`
    picks the words that tell whether a sentence carries its point (points.py)."""
    used = {s.index for s in summary}
    headed = [
        i
        for i, sec in enumerate(sections)
        if i > 0 and not sec.procedural and any(s.section == i for s in sents)
    ]
    if len(headed) >= 2:
        picked = _structured(sents, sections, blocks, used, lang)
    else:
        items = _list_items(sents, blocks)
        picked = (
            [(s.index, b) for s in items if (b := as_bullet(s.text))] if len(items) >= 2 else []
        )
    picked = picked[:MAX_BULLETS]
    if len(picked) < 3:
        want = MAX_BULLETS if len(sents) > _LONG_ARTICLE else 3
        taken = used | {index for index, _ in picked}
        picked += _central(sents, summary, taken, words_of, want - len(picked), lang)
    bullets: list[str] = []
    for _, bullet in sorted(picked):
        if bullet not in bullets:
            bullets.append(bullet)
    return bullets
