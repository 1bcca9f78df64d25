"""Maildir and .eml folders at the durable limit: every file on disk before it is recorded sent,
with the cost of getting there shared by a whole batch.

A batch goes: write every copy to a temp file (no fsync each) and make them all durable at
once (`stage`) → then, inside the engine's transaction that records the batch, ask which are
still wanted and `link()` those into place under their deterministic names, fsync the
target folder once (`place`). While that transaction holds the state's write lock (SQLite)
or the subscribers' rows (PostgreSQL), no unsubscribe can commit: a copy appears in new/
only if it was still wanted when it appeared, and one withdrawn while the batch was being
written is never linked.

Making them durable at once is one `syncfs()` of the file system on Linux ≥ 5.8 (before,
it did not report write-back errors), else fsync in 8 threads at once: either way the disk
gets many requests in flight instead of one at a time (bench/ measures both against the
fsync-per-file floor).

Exactly-once: `link()` never overwrites, so a name already in new/ (or .eml folder) means the
message was delivered by a run that died before recording it, and counts as sent. A mail
client moves read messages from new/ to cur/ as `NAME:2,FLAGS`: cur/ is listed once when the
writer opens (new/ first, then cur/, so a message moved in between is seen in one of them),
never scanned per message. Temp files a killed run left behind are removed when the next
writer opens: ours carry the host and pid, and only those of dead processes (or older than a
day) are touched, so two workers can share a Maildir.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from syndicate.core.files import fsync_dir, naming
from syndicate.delivery.handover import SENT, Copy, Result

# What `send-test` names its one message: it is written from no state (a first test before
# the first run is the usual order), so the state guard does not count it as an output.
TEST_MESSAGE_PREFIX = "test."

# Copies per batch: one flush to disk and one transaction each, so a batch is large; but its
# copies are all in memory until staged, so it also holds at most FOLDER_BATCH_BYTES of them
# (a count alone let the peak grow with the digest's size: 500 of 86 KB took the 100,000 row
# of bench/run.py over its 150 MB). The first batch is small and tells the copies' size.
FOLDER_BATCH = 500
FOLDER_BATCH_BYTES = 16 * 2**20
FIRST_FOLDER_BATCH = 32

_HOST = os.uname().nodename.replace("/", "-").replace(".", "-")
_SEQUENCE = count()
_STALE_AFTER = 24 * 3600
_THREADS = 8


def next_batch(last: Sequence[Copy], most: int) -> int:
    """How many copies to claim for the next batch, after `last` (none yet: the first)."""
    if not last:
        return min(most, FIRST_FOLDER_BATCH)
    size = sum(len(c.data) for c in last) // len(last)
    return max(1, min(most, FOLDER_BATCH_BYTES // max(1, size)))


def _syncfs_usable() -> Callable[[int], int] | None:
    """libc's syncfs on Linux ≥ 5.8 (before, it did not report write-back errors)."""
    if os.uname().sysname != "Linux":
        return None
    try:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    except ValueError:
        return None
    if (major, minor) < (5, 8):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


def process_alive(pid: int) -> bool:
    """Is process `pid` of this host still running? (Another user's process is.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_temp_files(folder: Path) -> int:
    """Remove the temp files of dead writers on this host (and any of ours older than a
    day); return how many."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        parts = entry.name.split(".")
        # .syndicate.<host>.<pid>.<n>.tmp, and the .<name>.<random>.tmp of older versions
        ours = entry.name.startswith(".syndicate.") and len(parts) == 6
        legacy = entry.name.startswith(".") and entry.name.endswith(".tmp")
        if not ours and not legacy:
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER
        except FileNotFoundError:
            continue
        dead = (
            ours and parts[2] == _HOST and parts[3].isdigit() and not process_alive(int(parts[3]))
        )
        if old or dead:
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


@dataclass
class Staged:
    """A batch written to temp files and made durable, waiting to be put in place."""

    copies: list[Copy]
    results: list[Result | None]  # known already: copies found in place when staged
    files: list[tuple[int, Path, Path]]  # (index in copies, temp file, final name)


