"""The dashboard (GET /admin/): what `syndicate status` says (ops/status.status, the same
object), subscribers by status with the 90-day growth chart, the next digest (of each
newsletter, #23), the last runs, deliveries pending, failed and in doubt (with the retry
button: runs.py), and the inbox files that were rejected."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from syndicate.ops.status import status
from syndicate.store.connection import open_db
from syndicate.web.console.access import Console, Session
from syndicate.web.console.chart import growth_chart, growth_series
from syndicate.web.console.render import render_page


def dashboard(console: Console, request: Request, session: Session) -> Response:
    config = console.config
    now = datetime.now(config.site.tz)
    with open_db(config) as conn:
        facts = status(conn, config, now)
        chart = growth_chart(growth_series(conn, now.date()))
    # Each newsletter's next digest (#23): one line for the one digest of a config without
    # [[newsletters]], one per newsletter otherwise.
    upcoming = [
        {
            "name": n["name"],
            "next": (n["next"] or "")[:16].replace("T", " "),
            "due": n["digest_due"],
            "note": n["digest_note"],
            "pending": n["pending"],
        }
        for n in facts["newsletters"]
    ]
    return render_page(
        config,
        request,
        session,
        "dashboard",
        section="dashboard",
        facts=facts,
        chart=chart,
        upcoming=upcoming,
    )
