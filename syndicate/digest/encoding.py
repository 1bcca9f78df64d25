"""Bodies encoded once, with holes: the per-recipient strings are filled in per copy without
re-encoding the body around them.

A digest body is the same for every subscriber except the unsubscribe and preference URLs.
Encoding the whole body again per copy (quoted-printable or base64 of ~70 KB) costs more
than everything else a copy needs, and a plain `bytes.replace` on the *encoded* body is
unsafe: a quoted-printable soft line break can fall inside the placeholder, and base64 has
no readable placeholder at all. So the raw text is split at the placeholders *before*
encoding, each constant piece is encoded once, and only the holes are encoded per copy:

- quoted-printable: each piece is encoded on its own and every hole gets lines of its own,
  opened and closed with a soft line break (`=` CRLF, which decodes to nothing), so a value of
  any length neither splits nor is split, and no line grows past 76 characters;
- base64: a piece can only be encoded on its own when its length is a multiple of 3, so the
  0-2 bytes left over before a hole and the 0-2 bytes after it that realign the stream are
  encoded per copy together with the value (a "window" of a few dozen bytes); the piece after
  a hole is pre-encoded at all three possible start offsets. Lines may be shorter than 76
  characters (decoders ignore line breaks in base64), never longer.

Every chunk a hole produces starts and ends at a line boundary, and constant chunks start at
line starts: SMTP dot-stuffing can then be applied to the constant chunks once (values never
start a line with "."), see `dot_stuff`.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

CRLF = b"\r\n"
_MAX_LINE = 76  # RFC 2045, both encodings
_B64_LINE_BYTES = 57  # raw bytes per full 76-character base64 line


def canonical_text(text: str) -> bytes:
    """UTF-8 text with CRLF line breaks and a final CRLF: the canonical form of a text part."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return CRLF.join(line.encode("utf-8", "surrogatepass") for line in lines) + CRLF


def choose_cte(data: bytes) -> str:
    """Quoted-printable for mostly-ASCII bodies (readable, small), base64 otherwise
    (QP triples every non-ASCII byte: Arabic or Thai text would blow past 102 KB)."""
    non_ascii = len(data) - len(data.decode("latin-1").encode("ascii", "ignore"))
    return "base64" if non_ascii > len(data) // 5 else "quoted-printable"


# ---------------------------------------------------------------- base64


def b64_lines(data: bytes) -> bytes:
    """`data` in base64, 76-character CRLF-terminated lines ("" for no data)."""
    return b"".join(
        binascii.b2a_base64(data[i : i + _B64_LINE_BYTES], newline=False) + CRLF
        for i in range(0, len(data), _B64_LINE_BYTES)
    )


@dataclass(frozen=True)
class _Piece:
    """A constant piece of a base64 body, pre-encoded from start offset 0, 1 and 2."""

    raw: bytes
    encoded: tuple[bytes, bytes, bytes]  # from offset h: the aligned part, base64 lines
    tail: tuple[bytes, bytes, bytes]  # from offset h: the 0-2 bytes left for the next window


def _piece(raw: bytes, *, last: bool) -> _Piece:
    encoded, tail = [], []
    for h in range(3):
        rest = raw[h:]
        cut = len(rest) if last else len(rest) - len(rest) % 3
        encoded.append(b64_lines(rest[:cut]))
        tail.append(rest[cut:])
    return _Piece(raw, tuple(encoded), tuple(tail))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Base64Body:
    """A base64 body with holes; `fill(values)` gives the encoded body for one recipient."""

    pieces: tuple[_Piece, ...]  # one more than there are holes

    def fill(self, values: Sequence[bytes]) -> bytes:
        out = [self.pieces[0].encoded[0]]
        carry = self.pieces[0].tail[0]
        for value, piece in zip(values, self.pieces[1:], strict=True):
            carry += value
            h = -len(carry) % 3
            if h > len(piece.raw):  # a piece too short to realign: it joins the window
                carry += piece.raw
                continue
            carry += piece.raw[:h]
            out.append(b64_lines(carry))
            out.append(piece.encoded[h])
            carry = piece.tail[h]
        if carry:
            out.append(b64_lines(carry))
        return b"".join(out)


Hole = bytes | re.Pattern[bytes]  # one placeholder, or a pattern matching any of several


def _split(raw: bytes, hole: Hole) -> list[bytes]:
    return hole.split(raw) if isinstance(hole, re.Pattern) else raw.split(hole)


def base64_body(raw: bytes, hole: Hole) -> Base64Body:
    parts = _split(raw, hole)
    return Base64Body(tuple(_piece(p, last=(i == len(parts) - 1)) for i, p in enumerate(parts)))


# ---------------------------------------------------------------- quoted-printable


def _qp(raw: bytes) -> bytes:
    """Quoted-printable with CRLF line breaks, lines of at most 76 characters. The email
    package's encoder, not binascii.b2a_qp: that one lets a line reach 78 when it encodes
    whitespace at the end of a line. Pure Python, but it runs once per digest."""
    from email import quoprimime

    return quoprimime.body_encode(raw.decode("latin-1"), maxlinelen=_MAX_LINE, eol="\r\n").encode(
        "latin-1"
    )


def _end_soft(encoded: bytes) -> bytes:
    """`encoded` (a piece ending mid-line) ended with a soft line break, keeping the line at
    76 characters with the `=` and never cutting an =XX escape."""
    if not encoded or encoded.endswith(CRLF):
        return encoded
    start = encoded.rfind(CRLF) + 2 if CRLF in encoded else 0
    head, last = encoded[:start], encoded[start:]
    while len(last) > _MAX_LINE - 1:
        cut = _MAX_LINE - 1
        while b"=" in last[cut - 2 : cut]:
            cut -= 1
        head += last[:cut] + b"=" + CRLF
        last = last[cut:]
    return head + last + b"=" + CRLF


_QP_UNSAFE = re.compile(rb"[^!-<>-~]")  # printable ASCII but "=" (no space in a value)


def qp_value(value: bytes) -> bytes:
    """One hole's value as quoted-printable lines of its own, each ended by a soft break."""
    encoded = _QP_UNSAFE.sub(lambda m: b"=%02X" % m.group(0)[0], value)
    return _end_soft(encoded)


@dataclass(frozen=True)
class QuotedPrintableBody:
    """A quoted-printable body with holes; `fill(values)` gives one recipient's body."""

    pieces: tuple[bytes, ...]  # encoded; every piece but the last ends with a line break

    def fill(self, values: Sequence[bytes]) -> bytes:
        out = [self.pieces[0]]
        for value, piece in zip(values, self.pieces[1:], strict=True):
            out.append(qp_value(value))
            out.append(piece)
        return b"".join(out)


def quoted_printable_body(raw: bytes, hole: Hole) -> QuotedPrintableBody:
    parts = _split(raw, hole)
    pieces = [_end_soft(_qp(p)) for p in parts[:-1]] + [_qp(parts[-1])]
    return QuotedPrintableBody(tuple(pieces))


EncodedBody = Base64Body | QuotedPrintableBody


def encoded_body(raw: bytes, hole: Hole, cte: str) -> EncodedBody:
    return base64_body(raw, hole) if cte == "base64" else quoted_printable_body(raw, hole)


# ---------------------------------------------------------------- SMTP


_LINE_START_DOT = re.compile(rb"(?m)^\.")


def dot_stuff(chunk: bytes) -> bytes:
    """RFC 5321 transparency for a chunk that starts at a line start: a line starting with
    "." gets a second one, so no line of the message reads as the end of DATA."""
    return _LINE_START_DOT.sub(b"..", chunk)
