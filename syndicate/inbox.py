"""The inbox as a run sees it: which files are articles, their editor sidecars, and one
listing with every file's stat — without importing the readers.

Every run stats every inbox file (an edit in place changes nothing else), so listing 10,000
files must cost what the system calls cost: `os.scandir` (names and types in one call per
folder), one `stat` per file, sidecars found in the folder's listing instead of probed.
What is left of those calls' cost on a no-op run is hidden behind the run's start-up: `run`
and `publish` fork a child that lists while the parent imports (EarlyListing, below).

A file's *signature* (size, mtime, ctime, inode and device, and the same of its sidecar) is
what git's index keeps: when it is the one recorded with a content hash, the file need not be
read again. The hash stays the truth: a signature recorded within RACY_SECONDS of the file's
mtime is not trusted (a second write in the same timestamp tick would keep size and times;
ext4 timestamps move in jiffies), so such files are hashed again next run.
"""

from __future__ import annotations

import gc
import hashlib
import os
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

# Names editors, rsync, browsers and publishers' tools use while a file is still being written:
# .name, ~$name (Office), #name# (Emacs), name~, and these suffixes. Plain string tests, not a
# regular expression: they run for every inbox file on every run.
_TEMPORARY_SUFFIXES = frozenset({"tmp", "temp", "part", "partial", "crdownload", "swp", "swx"})
SIDECAR_SUFFIX = ".meta.toml"  # readers/sidecar.py
DEFAULT_INBOX = "articles"  # paths.inbox (config.py)
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
    """The inbox as listed: `key` (every candidate file's name and stat, sidecars included,
    in the folders' own order, hashed) and `newest_ns` come from one pass over cheap tuples;
    `files` (sorted by source, each article with its sidecar) are made only when a run
    needs to look closer."""

    def __init__(self, raw: list[tuple[str, str, os.stat_result | None]], key: str) -> None:
        self._raw, self.key = raw, key
        self.newest_ns = max((st.st_mtime_ns for _s, _l, st in raw if st is not None), default=0)

    @property
    def files(self) -> list[InboxFile]:
        sidecars = {
            location: st
            for source, location, st in self._raw
            if source.lower().endswith(SIDECAR_SUFFIX)
        }
        files = []
        for source, location, st in sorted(self._raw):
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
        return sum(not source.lower().endswith(SIDECAR_SUFFIX) for source, _l, _s in self._raw)

    def settled(self, now_ns: int) -> bool:
        return self.newest_ns < now_ns - RACY_SECONDS * 1_000_000_000


_PACK = struct.Struct("5q").pack


