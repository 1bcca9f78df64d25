"""What each output file was last rendered from, so a run re-renders exactly the outputs
whose inputs changed (and heals any write that a failed run left undone)."""

from __future__ import annotations

from syndicate.store.db import Database


def render_keys(conn: Database) -> dict[str, str]:
    return {r["path"]: r["input_key"] for r in conn.execute("SELECT path, input_key FROM renders")}


def set_render_key(conn: Database, path: str, key: str) -> None:
    conn.execute(
        "INSERT INTO renders (path, input_key) VALUES (?, ?)"
        " ON CONFLICT (path) DO UPDATE SET input_key = excluded.input_key",
        (path, key),
    )


def forget_render_keys(conn: Database) -> None:
    """`syndicate rebuild`: everything counts as never rendered."""
    conn.execute("DELETE FROM renders")


def render_key(conn: Database, path: str) -> str | None:
    row = conn.execute("SELECT input_key FROM renders WHERE path = ?", (path,)).fetchone()
    return row["input_key"] if row else None
