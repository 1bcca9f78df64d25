"""Does a sentence carry its point when read alone? The checks behind the key bullets.

A bullet is read away from the sentences around it, so three kinds of sentence make poor ones
whatever their place or centrality (the word lists, per language, are in data/points.toml):

- a sentence that only *announces* its content: short, without a figure, ending on a noun that
  names a kind of content without giving it — "Passenger groups criticised the timing.",
  "Meskipun …, ada beberapa kekhawatiran." The sentence after it says what it announces, and
  takes its place (bullets.py);
- a *non-event*: a negation next to a verb of telling or happening — "Freight rates for next
  year were not announced.", "did not immediately respond", "belum diketahui", "declined to
  comment", "It is unclear whether …". A bullet never reports that something did not happen;
- a sentence opening with a word that points back at the one before ("This", "Hal ini"): used
  only when nothing else is left.

A bullet also loses a connective that leans on the sentence before it ("In particular, ",
"Secara khusus, "): that sentence is not there. Matching is on words, case-insensitive; a
language without a table gets every table, so an unknown language is still checked.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_ANNOUNCING_WORDS = 14  # an announcement is short; a longer sentence says something itself
_NEAR = 3  # words between a negation and the verb it denies ("were not yet announced")
_WORD = re.compile(r"\w+")
_CONTRACTION = re.compile(r"n[’']t\b", re.IGNORECASE)


Phrase = tuple[str, ...]  # casefolded words


@dataclass(frozen=True)
class _Words:
    vague: frozenset[str]
    negations: tuple[Phrase, ...]
    refusals: tuple[Phrase, ...]
    unknowns: tuple[Phrase, ...]
    denials: tuple[Phrase, ...]
    reported: tuple[str, ...]  # word beginnings of one-word verbs ("announc")
    reported_phrases: tuple[Phrase, ...]  # the others; the last word a word beginning
    triggers: frozenset[str]  # first words of negations, refusals, unknowns
    anaphora: re.Pattern[str]
    connective: re.Pattern[str]


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, list[str]]]:
    raw = resources.files("syndicate").joinpath("data/points.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _alternatives(words: list[str]) -> str:
    """One regex alternation of whole words, longest first."""
    ordered = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in ordered) + ")"


def _tokens(text: str) -> list[str]:
    """Casefolded words, "n't" read as "not"."""
    if "n't" in text or "n’t" in text:
        text = _CONTRACTION.sub(" not", text)
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=32)
def _words(lang: str | None) -> _Words:
    tables = _tables()
    base = (lang or "").split("-")[0].lower()
    chosen = [tables[base]] if base in tables else list(tables.values())

    def merged(key: str) -> list[str]:
        return [w for table in chosen for w in table.get(key, [])] or ["\x00"]

    def phrases(key: str) -> tuple[Phrase, ...]:
        out = {tuple(_tokens(w)) for w in merged(key)}
        return tuple(sorted((p for p in out if p), key=len, reverse=True))

    starts = phrases("negations") + phrases("refusals") + phrases("unknowns")
    return _Words(
        vague=frozenset(w.casefold() for w in merged("vague")),
        negations=phrases("negations"),
        refusals=phrases("refusals"),
        unknowns=phrases("unknowns"),
        denials=phrases("not_denials"),
        reported=tuple(p[0] for p in phrases("reported") if len(p) == 1),
        reported_phrases=tuple(p for p in phrases("reported") if len(p) > 1),
        triggers=frozenset(p[0] for p in starts),
        anaphora=re.compile(r"^" + _alternatives(merged("anaphora")) + r"[\s,]"),
        connective=re.compile(r"^" + _alternatives(merged("connectives")) + r"\s*,\s+"),
    )


def _at(tokens: list[str], i: int, phrase: Phrase, *, open_end: bool = False) -> bool:
    """Does `phrase` stand at tokens[i:]? With `open_end` its last word may be the beginning
    of a longer one ("announc" at "announced")."""
    if i + len(phrase) > len(tokens):
        return False
    *whole, last = phrase
    end = tokens[i + len(whole)]
    return tokens[i : i + len(whole)] == whole and (
        end.startswith(last) if open_end else end == last
    )


def _denies_a_report(tokens: list[str], after: int, words: _Words, reach: int) -> bool:
    """Is one of the next `reach` + 1 words after a negation a verb of telling or happening?"""
    return any(
        tokens[j].startswith(words.reported)
        or any(_at(tokens, j, verb, open_end=True) for verb in words.reported_phrases)
        for j in range(after, min(after + reach + 1, len(tokens)))
    )


def announces_only(sentence: str, lang: str | None) -> bool:
    """Names what it is about and says nothing of it: "Passenger groups criticised the
    timing.", "… ada beberapa kekhawatiran." (short, no figure, ends on a vague noun)."""
    words = sentence.split()
    if not words or len(words) > _ANNOUNCING_WORDS:
        return False
    last = _WORD.findall(words[-1])
    return (
        bool(last)
        and last[-1].casefold() in _words(lang).vague
        and not any(ch.isdigit() for ch in sentence)
    )


def reports_non_event(sentence: str, lang: str | None) -> bool:
    """Reports that something did not happen: "Freight rates … were not announced.",
    "… declined to comment.", "It is unclear …"."""
    words = _words(lang)
    tokens = _tokens(sentence)
    if words.triggers.isdisjoint(tokens):
        return False  # no negation, refusal or "unclear" at all: the usual case, decided fast
    for i, token in enumerate(tokens):
        if token not in words.triggers:
            continue
        if any(_at(tokens, i, d) for d in words.denials):
            continue  # "not only … but": denies nothing
        for kind, reach in ((words.negations, _NEAR), (words.refusals, 2)):
            phrase = next((p for p in kind if _at(tokens, i, p)), None)
            if phrase and _denies_a_report(tokens, i + len(phrase), words, reach):
                return True
        if any(_at(tokens, i, u) for u in words.unknowns):
            return True
    return False


def leans_back(sentence: str, lang: str | None) -> bool:
    """Opens with a word pointing at the sentence before ("This means …", "Hal ini …")."""
    return _words(lang).anaphora.match(sentence) is not None


def standalone(bullet: str, lang: str | None) -> str:
    """The bullet without a connective leaning on a sentence it no longer follows:
    "Secara khusus, Beijing prihatin …" → "Beijing prihatin …"."""
    m = _words(lang).connective.match(bullet)
    if not m or len(bullet) - m.end() < 20:
        return bullet
    rest = bullet[m.end() :]
    return rest[0].upper() + rest[1:]
