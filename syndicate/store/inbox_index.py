"""What the store remembers of the inbox: each file's stat signature with its content hash
(git's index, see inbox/sources.py), and small facts kept in `meta`."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from syndicate.store.articles import StoredFile
from syndicate.store.db import Database, rows_in, transaction


def _rows_of(conn: Database, sql: str, sources: Collection[str] | None) -> list:
    """`sql` (ending in WHERE) for every row, or only those of `sources`."""
    return rows_in(conn, sql, "source", sources)


def inbox_index(
    conn: Database, sources: Collection[str] | None = None
) -> dict[str, tuple[str, str]]:
    """source → (signature, file hash) as last seen (of `sources` only, if given)."""
    rows = _rows_of(conn, "SELECT source, signature, file_hash FROM inbox_index WHERE", sources)
    return {r["source"]: (r["signature"], r["file_hash"]) for r in rows}


def update_inbox_index(
    conn: Database, changed: dict[str, tuple[str, str]], gone: Iterable[str] = ()
) -> None:
    """Record new signatures (source → (signature, hash)) and forget files that are gone."""
    gone = list(gone)
    if not changed and not gone:
        return
    with transaction(conn):
        conn.executemany(
            "INSERT INTO inbox_index (source, signature, file_hash) VALUES (?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET signature = excluded.signature,"
            " file_hash = excluded.file_hash",
            [(source, sig, file_hash) for source, (sig, file_hash) in changed.items()],
        )
        conn.executemany("DELETE FROM inbox_index WHERE source = ?", [(s,) for s in gone])


def stored_files(conn: Database, sources: Collection[str] | None = None) -> dict[str, StoredFile]:
    """`stored_file` for every known inbox file (of `sources` only, if given)."""
    found = {
        r["source"]: StoredFile(None, r["file_hash"], r["reason"])
        for r in _rows_of(conn, "SELECT source, file_hash, reason FROM rejections WHERE", sources)
    }
    for r in _rows_of(conn, "SELECT id, source, file_hash FROM articles WHERE", sources):
        found[r["source"]] = StoredFile(r["id"], r["file_hash"], None)
    return found


def meta_value(conn: Database, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def set_meta_value(conn: Database, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        return
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
