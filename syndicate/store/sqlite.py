"""The state in SQLite (the default): one file in `paths.state`, in WAL mode (readers never
wait for the writer), with synchronous=FULL (a committed transaction survives a power cut;
the delivery engine relaxes that for its own outcome records, store/deliveries.py), and a
30 s busy timeout so that two writers queue instead of failing with "database is locked".
The `Database` adapter, transactions and the schema are shared with PostgreSQL (db.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syndicate.store.db import Database, StateError, prepare

_IO_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")


def is_io_error(exc: sqlite3.Error) -> bool:
    """SQLite could not read or write its file (full disk, permissions, I/O), as opposed to
    a file that is not a usable database."""
    return str(getattr(exc, "sqlite_errorname", "")).startswith(_IO_ERRORS)


def open_store(path: Path) -> Database:
    """Open (creating or upgrading) the SQLite state at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread off: the delivery engine's connections (threads) share the state's
    # connection under one lock of their own (delivery/engine.py); nothing else shares one.
    raw = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    conn = Database(raw, "sqlite", str(path))
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")  # delivery state must survive power loss
        prepare(conn)
        raw.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raw.close()
        if is_io_error(exc):  # a full disk is not a damaged file: nothing to restore
            raise StateError(
                f"{path}: cannot write the state database ({exc}); check the free space and"
                f" permissions of {path.parent}"
            ) from None
        raise StateError(
            f"{path}: not a usable syndicate state database ({exc}); restore it from a backup"
            " (`syndicate state backup`) or move it away"
        ) from None
    except BaseException:
        raw.close()
        raise
    return conn
