"""The runs the API shows (GET /api/runs/<id>): one started over HTTP as the service keeps
it while it goes (`Job`), any other from the runs table (`recorded_run`). One id for all
of them, the runs table's, as the CLI and `status` show it (issue #20)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from syndicate.config import Config
from syndicate.run import pipeline
from syndicate.run.lock import run_lock_held
from syndicate.store.connection import has_state, open_db
from syndicate.store.runs import get_run


@dataclass
class Job:
    """One HTTP-triggered run, as GET /api/runs/<id> shows it. Its id is its row in the runs
    table (pipeline.run's `on_start`): the id the CLI, `status` and /api/status show."""

    digest: str
    started: str
    id: int | None = None
    state: str = "running"  # running → finished | failed | refused
    finished: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    digest_note: str = ""  # why there was no digest, or when the next is due (as the CLI says)
    notes: list[str] = field(default_factory=list)
    has_id: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "digest": self.digest,
            "started": self.started,
            "finished": self.finished,
            "counts": self.counts,
            "digest_note": self.digest_note,
            "errors": self.errors,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def recorded_run(config: Config, run_id: int) -> dict[str, Any] | None:
    """A run from the runs table, in the shape of `Job.as_dict` (and its trigger), or None:
    a run of the CLI, of the schedule, or one of the API's from before a restart."""
    if not has_state(config):
        return None
    conn = open_db(config)
    try:
        run = get_run(conn, run_id)
    finally:
        conn.close()
    if run is None:
        return None
    details = run.get("details") or {}
    if run["finished"]:
        current = "finished"
    else:  # still going in another process, or ended by a crash or a kill
        current = "running" if run_lock_held(config) else "interrupted"
    return {
        "id": run["id"],
        "state": current,
        "digest": _mode_of(run["trigger"]),
        "trigger": run["trigger"],
        "started": run["started"],
        "finished": run["finished"],
        "counts": run["summary"] or {},
        "digest_note": " ".join(details.get("digest_note", [])),
        "errors": details.get("failed", []) + details.get("rejected", []),
        "warnings": details.get("warnings", []),
        "notes": details.get("notes", []),
    }


def _mode_of(trigger: str) -> str | None:
    """The digest mode a run was started with, as far as its trigger tells."""
    if trigger.startswith("http:") and trigger[5:] in pipeline.DIGEST_MODES:
        return trigger[5:]
    return {"schedule:digest": "due", "schedule:publish": "never", "cli:publish": "never"}.get(
        trigger
    )
