"""One inbox file → Article: the reader chosen by suffix, or by sniffing the content.

`read_article` owns everything about the *file* (where it is, how big, which bytes, which
encoding); the format readers only ever see clean text. Every way a file can be unusable ends
in an `ArticleError` whose message is one line fit for the run report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.core.language import UNDETERMINED
from syndicate.core.model import Article
from syndicate.inbox.sources import is_candidate_name, sidecar_names
from syndicate.readers import hygiene
from syndicate.readers.errors import ArticleChanging, ArticleError
from syndicate.readers.frontmatter import apply_front_matter
from syndicate.readers.html import read_html
from syndicate.readers.markdown import read_markdown
from syndicate.readers.markers import Markers, load_markers
from syndicate.readers.sidecar import read_sidecar
from syndicate.readers.text import read_text_file

if TYPE_CHECKING:  # readers only read the config's attributes
    from syndicate.config import ReadersConfig


# Suffix → format. Anything else is sniffed (and still read, if it looks like text).
SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}

_HTML_START = re.compile(
    r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S
)
_HTML_TAGS = re.compile(r"<(head|body|article|div|p|meta|title)[\s>]", re.I)
_FRONT_MATTER = re.compile(r"^(---|\+\+\+)[ \t]*\n")


@dataclass(frozen=True)
class ReadContext:
    """What a format reader needs besides the text."""

    source: str  # path relative to the inbox, forward slashes
    markers: Markers
    default_tz: tzinfo = UTC
    language_hint: str | None = None


def is_candidate(path: Path) -> bool:
    """False for names publishers' tools use while writing (.*, *.tmp, *.part, *~), and for
    editors' sidecars (NAME.meta.toml): metadata of an article, never an article of its own.

    The pipeline must also treat a sidecar's change as its article's change: fold the bytes
    of `sidecar_path(article)` into the article's fingerprint."""
    return is_candidate_name(Path(path).name)


def read_article(
    path: Path,
    *,
    inbox: Path,
    max_bytes: int = 5_000_000,
    readers_config: ReadersConfig | None = None,
    default_tz: tzinfo = UTC,
    language_hint: str | None = None,
    discovered: os.stat_result | None = None,
) -> Article:
    """Read one inbox file; raise ArticleError with a reason for anything unusable.

    `default_tz` is the zone for dates written without one (pass the site's zone);
    `language_hint` (the site's language) settles texts too short to identify;
    `discovered` is the file's stat from when the run listed the inbox: if the size or mtime
    moved since then (or while reading) the file is still being written, and
    `ArticleChanging` (an ArticleError) says to try again next run rather than reject it.
    """
    path = Path(path)
    source = _source_name(path, Path(inbox))
    data = _read_bytes(path, Path(inbox), max_bytes, discovered)
    text = hygiene.normalize(hygiene.decode(data))
    if not text.strip():
        raise ArticleError("empty file (only whitespace or invisible characters)")
    if hygiene.looks_binary(text):
        raise ArticleError("binary file, not text")
    sidecar = sidecar_path(path)
    if (
        sidecar is not None
        and sidecar.absolute().is_relative_to(Path(inbox).absolute())
        and not sidecar.resolve().is_relative_to(Path(inbox).resolve())
    ):
        raise ArticleError(f"{sidecar.name}: symlink leads outside the inbox; not following it")
    overrides = _read_sidecar(sidecar, default_tz) if sidecar else {}
    lang = next((overrides[k] for k in ("lang", "language", "locale") if k in overrides), None)
    context = ReadContext(
        source=source,
        markers=load_markers(readers_config),
        default_tz=default_tz,
        # The editor's language settles what detection would only guess.
        language_hint=lang if isinstance(lang, str) else language_hint,
    )
    article = _READERS[sniff_format(path.suffix, text)](text, context)
    if overrides:
        article = apply_front_matter(article, overrides, default_tz)
    if article.language == UNDETERMINED:
        # Too little text to tell and no hint: leave it open so the pipeline's fallback (the
        # site's language) applies, rather than publishing "und".
        article = article.with_(language=None)
    return article


def sidecar_path(article_path: Path) -> Path | None:
    """The article's editor sidecar, if there is one: `story.txt.meta.toml`, else
    `story.meta.toml` (see readers/sidecar.py)."""
    path = Path(article_path)
    for name in sidecar_names(path.name):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def _read_sidecar(path: Path, default_tz: tzinfo) -> dict:
    return read_sidecar(path, default_tz)


def sniff_format(suffix: str, text: str) -> str:
    """The suffix's format, unless the content clearly says otherwise (an HTML page saved as
    .txt, a Markdown file with front matter saved as .txt)."""
    head = text[:2048]
    if _HTML_START.match(head):
        return "html"
    declared = SUFFIXES.get(suffix.lower())
    if declared == "html":
        # An .html file that is really a fragment or plain text still goes to the HTML reader
        # only if it has tags; otherwise it is text someone named .html.
        return "html" if _HTML_TAGS.search(head) else "text"
    if declared:
        # Front matter in a .txt file stays with the text reader, which understands it: the
        # body is still plain text, where "*" and "_" are not markup.
        return declared
    if _FRONT_MATTER.match(text) or re.search(r"^#{1,6} \S", head, re.M):
        return "markdown"
    if len(_HTML_TAGS.findall(head)) >= 2:
        return "html"
    return "text"


def _source_name(path: Path, inbox: Path) -> str:
    try:
        return path.relative_to(inbox).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(inbox.resolve()).as_posix()
        except ValueError:
            return path.name


def _signature(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _read_bytes(
    path: Path, inbox: Path, max_bytes: int, discovered: os.stat_result | None
) -> bytes:
    if path.is_symlink() and not path.exists():
        raise ArticleError("broken symlink")
    try:
        # Only files that sit inside the inbox are confined to it: `syndicate inspect` may be
        # pointed at any file, but an inbox entry must not let a symlink publish /etc/passwd.
        inside = path.absolute().is_relative_to(inbox.absolute())
        if inside and not path.resolve(strict=True).is_relative_to(inbox.resolve()):
            raise ArticleError("symlink leads outside the inbox; not following it")
        st = path.stat()
    except FileNotFoundError:
        raise ArticleError("file vanished before it could be read") from None
    except OSError as exc:
        raise ArticleError(f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise ArticleError("not a regular file")
    if discovered is not None and _signature(st) != _signature(discovered):
        raise ArticleChanging("changed since the inbox was listed (still being written?)")
    # Size first: a 2 GB file dropped by mistake must not be read into memory to find that out.
    if st.st_size > max_bytes:
        raise ArticleError(f"too large: {st.st_size:,} bytes (limit {max_bytes:,})")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
            after = os.fstat(fh.fileno())
    except OSError as exc:
        raise ArticleError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ArticleError(f"too large: more than {max_bytes:,} bytes (limit {max_bytes:,})")
    if _signature(after) != _signature(st) or len(data) != after.st_size:
        raise ArticleChanging("changed while being read (still being written?)")
    return data


def _read_text(text: str, context: ReadContext) -> Article:
    return read_text_file(text, context)


def _read_markdown(text: str, context: ReadContext) -> Article:
    return read_markdown(text, context)


def _read_html(text: str, context: ReadContext) -> Article:
    # Imported only when an HTML file shows up: trafilatura takes ~0.5 s to import.

    return read_html(text, context)


_READERS: dict[str, Callable[[str, ReadContext], Article]] = {
    "text": _read_text,
    "markdown": _read_markdown,
    "html": _read_html,
}
