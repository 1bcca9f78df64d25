"""Sentences and summaries (pure, deterministic, offline). Owned by issue #4.

News puts the point first, so the summary is lead-biased: the first real sentences of the body
(dateline removed), skipping what a reader would not want as a summary (headings, furniture,
questions, lead-ins ending in ':'), kept within a word budget. Key bullets then add what the
summary does not say: the article's own `•` points when it has them, otherwise the most central
later sentences, shortened at a clause boundary.

Everything here is plain `re` and dict/list work in input order, so the output depends only on
the input (never on hash seeds or set iteration order).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from syndicate.model import Summary

# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    """A whitespace-separated word list (kept as prose so it stays easy to extend)."""
    return frozenset(words.split())


# Abbreviations that stand before a name, number or place: a following capital never starts a
# new sentence ("dr. Andi", "Prof. Budi", "Jl. Sudirman No. 5", "PT. Bank ...", "Rp. 5").
_PREFIX_ABBR = _wordset(
    """
    dr drg Dr Drs Dra Prof prof Ir H Hj KH Kyai Jl Jln jl Gg No no Nomor Nmr PT Pt CV UD Kec Kab
    Kel Ds Kp Bpk Bp Sdr Sdri Tn Ny Nn Yth Rp Rp. Sen Rep Gov Gen Col Lt Capt Cpt Sgt Maj Brig
    Cmdr Adm Mr Mrs Ms Mx Messrs Mme Mlle Dr Rev Fr Hon Pres Supt Insp Det Cpl Pvt Mt Ft St Ste
    Kol Letkol Mayjen Brigjen Jend Kapt Pol AKBP AKP Kombes Ipda Iptu Aiptu Bripka Brigpol
    Jan Feb Mar Apr Jun Jul Aug Agu Agt Sep Sept Okt Oct Nov Nop Des Dec vs Vs vol Vol hal Hal
    tel Tel Fig fig approx ca cf Art art Pasal Ayat Mt Sta pp Pp ed eds
    """
)
# Abbreviations that may also close a sentence ("… PT Astra Tbk. Direktur …" is ambiguous):
# split after them only when a capital letter follows.
_FINAL_ABBR = _wordset(
    """
    dkk dll dsb dst tsb sbb Tbk Persero Inc Ltd Co Corp Jr Sr Bros etc al Ph Esq SH SE MM MH MSi
    MPd SPd SIK SIP SKom SSos MBA PhD
    """
)
# Words that often begin a sentence. After a dotted acronym ("U.S.", "B.B.") a capital alone
# cannot tell "U.S. Attorney" from "U.S. The next day"; one of these words can.
_STARTERS = _wordset(
    """
    The A An He She It They We I You His Her Their Its Our My This That These Those There Here
    But And Or So Yet In On At For From By With As After Before When While If Although Though
    Since Because However Meanwhile Now Then Today Yesterday Last Earlier Later Some Many Most
    All No Not One Two What Who Why How Where Officials Police
    Ia Dia Mereka Kami Kita Saya Aku Anda Ini Itu Namun Tetapi Tapi Sementara Selain Sedangkan
    Dalam Di Pada Ke Dari Untuk Dengan Menurut Sebelumnya Kemudian Lalu Adapun Hal Saat Ketika
    Jika Bila Karena Sejak Setelah Selanjutnya Bahkan Meski Meskipun Walaupun Oleh Akibat Hingga
    Kini Sekarang Para Seorang Sebuah Sejumlah Beberapa Semua Tidak Bukan Juga Demikian Polisi
    """
)

# Terminal punctuation (Latin, CJK, Arabic/Urdu) plus any closing quotes/brackets after it.
_CLOSERS = "\"'”’»)]」』》"
_CANDIDATE = re.compile(r"[.!?…。！？｡؟۔।॥።։]+[\"'”’»)\]」』》]*")
# Stops of scripts written without a space after them, or without letter case: always split.
_ALWAYS_STOPS = frozenset("。！？｡؟۔।॥።։")
_OPEN_QUOTES = '"“‘«「『(['
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_TERMINAL = tuple(".!?…。！？｡؟۔।॥።։\"'”’»)]」』》")


def _prev_token(para: str, end: int) -> str:
    """The whitespace-delimited token that ends at `end`, without opening quotes/brackets."""
    start = end
    while start > 0 and not para[start - 1].isspace():
        start -= 1
    return para[start:end].lstrip(_OPEN_QUOTES)


def _inside_attributed_quote(para: str, start: int, end: int) -> bool:
    """True when `para[start:end]` leaves a quotation open that closes later with attribution.

    `"Kami siap. Semua lancar," ujar Budi.` is one sentence in news style: the quote ends with a
    comma (or is followed by a lower-case verb), so splitting inside it would orphan "ujar Budi".
    """
    seg = para[start:end]
    if seg.count("“") > seg.count("”"):
        close = para.find("”", end)
    elif seg.count('"') % 2 == 1:
        close = para.find('"', end)
    elif seg.count("«") > seg.count("»"):
        close = para.find("»", end)
    else:
        return False
    if close < 0 or close - end > 600:
        return False
    before = para[close - 1] if close > 0 else ""
    after = para[close + 1 : close + 40].lstrip()  # bounded slices keep long paragraphs linear
    return before == "," or (bool(after) and (after[0].islower() or after[0] == ","))


def _is_boundary(para: str, start: int, m: re.Match[str]) -> bool:
    """Decide whether the terminal punctuation in `m` ends a sentence."""
    punct = m.group(0).rstrip(_CLOSERS)
    end = m.end()
    rest = para[end : end + 80].lstrip()  # what follows, enough to see the next word
    if not rest:
        return False  # end of paragraph: the caller closes the last sentence anyway
    if punct[-1] in _ALWAYS_STOPS:
        return True
    if end < len(para) and not para[end].isspace():
        return False  # "6.17", "Suara.com", "U.S" in the middle of a token
    nxt = rest[0]
    if nxt in ",;:":
        return False  # "Inc., the"
    if nxt.islower() and not any(ch.isupper() for ch in rest[1:3]):
        return False  # '"Siap!" ujar dia', "dr. andi"; but "iPhone", "eBay" may start one
    if punct in (".", "…") or punct.startswith(".."):
        if punct == ".":
            tok = _prev_token(para, m.start())
            bare = tok.rstrip(".")
            if not bare:
                return True
            if bare in _PREFIX_ABBR:
                return False
            if len(bare) == 1 and bare.isupper():
                return False  # an initial: "Arry H. Reksodiputro"
            if _DOTTED_ACRONYM.fullmatch(bare):
                word = (rest.lstrip(_OPEN_QUOTES).split(maxsplit=1) or [""])[0].strip(",;:")
                if word not in _STARTERS:
                    return False  # "U.S. Attorney", "B.B. King"
            if bare in _FINAL_ABBR and not (nxt.isupper() or nxt in _OPEN_QUOTES):
                return False
        elif not (nxt.isupper() or nxt in _OPEN_QUOTES):
            return False  # an ellipsis inside a sentence
    return not _inside_attributed_quote(para, start, m.start())


def _split_paragraph(para: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _CANDIDATE.finditer(para):
        if _is_boundary(para, start, m):
            seg = para[start : m.end()].strip()
            if seg:
                out.append(seg)
            start = m.end()
    seg = para[start:].strip()
    if seg:
        out.append(seg)
    return out


# List markers. Not the em dash: "— Name (@handle) date" closes embedded tweets and quotes.
_BULLET = re.compile(r"^\s*(?:[•·▪◦●‣∙*\-–]|\d{1,2}[.)])\s+(?=\S)")


def _lines(text: str) -> list[str]:
    """Physical lines with hard wraps undone: a line that does not end a sentence and is
    followed by one starting in lower case is the same paragraph (plain-text email wrapping)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    joinable = False
    for line in raw:
        s = " ".join(line.split())
        if not s:
            joinable = False
            out.append("")
            continue
        if joinable and s[0].islower() and not _BULLET.match(line):
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
        joinable = not s.endswith(_TERMINAL) and not s.endswith(":")
    return out


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Split news text into sentences, verbatim (whitespace collapsed).

    Every line break ends a sentence (except hard wraps); inside a line, a sentence ends after
    . ! ? … (with closing quotes) followed by a space and a capital, digit or opening quote,
    unless the dot belongs to an abbreviation, title, initial, dotted acronym or a quotation
    that continues with attribution. CJK (。！？) and Arabic (؟ ۔) stops always end one.
    `lang` is accepted for symmetry with `summarize`; the rules cover all supported languages.
    """
    del lang  # the rules are script-based; kept in the signature for callers and future use
    out: list[str] = []
    for line in _lines(text or ""):
        if line:
            out.extend(_split_paragraph(line))
    return out


# --------------------------------------------------------------------------------------------
# Article structure: blocks, furniture, datelines
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


def _is_furniture(line: str) -> bool:
    return len(line.split()) <= _FURNITURE_MAX_WORDS and bool(_FURNITURE.match(line))


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


def strip_dateline(sentence: str) -> str:
    """`sentence` without a leading news dateline ("JAKARTA, KOMPAS.com - ")."""
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


@dataclass(frozen=True)
class _Block:
    kind: str  # "paragraph", "heading" or "item"
    text: str


def _is_heading(line: str) -> bool:
    # Headings are short and carry no final punctuation; a short line ending in ':' introduces
    # something (a list, a link list) and never stands on its own either.
    return len(line.split()) <= 12 and (line.endswith(":") or not line.endswith(_TERMINAL))


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    for line in _lines(text):
        if not line or _is_furniture(line):
            continue
        if _END_OF_BODY.match(line) and blocks:
            break
        m = _BULLET.match(line)
        if m:
            blocks.append(_Block("item", line[m.end() :].strip()))
        elif _is_heading(line):
            blocks.append(_Block("heading", line))
        else:
            blocks.append(_Block("paragraph", line))
    return blocks


# --------------------------------------------------------------------------------------------
# Language and words
# --------------------------------------------------------------------------------------------

# Malay is left out on purpose: its list overlaps Indonesian almost entirely and is larger,
# so it would win on Indonesian text.
_LATIN_CANDIDATES = ("en", "id", "de", "fr", "es", "pt", "it", "nl")
_SCRIPT_LANG = (  # (first code point, last code point, language)
    (0x0600, 0x06FF, "ar"),
    (0x0590, 0x05FF, "he"),
    (0x3040, 0x30FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
    (0x0400, 0x04FF, "ru"),
    (0x0E00, 0x0E7F, "th"),
    (0x0900, 0x097F, "hi"),
    (0x0370, 0x03FF, "el"),
)


@lru_cache(maxsize=64)
def _stopwords(lang: str) -> frozenset[str]:
    """Stop words from stopwordsiso, loaded on first use (import costs ~60 ms)."""
    try:
        import stopwordsiso
    except ImportError:  # degrade to no stop words rather than fail the pipeline
        return frozenset()
    base = lang.split("-")[0].lower()
    return frozenset(stopwordsiso.stopwords(base)) if stopwordsiso.has_lang(base) else frozenset()


def detect_language(text: str) -> str:
    """Cheap guess of the language (ISO 639-1): script first, then stop-word hits for Latin.

    Good enough to pick stop words; the pipeline passes the article's language when known.
    """
    sample = text[:3000]
    counts: Counter[str] = Counter()
    for ch in sample:
        if ch.isalpha():
            cp = ord(ch)
            for lo, hi, code in _SCRIPT_LANG:
                if lo <= cp <= hi:
                    counts[code] += 1
                    break
            else:
                counts["latin"] += 1
    if not counts:
        return "en"
    top = max(sorted(counts), key=lambda k: counts[k])
    if top == "zh" and counts["ja"]:
        return "ja"  # kana anywhere means Japanese, which also uses kanji
    if top != "latin":
        return top
    words = re.findall(r"[^\W\d_]+", sample.lower())[:400]
    best, best_hits = "en", -1
    for code in _LATIN_CANDIDATES:
        sw = _stopwords(code)
        hits = sum(1 for w in words if w in sw)
        if hits > best_hits:  # strict: ties keep the earlier (deterministic) candidate
            best, best_hits = code, hits
    return best


_WORD = re.compile(r"\w+")


def _content_words(sentence: str, stop: frozenset[str]) -> list[str]:
    return [w for w in _WORD.findall(sentence.lower()) if w not in stop and len(w) > 1]


# Scripts written without spaces between words (CJK ideographs, kana, hangul, fullwidth forms).
_WIDE = re.compile(
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60]"
)


def _n_words(s: str) -> int:
    """Words, with two CJK characters counted as one so word budgets still bite there."""
    wide = len(_WIDE.findall(s))
    if not wide:
        return len(s.split())
    return sum(1 for tok in s.split() if not _WIDE.search(tok)) + (wide + 1) // 2


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sentence:
    index: int  # position in the article
    block: int  # index of the block it comes from
    kind: str  # kind of that block
    text: str  # as shown (dateline removed for the first one)
    words: int


# Selection knobs, measured on Indonesian news (IndoSum dev) against lead-3 and kept at values
# that are sensible for any news: position dominates, so the summary never reaches far down.
_LEAD_WINDOW = 6  # only the first N summary-worthy sentences are considered
_MIN_WORDS = 6  # shorter ones are fragments ("Yaitu, Irman dan Gusman.") or asides
_REDUNDANT = 0.85  # share of content words already said that makes a sentence a repeat
_SECOND_OVER = 1.5  # a 2nd sentence may overshoot the budget this much (2 are promised)
_QUOTE_START = tuple("\"“”‘'«「")
_QUOTE_PAIRS = {"“": "”", "‘": "’", "«": "»", "「": "」", "”": "”", '"': '"', "'": "'"}
# The quote that closes each opening one; "’" and "'" double as apostrophes ("It's"), so only
# one not followed by a letter counts.
_CLOSING = {
    o: re.compile(re.escape(c) + (r"(?!\w)" if c in "’'" else "")) for o, c in _QUOTE_PAIRS.items()
}


def _summary_worthy(s: _Sentence) -> bool:
    """Whether a sentence could stand in a summary on its own."""
    t = s.text
    return (
        s.kind == "paragraph"
        and s.words >= _MIN_WORDS
        and t.endswith(_TERMINAL)
        and not t.rstrip(_CLOSERS).endswith((":", "?", "؟", "？"))  # questions, lead-ins
        and not _is_speech(t)  # quotes need their context; measured: worse as summary
    )


def _is_speech(sentence: str) -> bool:
    """Whether the sentence opens with quoted speech ('"We are ready," he said.'), as opposed
    to a quoted title ('"Frozen 2" broke records.')."""
    if not sentence.startswith(_QUOTE_START):
        return False
    close = _CLOSING[sentence[0]].search(sentence, 1)
    return close is None or sentence[: close.start()].rstrip()[-1:] in tuple(",.!?…;:")


def _sentences(blocks: list[_Block]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for b_i, block in enumerate(blocks):
        # A heading or list item is one unit; only paragraphs are split into sentences.
        parts = [block.text] if block.kind != "paragraph" else _split_paragraph(block.text)
        for part in parts:
            text = strip_dateline(part) if not out else part
            out.append(_Sentence(len(out), b_i, block.kind, text, _n_words(text)))
    return out


def _overlap(a: list[str], b: set[str]) -> float:
    """Share of a's distinct content words already in b (redundancy)."""
    sa = set(a)
    return len(sa & b) / len(sa) if sa else 1.0


