"""Runs from the console: start `publish` (no digest), a run whose digest follows the
schedule, or a digest now; retry failed deliveries (`run --retry-failed`); follow a run
live until it ends; the history, each run's report and who started it.

A run starts through the service (web/jobs.Service.start_run), as the run API's do: the
same lock, the same pipeline.run, the console account recorded with the run. While it goes,
its page shows the report the run itself fills in (runs.progress_of: its step, articles read,
pages written, messages sent of those to send): without JavaScript the page reloads itself
every 2 seconds (a `<noscript>` refresh), with it /admin/console.js asks
/admin/runs/<id>.json once a second and updates the numbers in place.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from syndicate.store.connection import open_db
from syndicate.store.runs import recent_runs
from syndicate.web.console.access import Console, Form, Session, prefix
from syndicate.web.console.render import problem_page, render_page
from syndicate.web.jobs import Busy, RunNotStarted

PAGE = 30  # runs on a page of the history
MODES = ("never", "due", "now")  # publish only; a digest when due; a digest now


def runs_page(console: Console, request: Request, session: Session) -> Response:
    before = request.query_params.get("before", "")
    with open_db(console.config) as conn:
        runs = recent_runs(conn, PAGE, before=int(before) if before.isdigit() else None)
    older = runs[-1]["id"] if len(runs) == PAGE else None
    return render_page(
        console.config, request, session, "runs", section="runs", runs=runs, older=older
    )


def start(console: Console, request: Request, session: Session, form: Form) -> Response:
    mode = form.get("digest", "due")
    if mode not in MODES:
        return problem_page(console.config, request, session, f"unknown run: {mode!r}")
    return _started(console, request, session, mode, retry_failed=False)


def retry_failed(console: Console, request: Request, session: Session, form: Form) -> Response:
    """The dashboard's retry button: `syndicate run --retry-failed` (deliveries out of
    attempts and those held in doubt go out again, the digest only if due)."""
    return _started(console, request, session, "due", retry_failed=True)


def _started(
    console: Console, request: Request, session: Session, mode: str, *, retry_failed: bool
) -> Response:
    try:
        job = console.service.start_run(mode, admin=session.name, retry_failed=retry_failed)
    except Busy as exc:
        return problem_page(console.config, request, session, str(exc), status=409)
    except RunNotStarted as exc:
        return problem_page(console.config, request, session, str(exc), status=500)
    return RedirectResponse(f"{prefix(request)}/runs/{job.id}", status_code=303)


def _job(console: Console, request: Request) -> dict[str, Any] | None:
    raw_id = str(request.path_params["run_id"])
    return console.service.job(int(raw_id)) if raw_id.isdigit() and len(raw_id) < 19 else None


def run_page(console: Console, request: Request, session: Session) -> Response:
    job = _job(console, request)
    if job is None:
        return problem_page(console.config, request, session, "no such run", status=404)
    return render_page(console.config, request, session, "run", section="runs", run=job)


def run_data(console: Console, request: Request, session: Session) -> Response:
    job = _job(console, request)
    if job is None:
        return JSONResponse({"error": "no such run"}, status_code=404)
    return JSONResponse(job)
