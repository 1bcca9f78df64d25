"""Durable file output: a reader (web server, feed poller, mail client) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The templates that ship with syndicate: the fallback for any file missing from the user's
# templates folder (config.paths.templates), so a user can override one file, not all of them.
# In a checkout they are the top-level templates/; a wheel carries them as package data.
_PACKAGE = Path(__file__).resolve().parents[1]  # syndicate/
BUILTIN_TEMPLATES = next(
    (
        d
        for d in (_PACKAGE / "templates", _PACKAGE.parent / "templates")
        if (d / "labels.toml").is_file()
    ),
    _PACKAGE.parent / "templates",
)


def is_temp_name(name: str) -> bool:
    """A temp file of _write_temp's (`.NAME.XXXXXXXX.tmp`), which only a process killed
    between writing it and renaming it leaves behind."""
    return name.startswith(".") and name.endswith(".tmp")


@contextmanager
def naming(path: Path | str) -> Iterator[None]:
    """An OSError inside that names no file is raised again naming `path`.

    os.write, fsync, flush and close act on a descriptor: a full disk ("No space left on
    device"), a quota or an I/O error from them carries no file name, and a message without
    the path does not say which disk is full. Wrap every write whose path you know."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
        raise


def _write_temp(folder: Path, name: str, data: bytes, mode: int) -> Path:
    """A fully written, fsynced temp file in `folder` (same file system as its final name)."""
    with naming(folder / name):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Path(tmp)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> bool:
    """Write `data` to `path` via temp file + fsync + rename. Return False if already equal.

    Skipping identical content keeps mtimes (and so HTTP Last-Modified) stable across runs
    that change nothing.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path.parent, path.name, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return True


def link_durably(data: bytes, tmp_dir: Path, target: Path, *, mode: int = 0o600) -> bool:
    """Write `data` to a temp file in `tmp_dir`, fsync it, then link() it to `target`.

    link() never overwrites: if `target` already exists this returns False and leaves it
    alone. That is what makes Maildir and .eml delivery idempotent under a deterministic name.
    `tmp_dir` must be on the same file system as `target`.
    """
    tmp = _write_temp(tmp_dir, target.name, data, mode)
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return True


def fsync_dir(folder: Path) -> None:
    # A rename or link is only durable once the directory entry is on disk.
    with naming(folder):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
