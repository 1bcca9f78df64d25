"""The one door to the state database: connections, transactions, schema and migrations.

Decision: the store speaks plain DB-API (`sqlite3` from the standard library; psycopg 3
when `state.url` names PostgreSQL) with every statement written once, in the subset of SQL
both engines accept: `?` placeholders, `INSERT … ON CONFLICT`, `RETURNING`.
`Database.execute` rewrites `?` for drivers that want `%s`; nothing else is translated.
SQLAlchemy Core would do this for us, but importing it costs ~210 ms (measured on the
2-core developer machine; `python -c pass` is ~25 ms), twice the whole budget of a no-op
`syndicate run`; our SQL is small and portable, so the translation is one regex.
PostgreSQL did not change that: psycopg is imported only when the URL is PostgreSQL (SQLite
users never pay for it, nor need it installed), the DDL differences are two type words
(store/schema.py `schema_for`), and what only PostgreSQL has — `FOR UPDATE SKIP LOCKED`,
advisory locks, LISTEN/NOTIFY — is a clause or a function here, used where the dialect says.

PostgreSQL connections run in autocommit mode, like SQLite's `isolation_level=None`: every
statement outside `transaction()` commits by itself, and `transaction()` is an explicit
BEGIN … COMMIT on both. A `transaction()` inside another becomes a SAVEPOINT, so a dry run
can wrap a whole run in one transaction and roll it back. The password comes from
$SYNDICATE_STATE_PASSWORD (else libpq's own PGPASSWORD, ~/.pgpass or peer authentication),
never from the config file.

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

from syndicate.store.schema import LATEST_VERSION, MIGRATIONS, schema_for


class StateError(Exception):
    """The state database cannot be used as it is; the message names it and says what to do."""


class Database:
    """One connection to the state, SQLite or PostgreSQL, with the same SQL for both."""

    def __init__(self, raw: Any, dialect: str, where: str) -> None:
        self.raw = raw
        self.dialect = dialect  # "sqlite" or "postgresql"
        self.where = where  # the file or URL (without password), for messages
        self.depth = 0  # open transaction() blocks: nested ones are savepoints

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
    queue on the busy timeout instead of failing half-way with 'database is locked'.
    Inside another transaction it is a savepoint: rolled back alone, committed with the outer
    one."""
    if conn.depth:
        name = f"sp{conn.depth}"
        conn.execute(f"SAVEPOINT {name}")
        conn.depth += 1
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        finally:
            conn.depth -= 1
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE" if conn.dialect == "sqlite" else "BEGIN")
    conn.depth += 1
    try:
        yield conn
    except BaseException:
        conn.depth -= 1
        conn.execute("ROLLBACK")
        raise
    conn.depth -= 1
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


