"""The inbox as a run sees it: which files are articles, their editor sidecars, and one
listing with every file's stat — without importing the readers.

Every run stats every inbox file (an edit in place changes nothing else), so listing 10,000
files must cost what the system calls cost: `os.scandir` (names and types in one call per
folder), one `stat` per file, sidecars found in the folder's listing instead of probed.
What is left of those calls' cost on a no-op run is hidden behind the run's start-up: `run`
and `publish` fork a child that lists while the parent imports (early_listing.py).

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
from pathlib import Path
from typing import NamedTuple

# Names editors, rsync, browsers and publishers' tools use while a file is still being written:
# .name, ~$name (Office), #name# (Emacs), name~, and these suffixes. Plain string tests, not a
# regular expression: they run for every inbox file on every run.
_TEMPORARY_SUFFIXES = frozenset({"tmp", "temp", "part", "partial", "crdownload", "swp", "swx"})
SIDECAR_SUFFIX = ".meta.toml"  # readers/sidecar.py
DEFAULT_INBOX = "articles"  # paths.inbox (config.py)
RACY_SECONDS = 2


def settled(mtime_ns: int, listed_at_ns: int) -> bool:
    """A file modified at `mtime_ns`, listed at `listed_at_ns`: old enough for its stat
    signature to be trusted next time (see the module doc)."""
    return mtime_ns < listed_at_ns - RACY_SECONDS * 1_000_000_000


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


class Stat(NamedTuple):
    """The part of a file's stat a run uses: what a listing received from the early
    listing's child holds instead of an os.stat_result (early_listing.py)."""

    st_size: int
    st_mtime_ns: int
    st_ctime_ns: int
    st_ino: int
    st_dev: int


FileStat = os.stat_result | Stat


class ListingSummary(NamedTuple):
    """What a run needs of a listing to know that nothing changed (early_listing.py sends
    it ahead of the listing)."""

    key: str
    newest_ns: int
    count: int
    listed_at_ns: int

    def settled(self) -> bool:
        return settled(self.newest_ns, self.listed_at_ns)


class InboxFile(NamedTuple):
    """One listed file (a tuple: 10,000 of them are made when the inbox changed)."""

    source: str  # relative to the inbox, forward slashes
    location: str  # the file's path (a str: a Path per file costs more than its stat)
    stat: FileStat | None  # None: vanished or unreadable while listing
    sidecar: str | None  # the editor's NAME.meta.toml next to it, if any
    sidecar_stat: FileStat | None

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
        return all(
            s is None or settled(s.st_mtime_ns, now_ns) for s in (self.stat, self.sidecar_stat)
        )


def _signature(st: FileStat | None) -> str:
    if st is None:
        return "gone"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


class Listing:
    """The inbox as listed: `wire` (every candidate file's name, sidecars included, in the
    folders' own order, and their stats packed), `key` (the wire hashed) and `newest_ns`
    come from one pass that makes no object per file; `files` (sorted by source, each
    article with its sidecar) are made from the wire only when a run needs to look closer.
    early_listing.py sends the wire from its child as it is."""

    def __init__(
        self,
        inbox: str | Path,
        names: list[str],
        wire: tuple[bytes, bytes],
        key: str,
        newest_ns: int,
    ) -> None:
        self._folder, self._names = os.fspath(inbox), names
        self.wire, self.key, self.newest_ns = wire, key, newest_ns

    @classmethod
    def from_wire(
        cls, inbox: str | Path, key: str, sources: bytes, packed: bytes
    ) -> Listing | None:
        """The listing another process made of `inbox`, from its `wire`; None if the bytes
        are not what they should be (they are checked against `key`)."""
        if hashlib.sha256(sources + packed).hexdigest() != key:
            return None
        names = sources.decode("utf-8", "surrogateescape").split("\0") if sources else []
        if len(packed) != len(names) * _PACKED.size:
            return None
        newest = max((st[1] for st in _PACKED.iter_unpack(packed) if st[0] >= 0), default=0)
        newest = max(newest, 0)  # as scan_inbox counts (a file from before 1970 is settled)
        return cls(inbox, names, (sources, packed), key, newest)

    def records(self) -> dict[str, bytes]:
        """source → its packed stat, as the key holds it: comparing two listings' records
        tells which files changed between them without a stat or a row per file."""
        return records_of(*self.wire)

    @property
    def files(self) -> list[InboxFile]:
        folder = self._folder
        raw = [
            (name, f"{folder}{os.sep}{name}", None if st[0] < 0 else Stat(*st))
            for name, st in zip(self._names, _PACKED.iter_unpack(self.wire[1]), strict=True)
        ]
        sidecars = {
            location: st for source, location, st in raw if source.lower().endswith(SIDECAR_SUFFIX)
        }
        files = []
        for source, location, st in sorted(raw):
            if location in sidecars:
                continue
            sidecar = side = None
            if sidecars:
                folder, _slash, name = location.rpartition(os.sep)
                sidecar = next(
                    (p for n in sidecar_names(name) if (p := f"{folder}{os.sep}{n}") in sidecars),
                    None,
                )
                side = sidecars[sidecar] if sidecar is not None else None
            files.append(InboxFile(source, location, st, sidecar, side))
        return files

    def __len__(self) -> int:
        """How many articles (sidecars are part of theirs)."""
        return sum(not name.lower().endswith(SIDECAR_SUFFIX) for name in self._names)

    def settled(self, now_ns: int) -> bool:
        return settled(self.newest_ns, now_ns)


