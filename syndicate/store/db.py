"""The one door to the state database: connections, transactions, schema and migrations.

Decision: the store speaks plain DB-API (`sqlite3` from the standard library; psycopg 3
when `state.url` names PostgreSQL) with every statement written once, in the subset of SQL
both engines accept: `?` placeholders, `INSERT … ON CONFLICT`, `RETURNING`.
`Database.execute` rewrites `?` for drivers that want `%s`; nothing else is translated.
Why not SQLAlchemy Core: what the delivery promises rest on is below its abstraction —
SQLite's `BEGIN IMMEDIATE` (the write lock taken at BEGIN, which the last-moment check of
the delivery engine holds), `synchronous_commit` per transaction — and each would be an
event hook around its own transaction handling. Our SQL is small and portable, so the
translation is one regex. PostgreSQL did not change that: psycopg is imported only when the URL is
PostgreSQL (SQLite users never need it installed), the DDL differences are two type words
(store/schema.py `schema_for`), and what only PostgreSQL has — `FOR UPDATE SKIP LOCKED`,
advisory locks, LISTEN/NOTIFY — is a clause or a function here, used where the dialect says.

PostgreSQL connections run in autocommit mode, like SQLite's `isolation_level=None`: every
statement outside `transaction()` commits by itself, and `transaction()` is an explicit
BEGIN … COMMIT on both. A `transaction()` inside another becomes a SAVEPOINT, so a dry run
can wrap a whole run in one transaction and roll it back. Connecting to PostgreSQL, its
advisory locks and LISTEN/NOTIFY are in store/postgresql.py.

Schema versions live in the `meta` table (and SQLite's `user_version`, which is how the
first schema, before `meta` existed, is recognised). A newer syndicate upgrades an older
state in one transaction on first use; an older syndicate refuses a newer state instead of
writing rows it does not understand.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from syndicate.store.schema import (
    FIRST_POSTGRESQL_VERSION,
    LATEST_VERSION,
    MIGRATIONS,
    in_words,
    schema_for,
)


class StateError(Exception):
    """The state database cannot be used as it is; the message names it and says what to do."""


class Database:
    """One connection to the state, SQLite or PostgreSQL, with the same SQL for both."""

    def __init__(self, raw: Any, dialect: str, where: str) -> None:
        self.raw = raw
        self.dialect = dialect  # "sqlite" or "postgresql"
        self.where = where  # the file or URL (without password), for messages
        self.depth = 0  # open transaction() blocks: nested ones are savepoints
        self.relaxed = False  # inside queue.relaxed_commits: commits do not wait for the disk

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
            if _still_open(conn):
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
        if _still_open(conn):
            conn.execute("ROLLBACK")
        raise
    conn.depth -= 1
    conn.execute("COMMIT")


def _still_open(conn: Database) -> bool:
    """False when SQLite already rolled the whole transaction back by itself, as it does
    after a full disk or an I/O error: a ROLLBACK would then fail with "no transaction is
    active" and hide the error that matters."""
    return conn.dialect != "sqlite" or conn.raw.in_transaction


# Values asked for at once in `WHERE column IN (…)`: far below SQLite's and PostgreSQL's
# limits on parameters, and many fewer round trips than one query per value.
_CHUNK = 500


def rows_in(conn: Database, sql: str, column: str, values: Collection[str] | None) -> list:
    """`sql` (ending in WHERE) for the rows whose `column` is one of `values`; every row
    (the WHERE dropped) for None."""
    if values is None:
        return conn.execute(sql.removesuffix(" WHERE")).fetchall()
    wanted, rows = list(values), []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows += conn.execute(f"{sql} {column} IN ({marks})", chunk).fetchall()
    return rows


def like_escaped(text: str) -> str:
    """`text` matched literally inside a LIKE pattern with ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def to_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def new_token() -> str:
    """A random token for a subscriber's links (secrets.token_urlsafe: 192 bits)."""
    return secrets.token_urlsafe(24)


def new_secret(size: int) -> str:
    """`size` random bytes in hex."""
    return secrets.token_hex(size)


# PostgreSQL advisory locks are keyed by two int4: LOCK_SPACE, then what is locked (0: the
# schema, below; the others in store/postgresql.py).
LOCK_SPACE = 0x53594E44  # "SYND"


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


def prepare(conn: Database) -> None:
    """Create the schema in an empty state, or upgrade an older one (one transaction); refuse
    a newer one."""
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
        # Two processes starting on an empty state (the service's first publish and its
        # resumer): one creates, the other waits for the lock (SQLite's write lock, taken by
        # BEGIN IMMEDIATE; an advisory lock on PostgreSQL), then finds the tables there.
        if not sqlite:
            conn.execute("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), 0)", (LOCK_SPACE,))
        version = schema_version(conn)
        if version == LATEST_VERSION:
            return
        if not sqlite and version and version < FIRST_POSTGRESQL_VERSION:
            raise StateError(
                f"{conn.where}: schema {version} in PostgreSQL, which starts at"
                f" {FIRST_POSTGRESQL_VERSION}; restore it into a new database"
            )
        if version == 0:
            for statement in _statements(schema_for(conn.dialect)):
                conn.execute(statement)
        else:
            for target, script in MIGRATIONS:
                if target > version:
                    if isinstance(script, dict):  # one script per dialect (schema.py says why)
                        script = script[conn.dialect]
                    for statement in _statements(in_words(script, conn.dialect)):
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
# publishes or sends) are what outputs are stamped with: see run/guard.py.


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
