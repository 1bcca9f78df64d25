"""The inbox as a run sees it: which files are articles, their editor sidecars and stat
signatures — made from a listing (listing.py), without importing the readers.

A file's *signature* (size, mtime, ctime, inode and device, and the same of its sidecar) is
what git's index keeps: when it is the one recorded with a content hash, the file need not be
read again. The hash stays the truth: a signature recorded within RACY_SECONDS of the file's
mtime is not trusted (a second write in the same timestamp tick would keep size and times;
ext4 timestamps move in jiffies), so such files are hashed again next run.

A listing's *key* hashes all of it (every name and stat, sidecars included): a run that
finds the key it recorded last time has nothing to read, and one that does not compares the
two listings' records to find the files that changed (ingest.py).
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from syndicate.inbox.listing import PACKED, is_temporary_name, list_folder

SIDECAR_SUFFIX = ".meta.toml"  # readers/sidecar.py
RACY_SECONDS = 2


def settled(mtime_ns: int, listed_at_ns: int) -> bool:
    """A file modified at `mtime_ns`, listed at `listed_at_ns`: old enough for its stat
    signature to be trusted next time (see the module doc)."""
    return mtime_ns < listed_at_ns - RACY_SECONDS * 1_000_000_000


def is_sidecar_name(name: str) -> bool:
    """An editor's sidecar (NAME.meta.toml, any case): metadata of an article."""
    return name.lower().endswith(SIDECAR_SUFFIX)


def is_candidate_name(name: str) -> bool:
    """False for names publishers' tools use while writing (.*, *.tmp, *.part, *~), and for
    editors' sidecars (NAME.meta.toml): metadata of an article, never an article of its own."""
    return not (is_temporary_name(name) or is_sidecar_name(name))


def sidecar_names(name: str) -> list[str]:
    """Where an article's editor sidecar may be, in order: `story.txt.meta.toml`, then
    `story.meta.toml`."""
    names = [name + SIDECAR_SUFFIX]
    stem, dot, _suffix = name.rpartition(".")
    if dot and stem:
        names.append(stem + SIDECAR_SUFFIX)
    return names


class Stat(NamedTuple):
    """The part of a file's stat a run uses, as a listing's packed bytes hold it."""

    st_size: int
    st_mtime_ns: int
    st_ctime_ns: int
    st_ino: int
    st_dev: int


FileStat = os.stat_result | Stat


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
    folders' own order, and their stats packed: listing.py), its `key` (the wire hashed) and
    `newest_ns`; `files` (sorted by source, each article with its sidecar) are made from the
    wire only when a run needs to look closer."""

    def __init__(
        self,
        inbox: str | Path,
        names: list[str] | None,
        sources: bytes,
        stats: bytes,
        newest_ns: int,
    ) -> None:
        """`names`: the sources as a list, if at hand (else decoded when needed)."""
        self._folder, self._names_given = os.fspath(inbox), names
        self.wire, self.newest_ns = (sources, stats), newest_ns
        hashed = hashlib.sha256(sources)
        hashed.update(stats)
        self.key = hashed.hexdigest()

    @cached_property
    def _names(self) -> list[str]:
        if self._names_given is not None:
            return self._names_given
        sources = self.wire[0]
        return sources.decode("utf-8", "surrogateescape").split("\0") if sources else []

    def records(self) -> dict[str, bytes]:
        """source → its packed stat, as the key holds it: comparing two listings' records
        tells which files changed between them without a stat or a row per file."""
        return _records(self._names, self.wire[1])

    @property
    def files(self) -> list[InboxFile]:
        return self.files_among(None)

    def files_among(self, sources: set[str] | None) -> list[InboxFile]:
        """The listed articles named in `sources` (all: None), sorted by source, each with
        its sidecar: a run that knows which files changed makes no tuple for the others."""
        folder, size, stats = self._folder, PACKED.size, self.wire[1]
        raw, sidecars = [], {}
        for i, name in enumerate(self._names):
            is_sidecar = is_sidecar_name(name)
            if not is_sidecar and sources is not None and name not in sources:
                continue
            st = PACKED.unpack_from(stats, i * size)
            location = f"{folder}{os.sep}{name}"
            if is_sidecar:
                sidecars[location] = None if st[0] < 0 else Stat(*st)
            else:
                raw.append((name, location, None if st[0] < 0 else Stat(*st)))
        files = []
        for source, location, st in sorted(raw):
            sidecar = side = None
            if sidecars:
                parent, _slash, name = location.rpartition(os.sep)
                sidecar = next(
                    (p for n in sidecar_names(name) if (p := f"{parent}{os.sep}{n}") in sidecars),
                    None,
                )
                side = sidecars[sidecar] if sidecar is not None else None
            files.append(InboxFile(source, location, st, sidecar, side))
        return files

    def article_sources(self) -> set[str]:
        """The sources of the listed articles (not of their sidecars)."""
        return {name for name in self._names if not is_sidecar_name(name)}

    def __len__(self) -> int:
        """How many articles (sidecars are part of theirs), counted in the wire's bytes: a
        run with nothing to do asks only this. (bytes.lower() folds ASCII only: the suffix is
        ASCII, a name's other bytes differ.)"""
        sources = self.wire[0].lower()
        if not sources:
            return 0
        suffix = SIDECAR_SUFFIX.encode("ascii")
        sidecars = sources.count(suffix + b"\0") + sources.endswith(suffix)
        return sources.count(b"\0") + 1 - sidecars

    def settled(self, now_ns: int) -> bool:
        return settled(self.newest_ns, now_ns)


def records_of(sources: bytes, packed: bytes) -> dict[str, bytes]:
    """`Listing.records` of a listing's wire."""
    names = sources.decode("utf-8", "surrogateescape").split("\0") if sources else []
    return _records(names, packed)


def _records(names: list[str], packed: bytes) -> dict[str, bytes]:
    size = PACKED.size
    return dict(
        zip(names, [packed[i : i + size] for i in range(0, len(packed), size)], strict=True)
    )


def scan_inbox(inbox: str | Path) -> Listing:
    """The inbox listed now (listing.list_folder)."""
    return Listing(inbox, *list_folder(inbox))