class FolderWriter:
    """A Maildir (tmp/ → new/) or a folder of .eml files, written a batch at a time."""

    dot_stuffed = False

    def __init__(self, target: Path, temp: Path, *, suffix: str, mode: int, seen: list[Path]):
        self.target, self.temp, self.suffix, self.mode = target, temp, suffix, mode
        for folder in dict.fromkeys((target, temp, *seen)):
            folder.mkdir(parents=True, exist_ok=True)
        self.where = str(target)
        clean_temp_files(temp)
        # One listing per run: names already delivered (cur/ holds NAME:2,FLAGS).
        self.present: set[str] = set()
        for folder in seen:
            with os.scandir(folder) as entries:
                self.present.update(e.name.split(":", 1)[0] for e in entries)
        self.syncfs = _syncfs_usable()

    @classmethod
    def maildir(cls, outbox: Path) -> FolderWriter:
        return cls(
            outbox / "new",
            outbox / "tmp",
            suffix="",
            mode=0o600,
            seen=[outbox / "new", outbox / "cur"],
        )

    @classmethod
    def eml(cls, outbox: Path) -> FolderWriter:
        return cls(outbox, outbox, suffix=".eml", mode=0o644, seen=[outbox])

    def write(self, copies: Sequence[Copy], wanted: Callable[[Copy], bool]) -> list[Result]:
        """Stage and place a batch in one go (one-off messages)."""
        staged = self.stage(copies)
        try:
            return self.place(staged, wanted)
        finally:
            self.discard(staged)

    def stage(self, copies: Sequence[Copy]) -> Staged:
        """Write every copy not delivered yet to a temp file, all made durable at once."""
        staged = Staged(list(copies), [None] * len(copies), [])
        pid = os.getpid()
        for i, copy in enumerate(copies):
            name = copy.name + self.suffix
            target = self.target / name
            if name in self.present:
                staged.results[i] = Result("sent", f"{target} (already there)")
            else:
                temp = self.temp / f".syndicate.{_HOST}.{pid}.{next(_SEQUENCE)}.tmp"
                staged.files.append((i, temp, target))
        try:
            self._write_durably([(temp, copies[i].data) for i, temp, _t in staged.files])
        except BaseException:
            self.discard(staged)
            raise
        return staged

    def place(self, staged: Staged, wanted: Callable[[Copy], bool]) -> list[Result]:
        """Link each staged copy still `wanted` into place, then fsync the folder once.
        The engine calls this inside the transaction that records the batch, so nothing
        can withdraw a copy between the question and its link."""
        linked = False
        for i, temp, target in staged.files:
            if not wanted(staged.copies[i]):
                staged.results[i] = Result("untried", "withdrawn before it was delivered")
                continue
            try:
                os.link(temp, target)
                staged.results[i] = Result("sent", str(target))
                linked = True
            except FileExistsError:
                staged.results[i] = Result("sent", f"{target} (already there)")
            self.present.add(target.name)
        if linked:
            fsync_dir(self.target)
        self.discard(staged)
        return [r or SENT for r in staged.results]

    @staticmethod
    def discard(staged: Staged) -> None:
        """Remove the batch's temp files (placed copies live on under their names)."""
        for _i, temp, _t in staged.files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _write_durably(self, files: list[tuple[Path, bytes]]) -> None:
        if not files:
            return
        if self.syncfs is not None:
            for path, data in files:
                _write(path, data, self.mode, sync=False)
            fd = os.open(self.temp, os.O_RDONLY)
            try:
                if self.syncfs(fd) != 0:
                    import ctypes

                    err = ctypes.get_errno()
                    raise OSError(err, os.strerror(err), str(self.temp))
            finally:
                os.close(fd)
            return
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(lambda f: _write(f[0], f[1], self.mode, sync=True), files))


def _write(path: Path, data: bytes, mode: int, *, sync: bool) -> None:
    with naming(path):  # a full disk says which folder it is
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)  # whatever the umask: .eml files are read by other programs
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
