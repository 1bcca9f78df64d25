"""The files under `paths.feeds` over HTTP, as feed readers and browsers want them.

Written here rather than with Starlette's StaticFiles (+ GZipMiddleware), on purpose:
- StaticFiles' ETag is a hash of mtime and size, not of the bytes; GZipMiddleware compresses
  on every request and keeps that one ETag for the gzip body too, although a strong ETag
  must differ between representations (RFC 9110 §8.8.3). Feed readers poll the same few
  files all day: here each file version is read, hashed and gzipped once, cached by
  (device, inode, size, mtime) — files are replaced by rename, so a new version is a new
  inode — and served from memory with a strong ETag per representation.
- Exactly the rules below decide what is served, so nothing outside the feeds folder (the
  state, the config, the outbox) ever is, whatever the URL says.

Rules:
- A URL path maps to a file only through its segments: empty, `.`/`..`, hidden (`.name`,
  among them write_atomic's temp files), NUL or backslash segments are 404; the resolved
  real path (symlinks followed) must still be inside the feeds folder.
- `/` and `…/` serve the folder's `index.html`; a folder without the slash redirects to it.
- `If-None-Match` (weak comparison, as RFC 9110 says for GET; either representation's tag
  matches, since both stand for the same bytes) wins over `If-Modified-Since`. A 304 carries
  the same validators and caching headers as the 200 would.
- gzip when the client accepts it (q > 0) and the type is text-like; `Vary: Accept-Encoding`
  on every response that could be compressed.
- `Cache-Control` per kind of file: the main feeds and the lists change with every new
  article (5 minutes), article pages may be edited or retracted (1 hour), archive feed
  pages and digest web versions rarely change (1 day).
- WebSub: with `feed.hub` set, the main feeds carry `Link: <hub>; rel="hub", <self>;
  rel="self"`, so subscribers can find the hub from the HTTP response alone.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from syndicate.config import Config
from syndicate.site.feeds.archive import content_type

MAIN_FEEDS = ("rss.xml", "atom.xml", "feed.json")
MAX_CACHED_FILE = 8 * 1024 * 1024  # bigger files are streamed from disk, never gzipped
CACHE_BYTES = 64 * 1024 * 1024  # all cached versions together (identity + gzip)
GZIP_MIN = 512  # smaller bodies are not worth a Content-Encoding
_TEXT_TYPES = ("text/", "application/xml", "application/json", "application/javascript")
_TEXT_SUFFIXES = ("+xml", "+json")
_EXTRA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}


@dataclass(frozen=True)
class Target:
    """Where a URL path leads: a file (`name` relative to the feeds folder), a redirect to
    the folder URL with its slash, or nothing."""

    path: Path | None = None
    name: str = ""
    redirect: str = ""


def resolve(root: Path, url_path: str) -> Target:
    """The file under `root` that `url_path` (already percent-decoded) names, or Target()."""
    wants_index = url_path == "" or url_path.endswith("/")
    segments = url_path.strip("/").split("/") if url_path.strip("/") else []
    for seg in segments:
        if not seg or seg in (".", "..") or seg.startswith(".") or "\x00" in seg or "\\" in seg:
            return Target()
    real_root = os.path.realpath(root)
    candidate = os.path.join(real_root, *segments)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root + os.sep):
        return Target()  # a symlink leading out of the feeds folder
    if os.path.isdir(real):
        if not os.path.isfile(os.path.join(real, "index.html")):
            return Target()
        if not wants_index:
            # Percent-encoded: a topic's folder may be named in any script (tags/経済/).
            return Target(redirect=quote(segments[-1] if segments else "") + "/")
        segments = [*segments, "index.html"]
        real = os.path.join(real, "index.html")
    elif wants_index or not os.path.isfile(real):
        return Target()
    return Target(path=Path(real), name="/".join(segments))


def media_type(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if base.endswith((".xml", ".json")):
        return content_type(base)  # feeds and their archive pages
    suffix = os.path.splitext(base)[1].lower()
    if suffix in _EXTRA_TYPES:
        return _EXTRA_TYPES[suffix]
    guessed = mimetypes.guess_type(base)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def compressible(mtype: str) -> bool:
    bare = mtype.split(";", 1)[0].strip()
    return bare.startswith(_TEXT_TYPES) or bare.endswith(_TEXT_SUFFIXES) or bare == "image/svg+xml"


def cache_control(name: str) -> str:
    if name in MAIN_FEEDS or name == "index.html":
        return "public, max-age=300"
    folder, _, rest = name.partition("/")
    if folder in ("articles", "digests") and (rest == "index.html" or rest.startswith("page/")):
        return "public, max-age=300"  # the lists move with every new article
    if folder == "articles":
        return "public, max-age=3600"  # an article may be edited or retracted
    return "public, max-age=86400"  # archive feed pages, digest web versions, images


def link_header(config: Config, name: str) -> str:
    if not config.feed.hub or name not in MAIN_FEEDS:
        return ""
    return f'<{config.feed.hub}>; rel="hub", <{config.site.base_url}{name}>; rel="self"'


# ---------------------------------------------------------------- cached versions


@dataclass(frozen=True)
class Version:
    """One version of one file, as served: validators and both representations."""

    media_type: str
    body: bytes
    etag: str
    gzip_body: bytes | None
    gzip_etag: str
    last_modified: str  # HTTP date
    mtime: int  # whole seconds: what Last-Modified can express


class FileCache:
    """File versions by (device, inode, size, mtime); least recently used dropped first.
    Used from the event loop only (loads run in a worker thread, then land here)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Version] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple) -> Version | None:
        version = self._items.get(key)
        if version is not None:
            self._items.move_to_end(key)
        return version

    def put(self, key: tuple, version: Version) -> None:
        if key in self._items:
            return
        size = len(version.body) + len(version.gzip_body or b"")
        self._items[key] = version
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old.body) + len(old.gzip_body or b"")


def stat_key(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def load_version(path: Path, name: str) -> tuple[tuple, Version] | None:
    """Read one file (stat and bytes from the same open file, so they always agree) and
    prepare both representations. None if it vanished meanwhile."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            body = fh.read()
    except (FileNotFoundError, IsADirectoryError):
        return None
    mtype = media_type(name)
    digest = hashlib.sha256(body).hexdigest()[:32]
    gz = None
    if compressible(mtype) and len(body) >= GZIP_MIN:
        # mtime=0: the same bytes always give the same gzip body (and ETag).
        gz = gzip.compress(body, compresslevel=6, mtime=0)
    mtime = int(st.st_mtime)
    version = Version(
        media_type=mtype,
        body=body,
        etag=f'"{digest}"',
        gzip_body=gz,
        gzip_etag=f'"{digest}-gz"',
        last_modified=formatdate(mtime, usegmt=True),
        mtime=mtime,
    )
    return stat_key(st), version


# ---------------------------------------------------------------- conditional requests


def accepts_gzip(accept_encoding: str) -> bool:
    gzip_q = star_q = None
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            gzip_q = q
        elif coding == "*":
            star_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return bool(star_q and star_q > 0)


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etags: tuple[str, ...], mtime: int
) -> bool:
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return any(tag in offered for tag in etags)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since is None or since.tzinfo is None:
            return False
        return mtime <= since.timestamp()
    return False