class Row:
    """A result row read by column name or by position, as sqlite3.Row is: the store's SQL
    is shared by both engines, and so is the code that reads its rows."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values, self._index = values, index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._index[key]]

    def keys(self) -> list[str]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._values)


def _row_like_sqlite(cursor: Any) -> Any:
    """psycopg row factory making `Row`s (one column index per result, shared by its rows)."""
    description = cursor.description or ()
    index = {column.name: i for i, column in enumerate(description)}
    return lambda values: Row(values, index)


def open_postgresql(url: str, password: str = "") -> Database:
    """Connect to (creating or checking the schema of) the PostgreSQL state at `url`.
    psycopg is imported here only: SQLite users neither load nor need it."""
    where = _without_password(url)
    try:
        import psycopg
    except ImportError:
        raise StateError(
            f"state.url is {where} but the PostgreSQL driver is not installed:"
            " pip install 'syndicate[postgresql]' (psycopg 3)"
        ) from None
    try:
        raw = psycopg.connect(
            url,
            autocommit=True,
            row_factory=_row_like_sqlite,
            connect_timeout=10,
            application_name="syndicate",
            **({"password": password} if password else {}),
        )
    except psycopg.Error as exc:
        detail = " ".join(str(exc).split())
        raise StateError(
            f"{where}: cannot connect to the PostgreSQL state ({detail}); check state.url,"
            " that the server runs, and $SYNDICATE_STATE_PASSWORD"
        ) from None
    conn = Database(raw, "postgresql", where)
    try:
        _prepare(conn)
    except psycopg.Error as exc:
        raw.close()
        raise StateError(f"{where}: not a usable syndicate state ({exc})") from None
    except BaseException:
        raw.close()
        raise
    return conn


def connect(url: str, path: Path) -> Database:
    """The state: PostgreSQL when `url` is set (config `state.url`), else SQLite at `path`."""
    if url:
        import os

        return open_postgresql(url, os.environ.get("SYNDICATE_STATE_PASSWORD", ""))
    return open_store(path)


def _without_password(url: str) -> str:
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1@", url)


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
        if not sqlite:
            # Two processes starting on an empty database: one creates, the other waits and
            # then finds the tables there.
            conn.execute("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), 0)", (_LOCK_SPACE,))
            version = schema_version(conn)
            if version == LATEST_VERSION:
                return
            if version:
                raise StateError(
                    f"{conn.where}: schema {version} in PostgreSQL, which starts at"
                    f" {LATEST_VERSION}; restore it into a new database"
                )
        if version == 0:
            for statement in _statements(schema_for(conn.dialect)):
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


# ---------------------------------------------------------------- identity and generation
# The state's identity (state_id) and its generation (bumped by every run or command that
# publishes or sends) are what outputs are stamped with: see syndicate/state.py.


def generation(conn: Database) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row["value"]) if row else 0


def bump_generation(conn: Database) -> int:
    """Add one to the generation, committed, and return the new value (atomic on both
    engines: concurrent workers each get their own number)."""
    row = conn.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key)"
        " DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT) RETURNING value"
    ).fetchone()
    return int(row["value"])


def set_identity(conn: Database, new_state_id: str, at_least_generation: int) -> None:
    """`state adopt`: take on the identity of the outputs' stamp, and a generation no lower
    than theirs."""
    with transaction(conn):
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'state_id'",
            (new_state_id,),
        )
        if generation(conn) < at_least_generation:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('generation', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value",
                (str(at_least_generation),),
            )


def is_empty(conn: Database) -> bool:
    """True for a state that has never recorded an article, a digest or a run."""
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM digests)"
        " + (SELECT COUNT(*) FROM runs) AS n"
    ).fetchone()
    return row["n"] == 0


# ---------------------------------------------------------------- PostgreSQL only
# Advisory locks are keyed by two int4: _LOCK_SPACE, then what is locked.

_LOCK_SPACE = 0x53594E44  # "SYND"
RUN_LOCK = 1


def try_advisory_lock(conn: Database, key: int) -> bool:
    """Take the session-level advisory lock `key`; False if another session holds it. The
    server releases it when this connection ends, however the process ends."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(CAST(? AS INTEGER), CAST(? AS INTEGER)) AS got",
        (_LOCK_SPACE, key),
    ).fetchone()
    return bool(row["got"])


def advisory_unlock(conn: Database, key: int) -> None:
    """Release it now (closing the connection does too, but the server notices that a
    moment later)."""
    conn.execute(
        "SELECT pg_advisory_unlock(CAST(? AS INTEGER), CAST(? AS INTEGER))", (_LOCK_SPACE, key)
    )


def advisory_lock_held(conn: Database, key: int) -> bool:
    """Is advisory lock `key` held by any session on this database (without taking it)?"""
    row = conn.execute(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND CAST(classid AS BIGINT) = ? AND CAST(objid AS BIGINT) = ? AND objsubid = 2",
        (_LOCK_SPACE, key),
    ).fetchone()
    return row["n"] > 0


QUEUE_CHANNEL = "syndicate_queue"


def notify_queued(conn: Database) -> None:
    """Wake `syndicate deliver --follow` workers: deliveries were queued."""
    if conn.dialect == "postgresql":
        conn.execute(f"NOTIFY {QUEUE_CHANNEL}")


def listen_queued(conn: Database) -> None:
    conn.execute(f"LISTEN {QUEUE_CHANNEL}")


def wait_for_notify(conn: Database, timeout: float) -> bool:
    """Block up to `timeout` seconds for a NOTIFY on a connection that LISTENs; True if one
    came."""
    for _note in conn.raw.notifies(timeout=timeout, stop_after=1):
        return True
    return False
