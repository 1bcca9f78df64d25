"""Opening the state a command works on: the database the config names, or for a dry run a
scratch copy that is thrown away afterwards (PostgreSQL: one transaction, rolled back), so a
dry run reports what a run would do and changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syndicate.config import Config
from syndicate.run.guard import check_missing
from syndicate.store.connection import open_db
from syndicate.store.db import Database
from syndicate.store.sqlite import open_store


@contextmanager
def open_state(config: Config, *, dry_run: bool = False) -> Iterator[Database]:
    """The state database; for a dry run, a scratch copy that is thrown away afterwards
    (PostgreSQL: one transaction, rolled back). A missing SQLite state beside outputs that
    show there was one is refused (guard.StateMismatch) rather than created afresh."""
    check_missing(config)
    if not dry_run or config.state.url:
        conn = open_db(config)
        try:
            if dry_run:
                conn.execute("BEGIN")
                conn.depth = 1
            yield conn
        finally:
            if dry_run:
                conn.execute("ROLLBACK")
            conn.close()
        return
    scratch = Path(tempfile.mkdtemp(prefix="syndicate-dry-run-"))
    try:
        copy = scratch / "syndicate.db"
        if config.db_path.exists():
            _copy_read_only(config.db_path, copy)
        conn = open_store(copy)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _copy_read_only(source: Path, target: Path) -> None:
    # Without a -wal file nobody has the database open: read it as immutable, which creates
    # no -shm/-wal files next to it. Otherwise a plain read-only connection (the files exist).
    wal = source.with_name(source.name + "-wal")
    flags = "mode=ro" if wal.exists() else "immutable=1"
    src = sqlite3.connect(f"{source.resolve().as_uri()}?{flags}", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
