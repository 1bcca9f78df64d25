"""The author's box at the end of an article: who wrote it, the bio, and where the box starts.

Newsrooms close an article with the author in a handful of shapes, in every language the
readers know (the words come from data/readers.toml):

- a heading — "About the author", "Tentang penulis", "À propos de l'auteur", "Über den Autor" —
  with the bio below it (maybe after a line with the name), or after it on the same line;
- a line with the name, then a bio about that person (the bundled sample's shape);
- a closing paragraph about the author, with the name (or part of it) or a word standing for
  the author as its subject and any verb: "Margaret Ellison is the Ledger's coast and shipping
  correspondent.", "Tom Baxter reports on transport …", "Claire Dubois est journaliste …",
  "She covers health for the Ledger." — bare, after a dash, or in italics;
- a sign-off with the name only: "— Jane Doe", "(Jane Doe)", "Oleh: Jane Doe".

Whose bio is it? A closing sentence about a person is news as often as it is a bio ("Maria
Chen is a senior analyst at Harbour Economics." after a quote of hers), so:

- when the author is known (a byline, front matter, the page's metadata), a bio's subject must
  be that author: the name, a part of it ("Ellison"), or a word standing for the author ("She",
  "Dia", "Elle", "Der Autor") — the last only when the page sets the paragraph apart (italics,
  a dash, a heading), or it speaks of the writer's trade ("covers", "correspondent",
  "jurnalis") and does not follow a quotation: "She said …" or "She is a former reporter …"
  after a quote is about the person quoted;
- when it is not, the subject must be a name of two words or more that the article has not
  mentioned before, in a paragraph set apart or speaking of the writer's trade; under an
  "About the author" heading the heading says it all.

The box is always the end of the body (readers drop furniture such as "Sumber" first), and
leaves the body; a paragraph that is not taken stays where it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from syndicate.core.model import Author
from syndicate.readers.markers import Markers, match_marker, mentions_role
from syndicate.readers.meta import NAME_PARTICLES, as_name, byline_name, ends_sentence

_MAX_BOX = 4  # paragraphs: a heading, a name line and two of bio at most
_MAX_BIO_WORDS = 160  # per paragraph; a longer one is article text
# "— Jane Doe is …", "-- Jane Doe", "– Jane Doe": a dash sets a closing line apart.
_DASH = re.compile(r"^(?:--?|[—–])\s*(?=\S)")
# "*Priya Raman covers …*", "_…_": one paragraph in italics, as plain text shows it.
_ITALIC = re.compile(r"^([*_])(?![*_\s])(.+?)(?<![\s*_])\1$")
_PARENTHESES = re.compile(r"^[(（]\s*(.+?)\s*[)）]$")
_QUOTE = re.compile(r"[\"“”„«»「」]")


@dataclass(frozen=True)
class Closing:
    """One of the last blocks of a body, as its reader saw it."""

    text: str
    set_apart: bool = False  # in italics, or marked as the author's by the page
    heading: bool = False  # a heading block ("## About the author")


def unwrap(text: str) -> tuple[str, bool]:
    """A closing line without its decoration (a leading dash, italics), and whether it had
    any: "— *Jane Doe is a writer.*" → ("Jane Doe is a writer.", True)."""
    text, marked = text.strip(), False
    for _ in range(2):  # "— *…*" and "*— …*"
        italic = _ITALIC.match(text)
        if italic:
            text, marked = italic.group(2).strip(), True
        dash = _DASH.match(text)
        if dash:
            text, marked = text[dash.end() :].strip(), True
    return text, marked


def sign_off_name(text: str, markers: Markers) -> str | None:
    """The name of a closing sign-off: "— Jane Doe", "(Jane Doe)", "*Oleh: Budi*"."""
    bare, marked = unwrap(text)
    if name := byline_name(bare, markers.byline):
        return name
    enclosed = _PARENTHESES.match(bare)
    if enclosed:
        bare, marked = enclosed.group(1), True
    return bare if marked and as_name(bare) == bare else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_same_person(name: str, author: str) -> bool:
    """Is `name` the author? "Ellison", "Margaret Ellison" and "Dr Margaret Ellison" are Margaret
    Ellison; so is "Jane Doe" of "Jane Doe and John Roe"."""
    words, known = _fold(name).split(), _fold(author).replace(",", " ").split()
    return bool(words) and (set(words) <= set(known) or _fold(author) in _fold(name))


def _subject(text: str, markers: Markers) -> tuple[str, str] | None:
    """("pronoun", "She") or ("name", "Tom Baxter") when `text` opens with a subject of that
    kind followed by its verb (or a comma: "Jane Doe, a freelance writer, …")."""
    for word in markers.author_subject:
        if text.startswith(word) and text[len(word) : len(word) + 1] in (" ", ","):
            return "pronoun", word
    tokens = text.split()
    name: list[str] = []
    for i, token in enumerate(tokens[:7]):
        core = token.rstrip(",")
        if not core:
            return None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        particle = bool(name) and core.casefold() in NAME_PARTICLES and nxt[:1].isupper()
        if not (core[0].isupper() or particle):
            break
        name.append(core)
        if core != token:  # "Jane Doe, a freelance writer, …": the comma ends the subject
            return ("name", " ".join(name)) if as_name(" ".join(name)) == " ".join(name) else None
    else:
        return None
    rest = tokens[len(name)] if len(name) < len(tokens) else ""
    if rest.startswith("(") and ")" in text:  # "Jane Doe (@janedoe) is …"
        rest = text[text.index(")") + 1 :].strip()
    if not name or not rest[:1].islower():
        return None
    candidate = " ".join(name)
    return ("name", candidate) if as_name(candidate) == candidate else None


def _mentioned(name: str, earlier: str) -> bool:
    """Has the article named this person before ("… said Maria Chen.")?"""
    return any(
        re.search(rf"(?<!\w){re.escape(word)}(?!\w)", earlier)
        for word in name.split()
        if len(word) > 2 and word.casefold() not in NAME_PARTICLES
    )


def _is_common_word(word: str, earlier: str) -> bool:
    """A capital at the start of a sentence, not a name: the article writes it in lower case
    too ("The Ledger is …", "Local Tories say …")."""
    return re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", earlier) is not None


def _is_bio(text: str) -> bool:
    return (
        0 < len(text.split()) <= _MAX_BIO_WORDS
        and ends_sentence(text)
        and not text.endswith((":", "?", "？", "؟"))
    )


def _opens_bio(
    text: str, marked: bool, known: str | None, earlier: str, previous: str, markers: Markers
) -> str | None:
    """The author's name when `text` is a bio's first paragraph, with the evidence the module
    docstring asks for; `known` is the author named elsewhere, `previous` the paragraph before:
    after a quotation, an unmarked "She is a former reporter …" is about the one quoted."""
    if not _is_bio(text):
        return None
    subject = _subject(text, markers)
    if subject is None:
        # Scripts without capitals: only the author's own name, in a paragraph set apart.
        return known if known and marked and text.startswith(known) else None
    kind, who = subject
    if kind == "pronoun":
        about_writer = mentions_role(text, markers) and not _QUOTE.search(previous)
        return known if known and (marked or about_writer) else None
    if known:
        return known if is_same_person(who, known) else None
    ok = (
        len(who.split()) >= 2
        and not _mentioned(who, earlier)
        and not _is_common_word(who.split()[0], f"{earlier} {text}")
        and (marked or mentions_role(text, markers))
    )
    return who if ok else None


def _continues(text: str, author: str, markers: Markers) -> bool:
    """A further paragraph of the same bio: about the same person, or a word standing for
    them ("She lives in Lisbon.")."""
    subject = _subject(text, markers)
    if not _is_bio(text) or subject is None:
        return False
    kind, who = subject
    return kind == "pronoun" or is_same_person(who, author)


def _about_heading(text: str, markers: Markers) -> str | None:
    """An empty string for a bare "About the author" line, what follows it on the line for
    "About the author: Jane Doe is …", None for anything else."""
    found = match_marker(text, markers.about_author, max_words=8)
    if found is None:
        return None
    if found.bare or not found.payload:
        return "" if len(text.split()) <= 8 and not ends_sentence(text.rstrip(":：")) else None
    return found.payload


def _with_bio(name: str, paragraphs: list[str], known: str | None) -> Author | None:
    if known and not is_same_person(name, known):
        return None
    return Author(name=known or name, bio=" ".join(paragraphs))


def vouched_bio(paragraphs: Sequence[str], known: str | None, markers: Markers) -> Author | None:
    """The author and bio from paragraphs the page itself says are the author's (under "About
    the author", or an HTML element marked as the bio): [a name line] and the bio. The name is
    the name line's, else the bio's subject's, else `known`; a bio about someone other than
    `known` is not the author's."""
    rest = [unwrap(p)[0] for p in paragraphs]
    name = None
    if len(rest) > 1 and as_name(rest[0]) == rest[0]:
        name = rest.pop(0)
    if not rest or not all(_is_bio(t) for t in rest):
        return None
    subject = _subject(rest[0], markers)
    name = name or (subject[1] if subject and subject[0] == "name" else None) or known
    return _with_bio(name, rest, known) if name else None