def _select_summary(
    sents: list[_Sentence], stop: frozenset[str], max_words: int, reserved: frozenset[int]
) -> list[_Sentence]:
    """Lead-biased choice of 2–3 sentences; `reserved` ones (the key sentences the article's
    own points already show as bullets) are avoided unless nothing else is left."""
    candidates = [s for s in sents if _summary_worthy(s) and s.index not in reserved]
    if len(candidates) < 2:
        candidates = [s for s in sents if _summary_worthy(s)]
    if len(candidates) < 2:  # relax: any sentence-like paragraph or item text will do
        candidates = [s for s in sents if s.kind != "heading" and s.words >= 3] or [
            s for s in sents if s.kind != "heading"
        ]
    chosen: list[_Sentence] = []
    seen: set[str] = set()
    total = 0
    for s in candidates[:_LEAD_WINDOW]:  # lead bias: only the opening of the article is considered
        if len(chosen) == 3:
            break
        words = _content_words(s.text, stop)
        if chosen and _overlap(words, seen) > _REDUNDANT:
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
        rest = [s for s in candidates[1:_LEAD_WINDOW] if s.words <= max_words] or candidates[1:2]
        chosen.append(rest[0])
        chosen.sort(key=lambda s: s.index)
    return chosen


# --------------------------------------------------------------------------------------------
# Bullets
# --------------------------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[–—-]\s")
# After a comma, a list goes on: a short item and another comma, or a conjunction.
_LIST_NEXT = re.compile(r"(?:\S+\s+){0,2}?\S+,\s|(?:dan|atau|serta|and|or|as well as)\s", re.I)
_BULLET_WORDS = 20  # a bullet longer than this is cut at a clause boundary (or hard at ~25)


