"""Bytes → clean Unicode text: decoding, NFC, line endings, invisible junk.

Every reader goes through here first, so the rest of the code only ever sees NFC text with `\\n`
line endings and no control characters.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from syndicate.readers.errors import ArticleError

# Magic numbers of formats publishers drop into an inbox by mistake. Checked before decoding
# because several of them (PDF, RTF) are mostly ASCII and would decode "successfully".
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"PK\x03\x04",  # zip, docx, odt, epub
    b"\x1f\x8b",  # gzip
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls
    b"{\\rtf",
    b"\x7fELF",
    b"MZ",
    b"BZh",
    b"\xfd7zXZ",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"SQLite format 3",
)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The legacy encodings publishers actually produce (Windows and ISO code pages, and the CJK
# national encodings). The detector only chooses among these: left free on a short file it
# happily answers mac_iceland or cp1125, and no real article arrives in those.
_LEGACY_ENCODINGS = (
    "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "cp1253",
    "iso8859_7", "cp1254", "iso8859_9", "cp1255", "iso8859_8", "cp1256", "iso8859_6",
    "cp1257", "cp874", "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp949",
)  # fmt: skip
# Above this charset-normalizer "chaos" the decoded text is mojibake, not an article.
_MAX_CHAOS = 0.2

# Removed: C0 controls except tab/newline, DEL, C1 controls, and invisible characters that only
# ever get into articles by copy-paste: zero-width space, word joiner, BOM/ZWNBSP, soft hyphen,
# Mongolian vowel separator, invisible math operators, and the explicit bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069). Those last ones can reorder the text
# around them when an article lands in a feed reader ("Trojan Source"), and the Unicode bidi
# algorithm lays out right-to-left paragraphs correctly without them.
# Kept on purpose: ZWJ (U+200D; emoji sequences, Indic conjuncts) and ZWNJ (U+200C; required
# by Persian and Indic spelling), and the bidi *marks* LRM/RLM/ALM (U+200E, U+200F, U+061C),
# which are how RTL authors pin the direction of numbers and Latin words; they cannot leak.
_JUNK = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u180e\u200b\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_LINE_SEPARATORS = re.compile("\r\n?|[\u2028\u2029\x85]")


def decode(data: bytes) -> str:
    """Decode an inbox file's bytes; raise ArticleError when they are not text."""
    if not data.strip():
        raise ArticleError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ArticleError(
                    f"undecodable: starts with a {encoding} byte-order mark but is not "
                    f"{encoding} (byte {exc.start + len(bom)})"
                ) from None
    if data.startswith(_BINARY_SIGNATURES):
        raise ArticleError("binary file, not text")
    if b"\x00" in data[:8192]:
        text = _utf16_without_bom(data)
        if text is not None:
            return text
        if _control_share(data[:8192]) > _MAX_STRAY_CONTROLS:
            raise ArticleError("binary file, not text")
        # A few stray NULs among ordinary text (a bad copy-paste, a buggy export): the text
        # decodes as usual and normalize() removes them.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data)


# Binary formats are full of NULs and other C0 controls (runs of them in every header and
# table); text damaged by a bad export or copy-paste has a handful. Above this share of
# control bytes (tab, newline, CR and form feed excepted) the file is binary: 5% is one byte
# in 20, several times what a damaged short note shows, well under any binary format.
_MAX_STRAY_CONTROLS = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")


def _control_share(sample: bytes) -> float:
    controls = sum(1 for b in sample if (b < 0x20 and b not in _TEXT_CONTROLS) or b == 0x7F)
    return controls / len(sample) if sample else 0.0


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without a BOM: Latin-script text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.4 and even_nuls < 0.05:
        encoding = "utf-16-le"
    elif even_nuls > 0.4 and odd_nuls < 0.05:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data[: len(data) - len(data) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None


def _decode_legacy(data: bytes) -> str:
    # charset-normalizer decodes with each candidate and measures how chaotic the result looks
    # and how well it fits a language: evidence, not a guess.
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    matches = list(from_bytes(data, cp_isolation=list(_LEGACY_ENCODINGS)))
    plausible = [m for m in matches if m.chaos <= _MAX_CHAOS]
    if plausible:
        least_chaos = min(m.chaos for m in plausible)
        # Short Western texts decode identically, or equally cleanly, in several code pages
        # ("Naïve" is "Naďve" in cp1250); among equals, Windows-1252 is what such files are.
        for match in plausible:
            if match.chaos <= least_chaos + 0.01 and "cp1252" in match.could_be_from_charset:
                return data.decode("cp1252")
        # Ties keep the detector's own order. (Known limit: a few short lines of Hebrew in
        # cp1255 tie with Cyrillic cp1251, and neither its coherence score nor py3langid can
        # tell them apart; longer texts and UTF-8, which is what publishers send, are fine.)
        return str(min(plausible, key=lambda m: (m.chaos, -m.coherence)))
    # The detector abstains on some short texts. cp1252 is then the only legacy encoding we
    # try, and only if its result reads as text by the detector's own chaos measure (a line
    # of isolated accented capitals, "Ä Ö Ü ß", does not: such a file is rejected).
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise ArticleError("undecodable: not UTF-8 and no plausible legacy encoding") from None
    if mess_ratio(text, maximum_threshold=1.0) > _MAX_CHAOS:
        raise ArticleError("undecodable: bytes do not look like text in any encoding")
    return text


def normalize(text: str) -> str:
    """NFC, `\\n` line endings, no control characters or invisible junk, no trailing spaces."""
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _JUNK.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\t", "    ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def clean_field(text: str) -> str:
    """A metadata value (title, name, tag) from front matter or HTML: YAML escapes and HTML
    entities can smuggle in control characters the file-level cleaning never saw."""
    return single_line(normalize(text))


def single_line(text: str) -> str:
    """For titles and names: collapse every run of whitespace (including newlines) to a space."""
    return " ".join(text.split())


def looks_binary(text: str) -> bool:
    """Decoded text that is still mostly unprintable (e.g. UTF-16 without BOM misread)."""
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(
        1
        for ch in sample
        if ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")
    )
    return bad > len(sample) * 0.1