def records_of(sources: bytes, packed: bytes) -> dict[str, bytes]:
    """`Listing.records` of a listing's wire."""
    if not sources:
        return {}
    names = sources.decode("utf-8", "surrogateescape").split("\0")
    size = _PACKED.size
    return dict(
        zip(names, [packed[i : i + size] for i in range(0, len(packed), size)], strict=True)
    )


# A file's stat as the key holds it: size, mtime and ctime (signed), inode and device.
_PACKED = struct.Struct("qqqQQ")
_GONE = _PACKED.pack(-1, 0, 0, 0, 0)  # vanished while listed: no file has size -1


def scan_inbox(inbox: str | Path) -> Listing:
    """Every candidate file under the inbox (hidden folders skipped).

    Written for the loop that runs for every file on every run, within ~8 ms of a bare
    `scandir` + `stat` at 10,000 files: one stat each, its numbers packed into the key's
    bytes at once, no object kept per file, no sorting and no pairing of sidecars (the key
    is in the folders' own order, stable while a folder is unchanged; `files` sorts and
    pairs when a run reads anything)."""
    names: list[str] = []
    packed: list[bytes] = []
    newest = 0
    folders = [(os.fspath(inbox), "")]
    pack, suffixes = _PACKED.pack, _TEMPORARY_SUFFIXES
    while folders:
        folder, prefix = folders.pop()
        try:
            it = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        with it:
            for entry in it:
                name = entry.name
                try:
                    if not entry.is_file(follow_symlinks=False):
                        if entry.is_dir(follow_symlinks=False):
                            if name[0] != ".":
                                folders.append((entry.path, f"{prefix}{name}/"))
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
                if (dot and suffix.lower() in suffixes) or name.startswith("~$"):
                    continue
                names.append(prefix + name)
                try:
                    st = entry.stat()  # follows a symlink, as open() will
                except OSError:
                    packed.append(_GONE)
                    continue
                mtime = st.st_mtime_ns
                try:
                    packed.append(pack(st.st_size, mtime, st.st_ctime_ns, st.st_ino, st.st_dev))
                except struct.error:  # a time past 2262, a number past 2**64: keep its place
                    wrapped = _wrapped(st)
                    packed.append(pack(*wrapped))
                    mtime = wrapped.st_mtime_ns
                if mtime > newest:
                    newest = mtime
    sources = "\0".join(names).encode("utf-8", "surrogateescape")
    stats = b"".join(packed)
    key = hashlib.sha256(sources + stats).hexdigest()
    return Listing(inbox, names, (sources, stats), key, newest)


def _wrapped(st: os.stat_result) -> Stat:
    """A stat whose numbers do not fit the key's fields, wrapped into them: the key still
    changes when the file does, and the run re-reads such a file rather than miss an edit."""
    signed, unsigned = 1 << 63, 1 << 64
    return Stat(
        st.st_size % signed,
        (st.st_mtime_ns + signed) % unsigned - signed,
        (st.st_ctime_ns + signed) % unsigned - signed,
        st.st_ino % unsigned,
        st.st_dev % unsigned,
    )