# Words that open an introductory clause: "In addition to the pot, you need…" is cut after its
# main clause, not after the intro ("In addition to the pot…" says nothing).
_INTRO_WORDS = _wordset(
    """
    In On At During After Before When While As Although Though Because Since If Unless Despite
    According For With Without By Under Following Amid Instead However Meanwhile But And So
    Also Still Now Then Earlier Later Last Like Unlike Besides Once Until Given
    Dalam Di Pada Saat Ketika Setelah Sebelum Sejak Karena Jika Bila Apabila Meski Meskipun
    Walaupun Menurut Untuk Dengan Namun Tetapi Tapi Sementara Selain Bahkan Oleh Seperti
    Sebelumnya Kemudian Akibatnya Adapun Sedangkan Padahal Terkait Mengenai Berdasarkan Usai
    Sesuai Apalagi Selama Hingga Sehingga Agar Supaya Tanpa Sebagai
    """
)


def shorten(
    sentence: str,
    max_words: int = _BULLET_WORDS,
    *,
    prefix_words: int = 0,
    stop: frozenset[str] = frozenset(),
) -> str:
    """Cut `sentence` to about `max_words` words (counting `prefix_words` already used).

    Prefers the first clause boundary that keeps at least six words (past an introductory
    clause); else cuts at the budget, dropping trailing `stop` words. '…' marks a cut.
    """
    budget = max(6, max_words - prefix_words)
    if _n_words(sentence) <= budget:
        return sentence
    if _WIDE.search(sentence):
        return _shorten_wide(sentence, budget)
    words = sentence.split()
    # The latest clause boundary that fits keeps the most meaning, but not one inside a list
    # ("Taiwan, India, dan sekutu AS") nor the one closing an introductory clause.
    skip_intro = words[0].strip(_OPEN_QUOTES + ",") in _INTRO_WORDS
    best = 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        n = len(sentence[: m.start()].split())
        if n > budget + 3:
            break
        if skip_intro:
            skip_intro = False
            continue
        if n >= 6 and not _LIST_NEXT.match(sentence, m.end()):
            best = m.start()
    if best:
        return sentence[:best].rstrip(" ,;:–—-") + "…"
    cut = words[:budget]
    while len(cut) > 6 and cut[-1].lower().strip(",;:") in stop:
        cut.pop()  # "… sold to the…" reads worse than "… sold…"
    return " ".join(cut).rstrip(" ,;:–—-") + "…"


