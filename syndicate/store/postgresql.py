"""The state in PostgreSQL (`state.url`): connecting, and what only PostgreSQL has —
advisory locks and LISTEN/NOTIFY. The `Database` adapter, transactions and the schema are
shared with SQLite (store/db.py).

psycopg is imported only in `open_postgresql`: SQLite users neither load nor need it.
Connections run in autocommit mode, like SQLite's `isolation_level=None` (see store/db.py).
The password comes from $SYNDICATE_STATE_PASSWORD (else libpq's own PGPASSWORD, ~/.pgpass or
peer authentication), never from the config file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from syndicate.store.db import LOCK_SPACE, Database, StateError, prepare

# ---------------------------------------------------------------- connecting


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
    where = url_without_password(url)
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
        prepare(conn)
    except psycopg.Error as exc:
        raw.close()
        raise StateError(f"{where}: not a usable syndicate state ({exc})") from None
    except BaseException:
        raw.close()
        raise
    return conn


def url_without_password(url: str) -> str:
    """The URL as messages may show it: any password taken out."""
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1@", url)


# ---------------------------------------------------------------- advisory locks
# Keyed by two int4: LOCK_SPACE (store/db.py: the schema lock uses it too), then what is locked.

RUN_LOCK = 1


def try_advisory_lock(conn: Database, key: int) -> bool:
    """Take the session-level advisory lock `key`; False if another session holds it. The
    server releases it when this connection ends, however the process ends."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(CAST(? AS INTEGER), CAST(? AS INTEGER)) AS got",
        (LOCK_SPACE, key),
    ).fetchone()
    return bool(row["got"])


def advisory_unlock(conn: Database, key: int) -> None:
    """Release it now (closing the connection does too, but the server notices that a
    moment later)."""
    conn.execute(
        "SELECT pg_advisory_unlock(CAST(? AS INTEGER), CAST(? AS INTEGER))", (LOCK_SPACE, key)
    )


def advisory_lock_held(conn: Database, key: int) -> bool:
    """Is advisory lock `key` held by any session on this database (without taking it)?"""
    row = conn.execute(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND CAST(classid AS BIGINT) = ? AND CAST(objid AS BIGINT) = ? AND objsubid = 2",
        (LOCK_SPACE, key),
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
