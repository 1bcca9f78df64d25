"""The inbox listed by a forked child while `run` or `publish` starts up.

Listing 10,000 files costs 10,000 `stat` calls, 30-40 ms of kernel time on the developer
machine: a third of a no-op run, and nothing short of a file watcher avoids it (an edit in
place changes no folder's mtime). git pays the same for its index and lists in parallel
(core.preloadIndex). Python threads would stall on the GIL after every stat while the main
thread imports, so the CLI forks a child as its first step: the child reads the config
file's paths.inbox and lists while the parent imports the pipeline, validates the config
and opens the state. Measured on the 2-core developer VM, a no-op run at 10,000 stored
articles went from 1.3-2.1x to 1.1-1.4x the same run at 50 (152 -> 109 ms in one pairing).

What the child sends is its listing's key first, then the listing itself (the bytes the key
was hashed from: sources and packed stats). A no-op run reads the key, finds it recorded,
and stops the child; a run with something to read takes the listing instead of listing
again. The parent checks everything it takes: the folder must be the one its validated
config names, and the bytes must hash to the key. Otherwise it lists the inbox itself, so
the child can save work, never decide what is read.

Listing before the run lock is taken is the same as the run starting a moment earlier: a
file changed after the child looked is seen by the next run (its stat changes the key), as
a file changed just after a listing always is.

This module and the listing (inbox.py) import nothing heavy: they run before anything else
of the command.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from syndicate.inbox import Listing, settled


class ListingSummary(NamedTuple):
    """What a run needs of a listing to know that nothing changed."""

    key: str
    newest_ns: int
    count: int
    listed_at_ns: int

    def settled(self) -> bool:
        return settled(self.newest_ns, self.listed_at_ns)


class EarlyListing:
    """A child listing the inbox; `summary()` then, if needed, `listing()`; `close()`."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd
        self._inbox: Path | None = None
        self._summary: ListingSummary | None = None
        self._rest = b""
        self._sizes = (0, 0)

    def summary(self, inbox: Path) -> ListingSummary | None:
        """The child's key of its listing (waiting for it), if it listed `inbox`; None if it
        listed another folder or failed."""
        if self._fd < 0:
            return None
        data = b""
        try:
            while b"\n" not in data.partition(b"\0")[2]:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            data = b""
        listed, _nul, rest = data.partition(b"\0")
        header, newline, self._rest = rest.partition(b"\n")
        if not newline or listed != os.fsencode(inbox):
            self.close()
            return None
        try:
            listed_at, newest, count, key, names, stats = header.decode("ascii").split(" ")
            self._summary = ListingSummary(key, int(newest), int(count), int(listed_at))
            self._sizes = (int(names), int(stats))
        except ValueError:
            self.close()
            return None
        self._inbox = inbox
        return self._summary

    def listing(self) -> Listing | None:
        """The child's whole listing (after `summary`), checked against its key."""
        if self._fd < 0 or self._summary is None or self._inbox is None:
            return None
        names, stats = self._sizes
        chunks, have = [self._rest], len(self._rest)
        try:
            while have < names + stats:
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                have += len(chunk)
        except OSError:
            return None
        finally:
            self.close()
        data = b"".join(chunks)
        if len(data) != names + stats:
            return None
        return Listing.from_wire(self._inbox, self._summary.key, data[:names], data[names:])

    def close(self) -> None:
        """Stop the child if it is still at work, and reap it."""
        if self._fd < 0:
            return
        os.close(self._fd)
        self._fd = -1
        try:
            if os.waitpid(self._pid, os.WNOHANG) == (0, 0):
                os.kill(self._pid, signal.SIGKILL)  # it holds nothing
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
    if pid == 0:
        try:
            _child(locate, read_end, write_end)
        finally:
            os._exit(0)  # run nothing of the parent's: no atexit, no buffers flushed twice
    os.close(write_end)
    return EarlyListing(pid, read_end)


def _child(locate: Callable[[], Path | None], read_end: int, write_end: int) -> None:
    from syndicate.inbox import scan_inbox

    os.close(read_end)
    # Keep nothing of the parent's open: a reader waiting for EOF on its stdout must not
    # wait for us, and a lock it releases (flock belongs to the open file, which a fork
    # shares) must not stay held by our copy.
    os.closerange(3, write_end)
    os.closerange(write_end + 1, 1 << 20)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    gc.disable()  # short-lived: a collection would only copy the parent's pages
    inbox = locate()
    if inbox is None:
        return
    listed_at = time.time_ns()
    listing = scan_inbox(inbox)
    sources, stats = listing.wire
    header = (
        f"{listed_at} {listing.newest_ns} {len(listing)} {listing.key}"
        f" {len(sources)} {len(stats)}\n"
    )
    data = memoryview(os.fsencode(inbox) + b"\0" + header.encode("ascii") + sources + stats)
    while data:  # the parent may stop reading after the key: BrokenPipeError ends us
        data = data[os.write(write_end, data) :]


def inbox_named_in(config_file: Path) -> Path | None:
    """paths.inbox of a config file, resolved as Config.path resolves it, read without
    validating the rest or importing the config model: the child runs this before it can
    list, on the path every no-op run waits for. A guess, in that the run uses the listing
    only if its validated config names the same folder."""
    import tomllib

    from syndicate.inbox import DEFAULT_INBOX

    try:
        raw = tomllib.loads(config_file.read_text(encoding="utf-8"))
        paths = raw.get("paths", {})
        inbox = Path(paths.get("inbox", DEFAULT_INBOX))
        return inbox if inbox.is_absolute() else config_file.resolve().parent / inbox
    except (OSError, ValueError, AttributeError, TypeError):  # config.py will say what
        return None
