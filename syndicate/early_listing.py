"""The inbox listed by a forked child while `run` or `publish` starts up.

Listing 10,000 files costs 10,000 `stat` calls, 30-40 ms of kernel time on the developer
machine: a third of a no-op run, and nothing short of a file watcher avoids it (an edit in
place changes no folder's mtime). git pays the same for its index and lists in parallel
(core.preloadIndex). Python threads would stall on the GIL after every stat while the main
thread imports, so the `syndicate` script forks a child before it imports anything else
(__main__.py): the child reads the config file's paths.inbox and lists while the parent
imports the CLI and the pipeline, validates the config and opens the state.

The child's path is the one a no-op run at 10,000 files waits for, so it imports nothing
but `os` and `struct` (listing.py), reads a plainly written [paths] table without tomllib,
and does not hash: it sends the folder it listed, when, and the listing's bytes (sources and
packed stats) through a pipe made big enough to take them at once, and exits. The parent
hashes the bytes into the listing's key (inbox.Listing); a no-op run finds that key recorded.
The parent uses the listing only if the child listed the folder its validated config names;
otherwise it lists the inbox itself, so the child can save work, never decide what is read.

Measured on the 2-core developer VM (best of 11, alternating): a no-op run at 10,000 stored
articles 152 ms with the listing in the parent, 109 ms with the child forked by the CLI,
85 ms with the child forked first and kept lean; the same run at 50 articles takes 74 ms.

Listing before the run lock is taken is the same as the run starting a moment earlier: a
file changed after the child looked is seen by the next run (its stat changes the key), as
a file changed just after a listing always is.
"""

from __future__ import annotations

import os
import sys

# Nothing here may import `typing` (3 ms) or more before the fork: `typing.TYPE_CHECKING`'s
# value, which type checkers recognise by its name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from syndicate.inbox import Listing

# The commands that list the inbox: a child lists it while they start up.
LISTS_INBOX = frozenset({"run", "publish"})


def start(arguments: Sequence[str]) -> EarlyListing | None:
    """The child listing the inbox for `run` and `publish`, started before anything else of
    the command is imported (the `syndicate` script calls this first: __main__.py); None for
    the other commands."""
    if command_named(arguments) not in LISTS_INBOX:
        return None
    from syndicate import DEFAULT_CONFIG_NAME

    config_file = config_named(arguments) or DEFAULT_CONFIG_NAME
    return list_early(lambda: inbox_named_in(config_file))


def config_named(argv: Sequence[str]) -> str | None:
    """`--config`'s value (the last one, as argparse keeps it)."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--config" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--config="):
            found = arg.removeprefix("--config=")
    return found


def command_named(argv: Sequence[str]) -> str | None:
    """The first argument that is neither an option nor `--config`'s value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif arg == "--":
            return None
        elif not arg.startswith("-"):
            return arg
    return None