def scan_inbox(inbox: Path) -> Listing:
    """Every candidate file under the inbox (hidden folders skipped).

    Written for the loop that runs for every file on every run, within ~10 ms of a bare
    `scandir` + `stat` at 10,000 files: one stat each, the key's bytes packed on the way,
    no sorting and no pairing of sidecars (the key is in the folders' own order, stable
    while a folder is unchanged; `files` sorts and pairs when a run reads anything)."""
    raw: list[tuple[str, str, os.stat_result | None]] = []
    packed: list[bytes] = []
    folders = [(str(inbox), "")]
    pack, suffixes = _PACK, _TEMPORARY_SUFFIXES
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
                try:
                    st: os.stat_result | None = entry.stat()  # follows a symlink, as open() will
                except OSError:
                    st = None
                raw.append((prefix + name, entry.path, st))
                if st is None:
                    packed.append(b"gone")
                    continue
                try:
                    packed.append(
                        pack(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
                    )
                except struct.error:  # a number past 2**63 (some network file systems)
                    packed.append(_packed(st))
    h = hashlib.sha256("\0".join([item[0] for item in raw]).encode("utf-8", "surrogateescape"))
    h.update(b"".join(packed))
    return Listing(raw, h.hexdigest())


def _packed(st: os.stat_result | None) -> bytes:
    if st is None:
        return b"gone"
    try:
        return _PACK(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    except struct.error:  # a number past 2**63 (some network file systems)
        return repr((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)).encode()


# ---------------------------------------------------------------- listing ahead of time


class ListingSummary(NamedTuple):
    """What a run needs of a listing to know that nothing changed."""

    key: str
    newest_ns: int
    count: int
    listed_at_ns: int

    def settled(self) -> bool:
        return self.newest_ns < self.listed_at_ns - RACY_SECONDS * 1_000_000_000


class EarlyListing:
    """The inbox listed by a forked child while this process goes on starting up.

    Listing 10,000 files costs 10,000 `stat` calls, 30-40 ms of kernel time on the
    developer machine: a third of a no-op run, and nothing short of a file watcher avoids
    it (an edit in place changes no folder's mtime). git pays the same for its index and
    lists in parallel (core.preloadIndex). Python threads would stall on the GIL after
    every stat while the main thread imports, so `run` forks a child as its first step: it
    reads the config file's paths.inbox and lists while the parent imports the pipeline,
    validates the config and opens the state (measured: a no-op run at 10,000 articles
    117 → 98 ms). The child reports the listing's key, nothing else; when the key is not
    the one recorded, or the child listed another folder than the validated config names,
    the run lists the inbox itself: the child can save work, never decide what is read.

    Listing before the run lock is taken is the same as the run starting a moment earlier:
    a file changed after the child looked is seen by the next run (its stat changes the
    key), as a file changed just after a listing always is."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd

    def summary(self, inbox: Path) -> ListingSummary | None:
        """The child's listing, if it listed `inbox` (waiting for it); None if it listed
        another folder, failed, or was already asked."""
        if self._fd < 0:
            return None
        chunks = []
        try:
            while chunk := os.read(self._fd, 65536):
                chunks.append(chunk)
        except OSError:
            chunks = []
        self.close()
        listed, _nul, numbers = b"".join(chunks).partition(b"\0")
        if not numbers or listed != os.fsencode(inbox):
            return None
        try:
            listed_at, newest, count, key = numbers.decode("ascii").split(" ")
            return ListingSummary(key, int(newest), int(count), int(listed_at))
        except ValueError:  # the child was stopped halfway
            return None

    def close(self) -> None:
        """Stop the child if it is still listing, and reap it."""
        if self._fd < 0:
            return
        os.close(self._fd)
        self._fd = -1
        try:
            if os.waitpid(self._pid, os.WNOHANG) == (0, 0):
                os.kill(self._pid, 9)  # SIGKILL: it holds nothing
                os.waitpid(self._pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def list_early(locate: Callable[[], Path | None], *, min_cpus: int = 2) -> EarlyListing | None:
    """Fork a child that lists the inbox `locate()` names; None where that would not help
    or is not safe: no fork, fewer than `min_cpus` CPUs for this process (with one, the
    child only takes turns with its parent), or threads running (a forked child of a
    threaded process may deadlock on a lock another thread held)."""
    fork = getattr(os, "fork", None)
    threading = sys.modules.get("threading")
    if fork is None or (threading is not None and threading.active_count() > 1):
        return None
    affinity = getattr(os, "sched_getaffinity", None)  # the CPUs this process may use
    cpus = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    if cpus < min_cpus:
        return None
    read_end, write_end = os.pipe()
    try:
        pid = fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: list, write one line, leave without running anything else
        try:
            # Keep nothing of the parent's open: a reader waiting for EOF on its stdout must
            # not wait for us, and a lock it releases (flock belongs to the open file, which
            # a fork shares) must not stay held by our copy.
            os.closerange(3, write_end)
            os.closerange(write_end + 1, 1 << 20)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            gc.disable()  # short-lived: a collection would only copy the parent's pages
            inbox = locate()
            if inbox is not None:
                listed_at = time.time_ns()
                listing = scan_inbox(inbox)
                line = f"{listed_at} {listing.newest_ns} {len(listing)} {listing.key}"
                os.write(write_end, os.fsencode(inbox) + b"\0" + line.encode("ascii"))
        finally:
            os._exit(0)
    os.close(write_end)
    return EarlyListing(pid, read_end)


def inbox_named_in(config_file: Path) -> Path | None:
    """paths.inbox of a config file, resolved as Config.path resolves it, read without
    validating the rest or importing the config model: the early listing's child runs this
    before it can list, on the path every no-op run waits for. A guess, in that the run
    uses the listing only if its validated config names the same folder."""
    import tomllib

    try:
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        paths = raw.get("paths", {})
        inbox = Path(paths.get("inbox", DEFAULT_INBOX))
        return inbox if inbox.is_absolute() else config_file.resolve().parent / inbox
    except (OSError, ValueError, AttributeError, TypeError):  # config.py will say what
        return None
