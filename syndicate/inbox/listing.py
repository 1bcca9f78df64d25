"""Listing the inbox: every candidate file's name and stat, in one pass, as bytes.

Every run stats every inbox file (an edit in place changes nothing else), so listing the
inbox costs what the system calls cost and nothing that grows faster: `os.scandir` (names
and types in one call per folder), one `stat` per file, each stat's numbers packed into
bytes at once (the listing's key is a hash of those bytes), no object kept per file, no
sorting (the folders' own order, stable while a folder is unchanged). The files, sidecars
and signatures a run works with are made from these bytes in sources.py, and only for the
files that changed.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

# Names editors, rsync, browsers and publishers' tools use while a file is still being written:
# .name, ~$name (Office), #name# (Emacs), name~, and these suffixes. Plain string tests, not a
# regular expression: they run for every inbox file on every run.
TEMPORARY_SUFFIXES = frozenset({"tmp", "temp", "part", "partial", "crdownload", "swp", "swx"})

# A file's stat as a listing holds it: size, mtime and ctime (signed), inode and device.
PACKED = struct.Struct("qqqQQ")
GONE = PACKED.pack(-1, 0, 0, 0, 0)  # vanished while listed: no file has size -1

_BY_FD = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def is_temporary_name(name: str) -> bool:
    if not name or name[0] == "." or name[-1] == "~" or name.startswith("~$"):
        return True
    if name[0] == "#" and name[-1] == "#" and len(name) > 1:
        return True
    _stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.lower() in TEMPORARY_SUFFIXES


def list_folder(inbox: str | os.PathLike[str]) -> tuple[list[str], bytes, bytes, int]:
    """Every candidate file under `inbox` (hidden folders skipped): the sources (relative,
    forward slashes), as a list and as the listing's bytes (joined by NULs, which no name
    has), their stats packed in the same order, and the newest mtime in ns."""
    names: list[str] = []
    packed: list[bytes] = []
    newest = 0
    folders = [(os.fspath(inbox), "")]
    while folders:
        folder, prefix = folders.pop()
        newest = max(newest, _list_one_folder(folder, prefix, names, packed, folders))
    sources = "\0".join(names).encode("utf-8", "surrogateescape")
    return names, sources, b"".join(packed), newest


def _list_one_folder(
    folder: str,
    prefix: str,
    names: list[str],
    packed: list[bytes],
    folders: list[tuple[str, str]],
) -> int:
    """`folder`'s candidate files onto `names` and `packed`, its sub-folders onto `folders`;
    the newest mtime among its files (0 for none, or for a folder that is gone)."""
    # Listed through a descriptor where the system allows: each entry's stat is then an
    # fstatat of its bare name, not a walk of the folder's whole path.
    fd = -1
    try:
        if _BY_FD:
            fd = os.open(folder, _DIRECTORY)
        with os.scandir(fd if fd >= 0 else folder) as entries:
            return _take(entries, folder, prefix, names, packed, folders)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return 0
    finally:
        if fd >= 0:
            os.close(fd)


def _take(
    entries: Iterator[os.DirEntry[str]],
    folder: str,
    prefix: str,
    names: list[str],
    packed: list[bytes],
    folders: list[tuple[str, str]],
) -> int:
    newest = 0
    pack, suffixes = PACKED.pack, TEMPORARY_SUFFIXES
    for entry in entries:
        name = entry.name
        try:
            if not entry.is_file(follow_symlinks=False):
                if entry.is_dir(follow_symlinks=False):
                    if name[0] != ".":
                        folders.append((f"{folder}{os.sep}{name}", f"{prefix}{name}/"))
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
            packed.append(GONE)
            continue
        mtime = st.st_mtime_ns
        try:
            packed.append(pack(st.st_size, mtime, st.st_ctime_ns, st.st_ino, st.st_dev))
        except struct.error:  # a time past 2262, a number past 2**64: keep its place
            numbers = wrapped(st)
            packed.append(pack(*numbers))
            mtime = numbers[1]
        if mtime > newest:
            newest = mtime
    return newest


def wrapped(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """A stat whose numbers do not fit PACKED's fields, wrapped into them: the listing still
    changes when the file does, and the run re-reads such a file rather than miss an edit."""
    signed, unsigned = 1 << 63, 1 << 64
    return (
        st.st_size % signed,
        (st.st_mtime_ns + signed) % unsigned - signed,
        (st.st_ctime_ns + signed) % unsigned - signed,
        st.st_ino % unsigned,
        st.st_dev % unsigned,
    )
