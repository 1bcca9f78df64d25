"""The runs the API shows (GET /api/runs/<id>): one started over HTTP as the service keeps
it while it goes (`Job`), any other from the runs table (`recorded_run`). One id for all
of them, the runs table's, as the CLI and `status` show it (issue #20)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from syndicate.config import Config
from syndicate.core.report import RunReport
from syndicate.run import pipeline
from syndicate.run.lock import run_lock_held
from syndicate.store.connection import has_state, open_db
from syndicate.store.runs import get_run


@dataclass
class Job:
    """One HTTP-triggered run (the run API's or the console's), as GET /api/runs/<id> shows
    it. Its id is its row in the runs table (pipeline.run's `on_start`): the id the CLI,
    `status` and /api/status show. `report` is the one the run fills in as it goes: what
    `progress` shows while it runs comes from the run itself."""

    digest: str
    started: str
    admin: str | None = None  # the console account that started it
    retry_failed: bool = False
    report: RunReport = field(default_factory=RunReport, repr=False)
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
            "admin": self.admin,
            "progress": progress_of(self.report) if self.state == "running" else None,
        }


def progress_of(report: RunReport) -> dict[str, Any]:
    """Where a running run is, read from its own report: its step, articles read of those
    to read, pages and feeds written, messages sent of those to send."""
    read = len(report.new) + len(report.updated) + len(report.rejected) + len(report.moved)
    return {
        "stage": report.stage or "starting",
        "articles_read": min(read, report.to_read) if report.to_read else read,
        "articles_to_read": report.to_read,
        "pages_written": len(report.pages_written) + len(report.feeds_written),
        "sent": report.sent,
        "to_send": report.to_send,
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
        "admin": run.get("admin"),
        "progress": None,
    }


def _mode_of(trigger: str) -> str | None:
    """The digest mode a run was started with, as far as its trigger tells."""
    source, _, mode = trigger.partition(":")
    if source in ("http", "console") and mode in pipeline.DIGEST_MODES:
        return mode
    return {"schedule:digest": "due", "schedule:publish": "never", "cli:publish": "never"}.get(
        trigger
    )
