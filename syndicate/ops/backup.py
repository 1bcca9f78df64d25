"""`syndicate state backup` and `state restore` for a SQLite state.

A backup is made with SQLite's online backup API: a consistent copy while `serve` runs,
which writes nothing to the live state, checked (`quick_check`) before it is put in place,
mode 0600 (it holds subscribers' addresses). A restore copies a backup into place under the
run lock and removes the old state's `-wal`/`-shm` files, which SQLite would otherwise
replay into it; `state restore` then adopts what the outputs show since the backup
(ops/adopt.py). A PostgreSQL state is backed up and restored with the server's own tools.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from syndicate.config import Config
from syndicate.core.files import fsync_dir, naming
from syndicate.run.lock import run_lock
from syndicate.store.connection import state_where
from syndicate.store.db import StateError, is_empty
from syndicate.store.sqlite import open_store


def backup(config: Config, target: Path) -> Path:
    """A consistent copy of the SQLite state at `target` (a file, or a folder to put a dated
    file in), made with SQLite's online backup API: safe while `serve` runs. Returns it."""
    if config.state.url:
        raise StateError(
            f"the state is in PostgreSQL ({state_where(config)}): back it up with the server's"
            " tools, e.g. `pg_dump --format=custom`, or continuous archiving (README: Backups)"
        )
    if not config.db_path.exists():
        raise StateError(f"{config.db_path}: no state to back up yet")
    if target.is_dir():
        target = target / f"syndicate-{datetime.now(config.site.tz):%Y%m%dT%H%M%S}.db"
    if target.resolve() == config.db_path.resolve():
        raise StateError(f"{target}: that is the state itself; back it up elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    source = open_store(config.db_path)  # also refuses a damaged or newer state
    try:
        dest = sqlite3.connect(partial)
        try:
            source.raw.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            ok = dest.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.OperationalError as exc:  # a full disk, the folder not writable
            raise StateError(f"{target}: cannot write the backup ({exc})") from None
        finally:
            dest.close()
        if ok != "ok":
            raise StateError(f"{config.db_path}: the copy failed its check ({ok})")
        with naming(target):
            os.chmod(partial, 0o600)  # subscribers' addresses: personal data
            with open(partial, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, target)
        fsync_dir(target.parent)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return target


def restore(config: Config, source: Path) -> None:
    """Put a backup in place of the SQLite state (under the run lock). The stale -wal and
    -shm files of the state it replaces go too: SQLite would otherwise replay them into the
    restored file."""
    if config.state.url:
        raise StateError(
            f"the state is in PostgreSQL ({state_where(config)}): restore it with pg_restore"
            " into an empty database, then run `syndicate state adopt`"
        )
    check_conn = open_store(source)  # a damaged or newer file is refused here
    try:
        if is_empty(check_conn):
            raise StateError(f"{source}: an empty state; not a backup to restore")
    finally:
        check_conn.close()
    with run_lock(config):
        db = config.db_path
        db.parent.mkdir(parents=True, exist_ok=True)
        partial = db.with_name(f".{db.name}.restore.tmp")
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        dest = sqlite3.connect(partial)
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError as exc:  # a full disk, the folder not writable
            raise StateError(f"{partial}: cannot write the restored state ({exc})") from None
        finally:
            src.close()
            dest.close()
        os.chmod(partial, 0o600)
        for suffix in ("-wal", "-shm", "-journal"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        os.replace(partial, db)
        fsync_dir(db.parent)
