"""Durable-write floors for Maildir delivery, in plain Python: what writing N messages to
`new/` costs when each must be on disk before it counts as delivered.

    python -m bench.floors MODE MAILDIR COUNT PAYLOAD      (prints one JSON line)

Modes (all write tmp/ then link() into new/ under a unique name, as Maildir requires):
- serial:   per file write, fsync, link, fsync new/ (what syndicate's link_durably does);
- threads8: the same per file, 8 threads at once (the disk merges concurrent flushes);
- syncfs:   per batch of 2,000: write all, one syncfs() of the file system, link all, one
            fsync of new/ (the cost of durability shared by the batch).
syncfs(2) has no os.* wrapper; it is called through ctypes (libc), falling back to os.sync().
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BATCH = 2000


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes, *, sync: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _one_durably(maildir: Path, i: int, data: bytes) -> None:
    tmp = maildir / "tmp" / f"m{i}"
    _write(tmp, data, sync=True)
    os.link(tmp, maildir / "new" / f"m{i}")
    os.unlink(tmp)
    _fsync_dir(maildir / "new")


def serial(maildir: Path, count: int, data: bytes) -> None:
    for i in range(count):
        _one_durably(maildir, i, data)


def threads8(maildir: Path, count: int, data: bytes) -> None:
    with ThreadPoolExecutor(8) as pool:
        for _ in pool.map(lambda i: _one_durably(maildir, i, data), range(count)):
            pass


def _syncfs_call(folder: Path):
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if not hasattr(libc, "syncfs"):
        return os.sync
    fd = os.open(folder, os.O_RDONLY)

    def call() -> None:
        if libc.syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")

    return call


def syncfs(maildir: Path, count: int, data: bytes) -> None:
    sync = _syncfs_call(maildir)
    for start in range(0, count, BATCH):
        batch = range(start, min(count, start + BATCH))
        for i in batch:
            _write(maildir / "tmp" / f"m{i}", data, sync=False)
        sync()
        for i in batch:
            os.link(maildir / "tmp" / f"m{i}", maildir / "new" / f"m{i}")
        _fsync_dir(maildir / "new")
        for i in batch:
            os.unlink(maildir / "tmp" / f"m{i}")


MODES = {"serial": serial, "threads8": threads8, "syncfs": syncfs}


def main() -> None:
    mode, folder, count, payload = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    data = Path(payload).read_bytes()
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    MODES[mode](folder, count, data)
    seconds = time.perf_counter() - start
    written = len(os.listdir(folder / "new"))
    print(json.dumps({"seconds": seconds, "count": written}))


if __name__ == "__main__":
    main()
