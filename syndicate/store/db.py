"""The one door to the state database: connections, transactions, schema and migrations.

Decision: the store speaks plain DB-API (`sqlite3` from the standard library; the
PostgreSQL driver when `state.url` names one) with every statement written once, in the
subset of SQL both engines accept: `?` placeholders, `INSERT … ON CONFLICT`, `RETURNING`.
`Database.execute` rewrites `?` for drivers that want `%s`; nothing else is translated.
SQLAlchemy Core would do this for us, but importing it costs ~210 ms (measured on the
2-core developer machine; `python -c pass` is ~25 ms), twice the whole budget of a no-op
`syndicate run`; our SQL is small and portable, so the translation is one regex.

Schema versions live in the `meta` table (and SQLite's `user_version`, which is how the
first schema, before `meta` existed, is recognised). A newer syndicate upgrades an older
state in one transaction on first use; an older syndicate refuses a newer state instead of
writing rows it does not understand.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from syndicate.store.schema import LATEST_VERSION, MIGRATIONS, SCHEMA


class StateError(Exception):
    """The state database cannot be used as it is; the message names it and says what to do."""


class Database:
    """One connection to the state, SQLite or PostgreSQL, with the same SQL for both."""

    def __init__(self, raw: Any, dialect: str, where: str) -> None:
        self.raw = raw
        self.dialect = dialect  # "sqlite" or "postgresql"
        self.where = where  # the file or URL (without password), for messages

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        if self.dialect == "sqlite":
            return self.raw.executemany(sql, rows)
        with self.raw.cursor() as cur:
            cur.executemany(self._sql(sql), rows)
            return cur

    def _sql(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        return _QMARK.sub("%s", sql.replace("%", "%%"))

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_QMARK = re.compile(r"\?")


@contextmanager
def transaction(conn: Database) -> Iterator[Database]:
    """A write transaction. SQLite takes the write lock at BEGIN (IMMEDIATE) so two writers
    queue on the busy timeout instead of failing half-way with 'database is locked'."""
    conn.execute("BEGIN IMMEDIATE" if conn.dialect == "sqlite" else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def to_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- opening


def open_store(path: Path) -> Database:
    """Open (creating or upgrading) the SQLite state at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path, isolation_level=None, timeout=30)
    raw.row_factory = sqlite3.Row
    conn = Database(raw, "sqlite", str(path))
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")  # delivery state must survive power loss
        _prepare(conn)
        raw.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raw.close()
        raise StateError(
            f"{path}: not a usable syndicate state database ({exc}); restore it from a backup"
            " (`syndicate state backup`) or move it away"
        ) from None
    except BaseException:
        raw.close()
        raise
    return conn


def schema_version(conn: Database) -> int:
    """The schema the state was written with; 0 for an empty database."""
    tables = _tables(conn)
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row["value"]) if row else 0
    if "articles" in tables:  # schema 1 predates the meta table
        return 1
    return 0


def _tables(conn: Database) -> set[str]:
    if conn.dialect == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = conn.execute(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema()"
        )
    return {r["name"] for r in rows}


def _prepare(conn: Database) -> None:
    version = schema_version(conn)
    if version > LATEST_VERSION:
        raise StateError(
            f"{conn.where}: this state was written by a newer syndicate (schema {version},"
            f" this one knows up to {LATEST_VERSION}); upgrade syndicate, or restore a backup"
            " made by this version"
        )
    if version == LATEST_VERSION:
        return
    sqlite = conn.dialect == "sqlite"
    if sqlite:  # upgrades rebuild tables that others reference; checked again after
        conn.execute("PRAGMA foreign_keys=OFF")
    with transaction(conn):
        if version == 0:
            for statement in _statements(SCHEMA):
                conn.execute(statement)
        else:
            for target, script in MIGRATIONS:
                if target > version:
                    for statement in _statements(script):
                        conn.execute(statement)
        # The state's identity: outputs are stamped with it, so a run can tell its own
        # outputs from those of a lost or replaced state.
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('state_id', ?) ON CONFLICT (key) DO NOTHING",
            (os.urandom(16).hex(),),
        )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(LATEST_VERSION),),
        )
        if sqlite:
            conn.execute(f"PRAGMA user_version={LATEST_VERSION}")


def _statements(script: str) -> list[str]:
    # Our own DDL: no semicolons inside literals, so a split is enough (executescript would
    # COMMIT the surrounding transaction, which must stay one).
    stripped = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in stripped.split(";") if s.strip()]


def state_id(conn: Database) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'state_id'").fetchone()
    return row["value"] if row else ""
