"""What the summarizer sees of an article body: blocks, sections, sentences, words.

The body arrives as plain text (`Article.text`: blocks separated by blank lines, list items with
their marker, headings on a line of their own), so the structure is recovered from the lines:

- a short line without final punctuation is a heading; a line starting with a list marker is an
  item; a line that reads as a shell command or code is code and never prose;
- a section starts at a heading, or at a *point*: a short item standing alone and explained by
  the paragraph below it ("• Keuntungan geopolitik" then "Tiongkok memandang …"), a habit of
  Indonesian and listicle news;
- a section is *procedural* when its heading or the line introducing it names steps, setup or
  an upgrade, or when it is made of code: instructions are not what an article is about.

Sentences carry their section, and whether they are quoted speech: a sentence opening with a
quotation, or one inside a quotation that an earlier sentence of the paragraph opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from syndicate.text.sentences import (
    LIST_MARKER,
    TERMINAL,
    n_words,
    physical_lines,
    split_paragraph,
    wordset,
)

# --------------------------------------------------------------------------------------------
# Lines: furniture, end of body, datelines
# --------------------------------------------------------------------------------------------

# Page furniture that readers usually strip already; dropped defensively line by line.
_FURNITURE = re.compile(
    r"""^(?:
        (?:baca|simak|lihat|tonton)(?:\s+(?:juga|pula|video|selengkapnya|berita|artikel))+\b.*
      | (?:baca|simak|lihat|tonton|read|watch)\s*:.*
      | (?:read|see|watch)\s+(?:more|also|next)\b.*
      | (?:advertisement|iklan|scroll\s+to\s+continue.*|sponsored|promoted|ads?)
      | (?:share|bagikan)\s*(?::.*|this\b.*|(?:artikel|berita)\s+ini\b.*)
      | (?:follow\s+us|ikuti\s+kami)\b.*
      | (?:related(?:\s+(?:articles?|stories|news))?|artikel\s+terkait|berita\s+terkait)\s*:?.*
      | (?:anda|kamu)\s+mungkin\s+(?:juga\s+)?(?:tertarik|suka)\b.*
      | you\s+(?:may|might)\s+(?:also\s+)?(?:like|be\s+interested)\b.*
      | (?:editor|penulis|reporter|pewarta|penyunting|writer|foto|photo|image|gambar)\s*:.*
      | (?:(?:additional\s+)?reporting|writing|editing)\s+by\b.*
      | \((?:[a-z]{2,5}/?){1,3}\)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_FURNITURE_MAX_WORDS = 20  # furniture is a short line; a long one starting alike is prose
# Furniture glued to the start of a sentence when a page was flattened to text ("Scroll down
# for video A slick bunk bed design …").
_INLINE_FURNITURE = re.compile(
    r"^(?:scroll\s+(?:down\s+)?(?:for|to)\s+(?:video|continue(?:\s+with\s+content)?|more))\b\s*",
    re.IGNORECASE,
)

# A line that ends the article body: what follows is credits, author bio or link lists.
_END_OF_BODY = re.compile(r"^(?:sumber|source|sources|referensi|references)\s*:?\s*$", re.I)

# "JAKARTA, KOMPAS.com - ", "Jakarta (ANTARA News) - ", "WASHINGTON (Reuters) — ",
# "Liputan6.com, Jakarta - ", "Jakarta, CNN Indonesia - - ": capitalised words, a place or
# agency in parentheses, then a spaced dash. Kept off the summary: it is not part of the news.
_DATELINE = re.compile(
    r"^(?P<head>(?:[A-Z0-9][\w.&'’/-]*,?\s+|\([^()\n]{1,40}\),?\s+){1,7})"
    r"[-–—]{1,2}(?:\s*[-–—]{1,2})*\s+(?=\S)"
)
_DATELINE_HINT = re.compile(r"[(,]|\.(?:com|co|id|net)\b|\b[A-Z]{3,}\b")
# "(CNN)The last time …", "Washington (CNN)This week …": an agency glued to the first word.
_AGENCY_PREFIX = re.compile(
    r"^(?:[A-Z][\w.]*(?:\s[A-Z][\w.]*){0,2}\s)?\([A-Z][A-Za-z]{1,11}\)(?=[A-Z0-9\"“‘'])"
)


def strip_dateline(sentence: str) -> str:
    """`sentence` without a leading news dateline ("JAKARTA, KOMPAS.com - ", "(CNN)")."""
    glued = _AGENCY_PREFIX.match(sentence)
    if glued:
        return sentence[glued.end() :]
    m = _DATELINE.match(sentence)
    if not m or len(m.group("head")) > 60:
        return sentence
    head, rest = m.group("head").split(), sentence[m.end() :]
    # Without a telltale (place/agency in parentheses, comma, domain, capitals) only a lone
    # name before the dash counts ("Rimanews - "); "Kalah 1 - 4 ..." is a score, not a dateline.
    if not _DATELINE_HINT.search(m.group("head")) and not (
        len(head) == 1 and head[0].isalpha() and rest[:1].isupper()
    ):
        return sentence
    return rest if len(rest.split()) >= 3 else sentence


# --------------------------------------------------------------------------------------------
# Code and instructions
# --------------------------------------------------------------------------------------------

# Commands that open a line of shell more often than a sentence (a Markdown code block reaches
# us as one line of text: the reader keeps its layout only in body_html).
_SHELL = wordset(
    """
    pip pipx uv python python3 npm npx yarn pnpm git cd sudo apt apt-get brew docker kubectl
    curl wget make cargo go gem bundle composer mvn gradle systemctl export source chmod mkdir
    cp mv rm ls cat echo tar ssh scp conda poetry
    """
)
# Tokens of code: flags, paths, assignments, calls, dotted names, sigils.
_CODE_TOKEN = re.compile(r"^--?[A-Za-z]|[/\\=_{}<>@#|`~]|\w\(|\)\w|::|[A-Za-z]\.[a-z]")
# Headings or lead-in lines that announce instructions: setup, upgrading, usage. Only words
# that name instructions and nothing else ("Next steps" or "Langkah pemerintah" is news).
_PROCEDURAL = re.compile(
    r"""\b(?:
        install(?:ation|ing)?|upgrad(?:e|es|ing)|migrat(?:e|ion|ing)|set\s?up|getting\s+started
      | quick\s?start|step[\s-]by[\s-]step|instructions|usage|prerequisites|requirements
      | instalasi|pemasangan|petunjuk|panduan|persyaratan
      | cara\s+(?:pasang|memasang|instal|menginstal|upgrade|memperbarui)
      | installation|anleitung|voraussetzungen|prérequis|mode\s+d'emploi
      | instalación|instrucciones|requisitos|instalação|instruções
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


def looks_like_code(line: str) -> bool:
    """A command or a line of code rather than prose ("pip install -U syndicate")."""
    tokens = line.split()
    if not tokens:
        return False
    if tokens[0] in ("$", ">", "#", "%") or (
        tokens[0].lower() in _SHELL and not line.endswith(TERMINAL)
    ):
        return True
    if not _CODE_TOKEN.search(line):
        return False  # most prose: one search instead of one per word
    code = sum(1 for t in tokens if _CODE_TOKEN.search(t))
    return code >= 2 and code / len(tokens) >= 0.3


def announces_steps(line: str) -> bool:
    """A heading or lead-in that announces instructions ("Upgrading", "To install:")."""
    return bool(_PROCEDURAL.search(line))


# --------------------------------------------------------------------------------------------
# Blocks and sections
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph", "heading", "item" or "code"
    text: str


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the opening part before any heading or point
    procedural: bool  # instructions or code: not key points, not summary material


def _is_heading(line: str) -> bool:
    # Headings are short and carry no final punctuation; a short line ending in ':' introduces
    # something (a list, a link list) and never stands on its own either.
    return len(line.split()) <= 12 and (line.endswith(":") or not line.endswith(TERMINAL))


def parse_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for line in physical_lines(text):
        if not line or _is_furniture(line):
            continue
        if _END_OF_BODY.match(line) and blocks:
            break
        m = LIST_MARKER.match(line)
        if m:
            item = line[m.end() :].strip()
            kind = "code" if looks_like_code(item) else "item"
            blocks.append(Block(kind, item))
        elif looks_like_code(line):
            blocks.append(Block("code", line))
        elif _is_heading(line):
            blocks.append(Block("heading", line))
        else:
            blocks.append(Block("paragraph", line))
    return blocks


def _is_furniture(line: str) -> bool:
    return len(line.split()) <= _FURNITURE_MAX_WORDS and bool(_FURNITURE.match(line))


def is_point(blocks: list[Block], i: int) -> bool:
    """A short item standing alone, explained by the paragraph right below it.

    The last item of an ordinary list is followed by a paragraph too, but that paragraph is the
    article going on, so an item right after another item is never a point.
    """
    b = blocks[i]
    return (
        b.kind == "item"
        and len(b.text.split()) <= 12
        and not b.text.endswith(TERMINAL)
        and i + 1 < len(blocks)
        and blocks[i + 1].kind == "paragraph"
        and (i == 0 or blocks[i - 1].kind != "item")
    )


def find_sections(blocks: list[Block]) -> tuple[list[Section], list[int]]:
    """The sections, and for every block the index of its section."""
    sections = [Section("", False)]
    of_block: list[int] = []
    for i, b in enumerate(blocks):
        if b.kind == "heading" or is_point(blocks, i):
            heading = b.text.rstrip(":").strip()
            # "To upgrade:" introduces a list (see procedural_blocks), not a whole section.
            procedural = announces_steps(heading) and not b.text.endswith(":")
            sections.append(Section(heading, procedural))
        of_block.append(len(sections) - 1)
    return sections, of_block


def procedural_blocks(
    blocks: list[Block], sections: list[Section], of_block: list[int]
) -> set[int]:
    """Blocks that are instructions: code, blocks of a procedural section, and list items
    introduced by a lead-in that announces steps ("To upgrade:") or mostly made of code."""
    out = {i for i, b in enumerate(blocks) if b.kind == "code" or sections[of_block[i]].procedural}
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "item":
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind in ("item", "code"):
            j += 1
        run = range(i, j)
        lead_in = blocks[i - 1].text if i > 0 and blocks[i - 1].kind != "item" else ""
        coded = sum(1 for k in run if blocks[k].kind == "code")
        if (lead_in.endswith(":") and announces_steps(lead_in)) or 2 * coded >= len(run):
            out.update(run)
            if lead_in and blocks[i - 1].kind == "heading":
                out.add(i - 1)
        i = j
    return out


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    index: int  # position in the article
    block: int  # index of the block it comes from
    kind: str  # kind of that block
    text: str  # as shown (dateline removed from the first one)
    words: int
    section: int
    speech: bool  # quoted speech: opens with a quotation or sits inside one
    procedural: bool


_QUOTE_START = tuple("\"“”‘'«「")
_QUOTE_PAIRS = {"“": "”", "‘": "’", "«": "»", "「": "」", "”": "”", '"': '"', "'": "'"}
# The quote that closes each opening one; "’" and "'" double as apostrophes ("It's"), so only
# one not followed by a letter counts.
_CLOSING = {
    o: re.compile(re.escape(c) + (r"(?!\w)" if c in "’'" else "")) for o, c in _QUOTE_PAIRS.items()
}
# Opening and closing quotation marks, apostrophes excluded: a straight or curly single quote
# opens at the start of a word and closes after one.
_OPENS = re.compile(r"[“«「]|(?:^|(?<=[\s(:]))['‘\"](?=\w)")
_CLOSES = re.compile(r"[”»」]|(?<=[\w.,!?…])['’\"](?!\w)")


def _opens_with_speech(sentence: str) -> bool:
    """Whether the sentence opens with quoted speech ('"We are ready," he said.'), as opposed
    to a quoted title ('"Frozen 2" broke records.')."""
    if not sentence.startswith(_QUOTE_START):
        return False
    close = _CLOSING[sentence[0]].search(sentence, 1)
    return close is None or sentence[: close.start()].rstrip()[-1:] in tuple(",.!?…;:")


def _mostly_quote(sentence: str) -> bool:
    """The last quotation opened in the sentence covers most of it."""
    opened = list(_OPENS.finditer(sentence))
    return bool(opened) and 2 * opened[-1].start() < len(sentence)


def _quote_depth_change(sentence: str) -> int:
    return len(_OPENS.findall(sentence)) - len(_CLOSES.findall(sentence))


def article_sentences(
    blocks: list[Block], of_block: list[int], procedural: set[int]
) -> list[Sentence]:
    out: list[Sentence] = []
    for b_i, block in enumerate(blocks):
        # A heading, item or code line is one unit; only paragraphs are split into sentences.
        parts = [block.text] if block.kind != "paragraph" else split_paragraph(block.text)
        open_quote = False  # a quotation opened by an earlier sentence of this paragraph
        for part in parts:
            text = _INLINE_FURNITURE.sub("", strip_dateline(part) if not out else part)
            if not text:
                continue
            change = _quote_depth_change(text)
            # Speech: it opens with a quotation, sits inside one, or is mostly the start of one
            # that goes on into the next sentence ("She said: 'We are ready for winter.").
            speech = open_quote or _opens_with_speech(text) or (change > 0 and _mostly_quote(text))
            if (open_quote and change < 0) or (not open_quote and change > 0):
                open_quote = not open_quote
            out.append(
                Sentence(
                    index=len(out),
                    block=b_i,
                    kind=block.kind,
                    text=text,
                    words=n_words(text),
                    section=of_block[b_i],
                    speech=speech,
                    procedural=b_i in procedural,
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def stopwords(lang: str) -> frozenset[str]:
    """Stop words from stopwordsiso (imported here, where used: it loads every language's
    list when imported)."""
    try:
        import stopwordsiso
    except ImportError:  # degrade to no stop words rather than fail the pipeline
        return frozenset()
    base = lang.split("-")[0].lower()
    return frozenset(stopwordsiso.stopwords(base)) if stopwordsiso.has_lang(base) else frozenset()


_WORD = re.compile(r"\w+")


def content_words(sentence: str, stop: frozenset[str]) -> list[str]:
    return [w for w in _WORD.findall(sentence.lower()) if w not in stop and len(w) > 1]


def overlap(words: Iterable[str], seen: set[str]) -> float:
    """Share of the distinct `words` already in `seen` (redundancy)."""
    distinct = set(words)
    return len(distinct & seen) / len(distinct) if distinct else 1.0
