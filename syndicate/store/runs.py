"""Runs: what each run did, for `status` and the service's health page."""

from __future__ import annotations

import json
from datetime import datetime

from syndicate.store.db import Database, iso


def start_run(conn: Database, trigger: str, now: datetime, admin: str | None = None) -> int:
    """A new run's row, and its id; `admin`: the console account that started it."""
    row = conn.execute(
        "INSERT INTO runs (started, trigger, admin) VALUES (?, ?, ?) RETURNING id",
        (iso(now), trigger, admin),
    ).fetchone()
    return int(row["id"])


def finish_run(
    conn: Database, run_id: int, now: datetime, summary: dict, details: dict | None = None
) -> None:
    conn.execute(
        "UPDATE runs SET finished = ?, summary = ?, details = ? WHERE id = ?",
        (
            iso(now),
            json.dumps(summary, ensure_ascii=False, sort_keys=True),
            json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
            run_id,
        ),
    )


_COLUMNS = "SELECT id, started, finished, trigger, summary, details, admin FROM runs"


def recent_runs(conn: Database, limit: int = 5, *, before: int | None = None) -> list[dict]:
    """The newest runs first; `before`: only those with a lower id (the next page)."""
    if before is None:
        rows = conn.execute(f"{_COLUMNS} ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    else:
        rows = conn.execute(
            f"{_COLUMNS} WHERE id < ? ORDER BY id DESC LIMIT ?", (before, limit)
        ).fetchall()
    return [_run(r) for r in rows]


def get_run(conn: Database, run_id: int) -> dict | None:
    """One run by its id (as `recent_runs` gives it), or None."""
    row = conn.execute(f"{_COLUMNS} WHERE id = ?", (run_id,)).fetchone()
    return _run(row) if row else None


def _run(r) -> dict:
    return {
        "id": r["id"],
        "started": r["started"],
        "finished": r["finished"],
        "trigger": r["trigger"],
        "summary": json.loads(r["summary"]) if r["summary"] else None,
        "details": json.loads(r["details"]) if r["details"] else {},
        "admin": r["admin"],
    }