class EarlyListing:
    """A child listing the inbox: `listing()` waits for what it sent; `close()`."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd

    def listing(self, inbox: Path) -> tuple[Listing, int] | None:
        """The child's listing and when it was made (time.time_ns), waiting for it, if it
        listed `inbox`; None if it listed another folder or failed."""
        if self._fd < 0:
            return None
        from pathlib import Path

        from syndicate.inbox import Listing

        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            return None
        finally:
            self.close()
        data = b"".join(chunks)
        nul = data.find(b"\0")
        newline = data.find(b"\n", nul + 1)
        # The same folder as pathlib sees it ("inbox/" and "./inbox" are "inbox"): the child
        # names it without importing pathlib, the run through Config.path.
        if nul < 0 or newline < 0 or Path(os.fsdecode(data[:nul])) != inbox:
            return None
        try:
            listed_at, newest, names = (int(n) for n in data[nul + 1 : newline].split(b" "))
        except ValueError:
            return None
        wire = memoryview(data)[newline + 1 :]
        listing = Listing.from_wire(inbox, bytes(wire[:names]), bytes(wire[names:]), newest)
        return None if listing is None else (listing, listed_at)

    def close(self) -> None:
        """Stop the child if it is still at work, and reap it."""
        if self._fd < 0:
            return
        os.close(self._fd)
        self._fd = -1
        try:
            if os.waitpid(self._pid, os.WNOHANG) == (0, 0):
                import signal

                os.kill(self._pid, signal.SIGKILL)  # it holds nothing
                os.waitpid(self._pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def list_early(
    locate: Callable[[], str | Path | None], *, min_cpus: int = 2
) -> EarlyListing | None:
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


def _child(locate: Callable[[], str | Path | None], read_end: int, write_end: int) -> None:
    import gc
    import time

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
    from syndicate.listing import list_folder  # os and struct only: not inbox.py's imports

    listed_at = time.time_ns()
    _names, sources, stats, newest = list_folder(inbox)
    header = f"{listed_at} {newest} {len(sources)}\n".encode("ascii")
    data = memoryview(os.fsencode(inbox) + b"\0" + header + sources + stats)
    if len(data) > 1 << 16:  # more than a pipe holds: hold it all (Linux allows 1 MiB), so
        try:  # we need not wait for the parent to read, nor it for us to write again
            import fcntl

            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, min(len(data), 1 << 20))
        except (ImportError, AttributeError, OSError):
            pass
    while data:  # the parent may stop reading: BrokenPipeError ends us
        data = data[os.write(write_end, data) :]


def inbox_named_in(config_file: str | Path) -> str | None:
    """paths.inbox of a config file, resolved as Config.path resolves it (the config file's
    real folder, then the setting), read without validating the rest or importing the config
    model or pathlib: the child runs this before it can list, on the path every no-op run
    waits for. A guess, in that the run uses the listing only if its validated config names
    the same folder."""
    from syndicate import DEFAULT_INBOX

    try:
        with open(config_file, encoding="utf-8") as file:
            text = file.read()
        inbox = _plain_inbox_setting(text, DEFAULT_INBOX)
        if inbox is None:
            import tomllib

            inbox = tomllib.loads(text).get("paths", {}).get("inbox", DEFAULT_INBOX)
        if not isinstance(inbox, str):
            return None
        if os.path.isabs(inbox):
            return inbox
        return os.path.join(os.path.dirname(os.path.realpath(config_file)), inbox)
    except (OSError, ValueError, AttributeError):  # config.py will say what
        return None


def _plain_inbox_setting(text: str, default: str) -> str | None:
    """paths.inbox as tomllib reads it, from a config that spells its [paths] table plainly
    (`key = "value"` or `'value'` lines, no escapes; or no inbox at all: `default`); None
    when the file spells it any other way, and tomllib reads it then.

    Written by hand because importing tomllib (with `re`) costs the child ~10 ms before it
    can list, on the path a no-op run at 10,000 files waits for; the parent imports tomllib
    anyway. What it reads is checked: the run uses the listing only if its validated config
    names the same folder, so a wrong reading costs time, never a file."""
    if '"""' in text or "'''" in text:  # a multi-line string may hold any line
        return None
    table, inbox, seen_paths = "", default, False
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            if line.startswith("[[") and "paths" in line:
                return None  # [[paths]]: not a table tomllib gives an inbox from
            name = line.lstrip("[").partition("]")[0].strip()
            if "paths" in name and name != "paths" and not name.startswith("paths."):
                return None  # ["paths"], [ 'paths' ]…
            if name == "paths":
                if seen_paths:
                    return None
                seen_paths = True
            table = name
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if table == "" and "paths" in key:
            return None  # paths.inbox = …, paths = { … } at the top
        if table != "paths":
            continue
        quote = value.strip()[:1]
        if not equals or not key.replace("_", "").replace("-", "").isalnum() or not quote:
            return None
        value = value.strip()
        end = value.find(quote, 1)
        if quote not in "\"'" or end < 0 or (quote == '"' and "\\" in value[:end]):
            return None
        rest = value[end + 1 :].strip()
        if rest and rest[0] != "#":
            return None
        if key == "inbox":
            inbox = value[1:end]
    return inbox
