"""The inbox as a run sees it: which files are articles, their editor sidecars, and one
listing with every file's stat — without importing the readers.

Every run stats every inbox file (an edit in place changes nothing else), so listing 10,000
files must cost what the system calls cost: `os.scandir` (names and types in one call per
folder), one `stat` per file, sidecars found in the folder's listing instead of probed.

A file's *signature* (size, mtime, ctime, inode and device, and the same of its sidecar) is
what git's index keeps: when it is the one recorded with a content hash, the file need not be
read again. The hash stays the truth: a signature recorded within RACY_SECONDS of the file's
mtime is not trusted (a second write in the same timestamp tick would keep size and times;
ext4 timestamps move in jiffies), so such files are hashed again next run.
"""

from __future__ import annotations

import hashlib
import os
import struct
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

# Names editors, rsync, browsers and publishers' tools use while a file is still being written:
# .name, ~$name (Office), #name# (Emacs), name~, and these suffixes. Plain string tests, not a
# regular expression: they run for every inbox file on every run.
_TEMPORARY_SUFFIXES = frozenset({"tmp", "temp", "part", "partial", "crdownload", "swp", "swx"})
SIDECAR_SUFFIX = ".meta.toml"  # readers/sidecar.py
RACY_SECONDS = 2


def is_temporary_name(name: str) -> bool:
    if not name or name[0] == "." or name[-1] == "~" or name.startswith("~$"):
        return True
    if name[0] == "#" and name[-1] == "#" and len(name) > 1:
        return True
    _stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.lower() in _TEMPORARY_SUFFIXES


def is_candidate_name(name: str) -> bool:
    """False for names publishers' tools use while writing (.*, *.tmp, *.part, *~), and for
    editors' sidecars (NAME.meta.toml): metadata of an article, never an article of its own."""
    return not (is_temporary_name(name) or name.lower().endswith(SIDECAR_SUFFIX))


def sidecar_names(name: str) -> list[str]:
    """Where an article's editor sidecar may be, in order: `story.txt.meta.toml`, then
    `story.meta.toml`."""
    names = [name + SIDECAR_SUFFIX]
    stem, dot, _suffix = name.rpartition(".")
    if dot and stem:
        names.append(stem + SIDECAR_SUFFIX)
    return names


class InboxFile(NamedTuple):
    """One listed file (a tuple: 10,000 of them are made when the inbox changed)."""

    source: str  # relative to the inbox, forward slashes
    location: str  # the file's path (a str: a Path per file costs more than its stat)
    stat: os.stat_result | None  # None: vanished or unreadable while listing
    sidecar: str | None  # the editor's NAME.meta.toml next to it, if any
    sidecar_stat: os.stat_result | None

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def signature(self) -> str:
        """Size, times and identity of the file and its sidecar; "" if unknown."""
        if self.stat is None:
            return ""
        if self.sidecar is None:
            return _signature(self.stat)
        return f"{_signature(self.stat)}|{_signature(self.sidecar_stat)}"

    def settled(self, now_ns: int) -> bool:
        """Old enough for its signature to be trusted next time (see module doc)."""
        limit = now_ns - RACY_SECONDS * 1_000_000_000
        return all(s is None or s.st_mtime_ns < limit for s in (self.stat, self.sidecar_stat))


def _signature(st: os.stat_result | None) -> str:
    if st is None:
        return "gone"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


class Listing:
    """The inbox as listed: `key` (every source with its stat, hashed) and `newest_ns` come
    from one pass of cheap tuples; `files` are made only when a run needs to look closer."""

    def __init__(self, raw: list[tuple], key: str, newest_ns: int) -> None:
        self._raw, self.key, self.newest_ns = raw, key, newest_ns

    @property
    def files(self) -> list[InboxFile]:
        return [InboxFile(*item) for item in self._raw]

    def __len__(self) -> int:
        return len(self._raw)

    def settled(self, now_ns: int) -> bool:
        return self.newest_ns < now_ns - RACY_SECONDS * 1_000_000_000


_PACK = struct.Struct("5q").pack
_BY_NAME = attrgetter("name")


def scan_inbox(inbox: Path) -> Listing:
    """Every candidate file under the inbox (hidden folders skipped), sorted by source.

    Written for the loop that runs for every file on every run: one stat each, the
    listing key's bytes packed on the way, the common case (a regular file with an
    ordinary name and no sidecar) without a function call."""
    raw: list[tuple] = []
    packed: list[bytes] = []
    newest = 0
    nested = False
    folders = [(str(inbox), "")]
    stat, join, pack, suffixes = os.stat, os.path.join, _PACK, _TEMPORARY_SUFFIXES
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_BY_NAME)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        sidecars = {e.name for e in entries if e.name.lower().endswith(SIDECAR_SUFFIX)}
        for entry in entries:
            name = entry.name
            try:
                if not entry.is_file(follow_symlinks=False):
                    if entry.is_dir(follow_symlinks=False):
                        if name[0] != ".":
                            folders.append((entry.path, f"{prefix}{name}/"))
                            nested = True
                        continue
                    if not entry.is_symlink():
                        continue  # sockets, fifos, devices
            except OSError:
                continue
            # is_temporary_name, inline
            first, last = name[0], name[-1]
            if first == "." or last == "~" or (first == "#" and last == "#" and len(name) > 1):
                continue
            _stem, dot, suffix = name.rpartition(".")
            if (dot and suffix.lower() in suffixes) or name.startswith("~$") or name in sidecars:
                continue
            path = entry.path
            try:
                st: os.stat_result | None = stat(path)
            except OSError:
                st = None
            sidecar = side = None
            if sidecars:
                sidecar = next((n for n in sidecar_names(name) if n in sidecars), None)
                if sidecar is not None:
                    sidecar = join(folder, sidecar)
                    try:
                        side = stat(sidecar)
                    except OSError:
                        side = None
            raw.append((prefix + name, path, st, sidecar, side))
            if st is None:
                packed.append(b"gone")
                continue
            try:
                packed.append(
                    pack(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
                )
            except struct.error:  # a number past 2**63 (some network file systems)
                packed.append(_packed(st))
            if st.st_mtime_ns > newest:
                newest = st.st_mtime_ns
            if sidecar is not None:
                packed.append(b"+" + _packed(side))
                if side is not None and side.st_mtime_ns > newest:
                    newest = side.st_mtime_ns
    if nested:  # sources of several folders: sort them as one list
        order = sorted(range(len(raw)), key=lambda i: raw[i][0])
        raw = [raw[i] for i in order]
        packed = [packed[i] for i in order]
    h = hashlib.sha256("\0".join([item[0] for item in raw]).encode("utf-8", "surrogateescape"))
    h.update(b"".join(packed))
    return Listing(raw, h.hexdigest(), newest)


def _packed(st: os.stat_result | None) -> bytes:
    if st is None:
        return b"gone"
    try:
        return _PACK(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    except struct.error:  # a number past 2**63 (some network file systems)
        return repr((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)).encode()