def _shorten_wide(sentence: str, budget: int) -> str:
    # No spaces to count: cut at the first CJK comma/semicolon past six "words" (12 chars).
    for m in re.finditer(r"[，；：、,;:]", sentence):
        n = _n_words(sentence[: m.start()])
        if n >= 6:
            if n <= budget + 5:
                return sentence[: m.start()] + "…"
            break
    out, n = "", 0
    for ch in sentence:
        n += 1 if _WIDE.match(ch) else 0
        if n > 2 * budget:
            break
        out += ch
    return out.rstrip(" ，；：、,;:") + "…"


def _point_key_sentences(sents: list[_Sentence]) -> dict[int, _Sentence]:
    """Each item's key sentence: the first sentence of the paragraph right after a short
    point ("• Keuntungan geopolitik" → "Tiongkok memandang …"), by the item's index.

    Only a point that stands alone has one: the last item of an ordinary list is followed by
    a paragraph too, but that paragraph is the article going on, not the item's explanation.
    """
    item_blocks = {s.block for s in sents if s.kind == "item"}
    keys: dict[int, _Sentence] = {}
    for i, s in enumerate(sents[:-1]):
        nxt = sents[i + 1]
        if (
            s.kind == "item"
            and nxt.kind == "paragraph"
            and nxt.block == s.block + 1
            and s.block - 1 not in item_blocks
        ):
            keys[s.index] = nxt
    return keys