def _box(
    box: Sequence[Closing], known: str | None, before: Sequence[str], m: Markers
) -> Author | None:
    """The author and bio when `box` (the body's last blocks, after the paragraphs `before`)
    is an author's box."""
    earlier = " ".join(before)
    texts = [unwrap(c.text) for c in box]
    heading = _about_heading(box[0].text, m)
    if heading is not None:
        # "About the author" [name line] bio…: the heading vouches for what follows it.
        return vouched_bio(([heading] if heading else []) + [c.text for c in box[1:]], known, m)
    first, first_marked = texts[0]
    marked = first_marked or box[0].set_apart
    if len(box) > 1 and as_name(first) == first and not box[0].heading:
        # A name line, then a bio about that person.
        bio = [t for t, _ in texts[1:]]
        opener = _subject(bio[0], m)
        about_them = opener is not None and (
            opener[0] == "pronoun" or is_same_person(opener[1], first)
        )
        fresh = known is not None or (
            not _mentioned(first, earlier) and not _is_common_word(first.split()[0], earlier)
        )
        if about_them and fresh and all(_continues(t, first, m) for t in bio):
            return _with_bio(first, bio, known)
        return None
    if box[0].heading:
        return None
    name = _opens_bio(first, marked, known, earlier, before[-1] if before else "", m)
    if name is None or not all(_continues(t, name, m) for t, _ in texts[1:]):
        return None
    return Author(name=name, bio=" ".join(t for t, _ in texts))


def find_author_box(
    tail: Sequence[Closing], *, known: str | None, earlier: Sequence[str], markers: Markers
) -> tuple[int, Author] | None:
    """(where the author's box starts in `tail`, the author with the bio), or None.

    `tail` is the body's last blocks, `earlier` the body's blocks before them, `known` the
    author's name when a byline, front matter or the page's metadata gave one. The largest box
    wins ("About the author" + name line + bio rather than the bio alone)."""
    for start in range(max(0, len(tail) - _MAX_BOX), len(tail)):
        before = [*earlier, *(c.text for c in tail[:start])]
        author = _box(tail[start:], known, before, markers)
        if author is not None:
            return start, author
    return None
