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
_LAST_WORD = re.compile(r"(\w+)\W*$")
_CONTRACTION = re.compile(r"n[’']t\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Words:
    vague: frozenset[str]
    non_event: re.Pattern[str]
    denials: re.Pattern[str]
    anaphora: re.Pattern[str]
    connective: re.Pattern[str]


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, list[str]]]:
    raw = resources.files("syndicate").joinpath("data/points.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _alternatives(words: list[str], *, prefix: bool = False) -> str:
    """One regex alternation of whole words (or word beginnings), longest first."""
    ordered = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    tail = "" if prefix else r"(?!\w)"
    return "(?:" + "|".join(rf"(?<!\w){re.escape(w)}{tail}" for w in ordered) + ")"


@lru_cache(maxsize=32)
def _words(lang: str | None) -> _Words:
    tables = _tables()
    base = (lang or "").split("-")[0].lower()
    chosen = [tables[base]] if base in tables else list(tables.values())

    def merged(key: str) -> list[str]:
        return [w for table in chosen for w in table.get(key, [])] or ["\x00"]

    reported = _alternatives(merged("reported"), prefix=True)
    gap = rf"(?:\s+\S+){{0,{_NEAR}}}?\s+"
    non_event = "|".join(
        (
            _alternatives(merged("negations")) + gap + reported,
            _alternatives(merged("refusals")) + gap.replace(str(_NEAR), "2") + reported,
            _alternatives(merged("unknowns")),
        )
    )
    return _Words(
        vague=frozenset(w.casefold() for w in merged("vague")),
        non_event=re.compile(non_event, re.IGNORECASE),
        denials=re.compile(_alternatives(merged("not_denials")), re.IGNORECASE),
        anaphora=re.compile(r"^" + _alternatives(merged("anaphora")) + r"[\s,]"),
        connective=re.compile(r"^" + _alternatives(merged("connectives")) + r"\s*,\s+"),
    )


def announces_only(sentence: str, lang: str | None) -> bool:
    """ "Passenger groups criticised the timing.": names what it is about, says nothing of it."""
    words = sentence.split()
    last = _LAST_WORD.search(sentence)
    return (
        len(words) <= _ANNOUNCING_WORDS
        and last is not None
        and last.group(1).casefold() in _words(lang).vague
        and not any(ch.isdigit() for ch in sentence)
    )


def reports_non_event(sentence: str, lang: str | None) -> bool:
    """ "Freight rates … were not announced.", "… declined to comment.", "It is unclear …"."""
    words = _words(lang)
    text = words.denials.sub(" ", _CONTRACTION.sub(" not", sentence))
    return words.non_event.search(text) is not None


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