def _point_bullets(
    sents: list[_Sentence], keys: dict[int, _Sentence], stop: frozenset[str]
) -> list[str]:
    """The article's own points, each with its key sentence, shortened; at most five."""
    bullets: list[str] = []
    for s in sents:
        if len(bullets) == 5:
            break
        point = s.text.rstrip(":").strip()
        if s.kind != "item" or not point:
            continue
        if len(point.split()) > 12 or point.endswith(_TERMINAL):
            bullet = shorten(point, _BULLET_WORDS + 5, stop=stop)  # the item is the statement
        elif s.index in keys:
            n = len(point.split())
            bullet = f"{point}: {shorten(keys[s.index].text, prefix_words=n, stop=stop)}"
        else:
            bullet = point
        if bullet not in bullets:
            bullets.append(bullet)
    return bullets


def _sentence_bullets(
    sents: list[_Sentence], summary: list[_Sentence], stop: frozenset[str], want: int
) -> list[str]:
    """Key sentences outside the summary: central (frequent content words), early, not
    redundant with the summary or each other; returned in article order, shortened."""
    used = {s.index for s in summary}
    pool = [s for s in sents if s.index not in used and _summary_worthy(s)]
    if len(pool) < want:
        pool += [
            s
            for s in sents
            if s.index not in used and s not in pool and s.kind != "heading" and s.words >= 4
        ]
        pool.sort(key=lambda s: s.index)
    if not pool:
        return []
    words_of = {s.index: _content_words(s.text, stop) for s in pool}
    freq: Counter[str] = Counter()
    for s in sents:
        freq.update(set(_content_words(s.text, stop)))
    seen: set[str] = set()
    for s in summary:
        seen.update(_content_words(s.text, stop))
    n = len(sents)

    def score(s: _Sentence) -> float:
        ws = words_of[s.index]
        if not ws:
            return 0.0
        centrality = sum(min(freq[w], 5) for w in set(ws)) / (len(set(ws)) ** 0.5)
        position = 1.0 - s.index / (n + 1)
        return centrality * (0.5 + position)

    ranked = sorted(pool, key=lambda s: (-score(s), s.index))
    picked: list[_Sentence] = []
    texts: set[str] = set()  # repeated boilerplate sentences must not become two bullets
    # Strict about repeating the summary first; relax only if that leaves too few bullets
    # (short articles), since three bullets are promised.
    for limit in (0.6, 0.85, 1.0):
        for s in ranked:
            if len(picked) == want:
                break
            if s in picked or s.text in texts or _overlap(words_of[s.index], seen) > limit:
                continue
            picked.append(s)
            texts.add(s.text)
            seen.update(words_of[s.index])
    picked.sort(key=lambda s: s.index)
    return [shorten(s.text, stop=stop) for s in picked]


