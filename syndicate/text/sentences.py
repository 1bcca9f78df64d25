"""Sentence splitting for news text in any script (pure, deterministic, offline).

Rules, not a model: every line break ends a sentence (except hard wraps); inside a line a
sentence ends after . ! ? … (plus closing quotes) followed by a space and a capital, digit or
opening quote, unless the dot belongs to an abbreviation, a title, an initial, a dotted acronym
or a quotation that continues with its attribution. CJK, Arabic and Indic stops always end one.
Hand-written rather than a library's: the maintained splitters either need downloaded models
or do not know Indonesian abbreviations ("dkk.", "Jl.", "PT.") and the news habit of
'"…," ujar Budi.' (a quotation continued by its attribution is one sentence).
"""

from __future__ import annotations

import re


def wordset(words: str) -> frozenset[str]:
    """A whitespace-separated word list (kept as prose so it stays easy to extend)."""
    return frozenset(words.split())


# Abbreviations that stand before a name, number or place: a following capital never starts a
# new sentence ("dr. Andi", "Prof. Budi", "Jl. Sudirman No. 5", "PT. Bank ...", "Rp. 5").
_PREFIX_ABBR = wordset(
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
_FINAL_ABBR = wordset(
    """
    dkk dll dsb dst tsb sbb Tbk Persero Inc Ltd Co Corp Jr Sr Bros etc al Ph Esq SH SE MM MH MSi
    MPd SPd SIK SIP SKom SSos MBA PhD
    """
)
# Words that often begin a sentence. After a dotted acronym ("U.S.", "B.B.") a capital alone
# cannot tell "U.S. Attorney" from "U.S. The next day"; one of these words can.
_STARTERS = wordset(
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
CLOSERS = "\"'”’»)]」』》"
_CANDIDATE = re.compile(r"[.!?…。！？｡؟۔।॥።։]+[\"'”’»)\]」』》]*")
# Stops of scripts written without a space after them, or without letter case: always split.
_ALWAYS_STOPS = frozenset("。！？｡؟۔।॥።։")
OPEN_QUOTES = '"“‘«「『(['
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
TERMINAL = tuple(".!?…。！？｡؟۔।॥።։\"'”’»)]」』》")


def _prev_token(para: str, end: int) -> str:
    """The whitespace-delimited token that ends at `end`, without opening quotes/brackets."""
    start = end
    while start > 0 and not para[start - 1].isspace():
        start -= 1
    return para[start:end].lstrip(OPEN_QUOTES)


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
    punct = m.group(0).rstrip(CLOSERS)
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
                word = (rest.lstrip(OPEN_QUOTES).split(maxsplit=1) or [""])[0].strip(",;:")
                if word not in _STARTERS:
                    return False  # "U.S. Attorney", "B.B. King"
            if bare in _FINAL_ABBR and not (nxt.isupper() or nxt in OPEN_QUOTES):
                return False
        elif not (nxt.isupper() or nxt in OPEN_QUOTES):
            return False  # an ellipsis inside a sentence
    return not _inside_attributed_quote(para, start, m.start())


def split_paragraph(para: str) -> list[str]:
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
LIST_MARKER = re.compile(r"^\s*(?:[•·▪◦●‣∙*\-–]|\d{1,2}[.)])\s+(?=\S)")


def physical_lines(text: str) -> list[str]:
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
        if joinable and s[0].islower() and not LIST_MARKER.match(line):
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
        joinable = not s.endswith(TERMINAL) and not s.endswith(":")
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
    for line in physical_lines(text or ""):
        if line:
            out.extend(split_paragraph(line))
    return out


WIDE = re.compile(
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60]"
)


def n_words(s: str) -> int:
    """Words, with two CJK characters counted as one so word budgets still bite there."""
    wide = len(WIDE.findall(s))
    if not wide:
        return len(s.split())
    return sum(1 for tok in s.split() if not WIDE.search(tok)) + (wide + 1) // 2