def summarize(text: str, lang: str | None = None, *, max_words: int = 70) -> Summary:
    """2–3 whole sentences in article order (≤ max_words) and 3–5 key bullets.

    `text` is an article body as plain text (blocks separated by blank lines). Lines starting
    with a bullet marker ("• ", "- ", "* ", "1. ") are the article's own points/sections and
    drive the bullets.
    """
    blocks = _blocks(text or "")
    if not blocks:
        return Summary(summary="", bullets=[])
    stop = _stopwords(lang or detect_language(text))
    sents = _sentences(blocks)
    has_points = sum(1 for b in blocks if b.kind == "item") >= 2
    keys = _point_key_sentences(sents) if has_points else {}
    chosen = _select_summary(sents, stop, max_words, frozenset(k.index for k in keys.values()))
    if not chosen:  # only headings: nothing to summarise, but they still say what it covers
        return Summary(summary="", bullets=[b.text for b in blocks][:5])

    bullets = _point_bullets(sents, keys, stop) if has_points else []
    want = 5 if len(sents) > 20 else 3  # long articles get more bullets
    if len(bullets) < 3:
        bullets += _sentence_bullets(sents, chosen, stop, want - len(bullets))
    return Summary(summary=_join(s.text for s in chosen), bullets=bullets)


def _join(sentences: Iterable[str]) -> str:
    """Sentences as running text: a space between them, none after a CJK full stop."""
    out = ""
    for s in sentences:
        out += s if not out or out[-1] in "。！？｡」』" else f" {s}"
    return out
