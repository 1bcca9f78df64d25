"""Subscribers from the console: search by address or name, filter by status, page through
them with each one's language and newsletters (#23), 100 a page, by address (keyset paging
on the primary key or the status index, so a page costs the same at 100,000 as at 1,000;
the counts by status are the dashboard's, not repeated here, since counting grows with the
list); add, remove, erase (after a confirmation page), import a CSV upload with the
per-row report, export. Adding an address that is there already changes its name,
language and newsletters (when given), as `syndicate subscribers add` does.

Each action is what `syndicate subscribers …` does (ops/roster.py: the one address check,
the same outcomes, leaving always wins over a list).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from syndicate.config.newsletters import held_newsletters, newsletters
from syndicate.core.addresses import smtputf8_supported
from syndicate.ops.roster import (
    RosterError,
    add_address,
    decode_csv,
    erase_address,
    export_csv,
    import_csv,
    import_summary,
    remove_address,
)
from syndicate.store.connection import open_db
from syndicate.store.subscriber_pages import subscriber_page
from syndicate.store.subscribers import STATUSES
from syndicate.web.console.access import Console, Form, Session
from syndicate.web.console.render import done, problem_page, render_page

PAGE = 100
REPORT_ROWS = 1_000  # rows of an import's report shown on its page (the summary counts all)


def subscribers_page(console: Console, request: Request, session: Session) -> Response:
    q = request.query_params
    chosen = q.get("status", "")
    chosen = chosen if chosen in STATUSES else ""
    search = q.get("q", "")[:200]
    after = q.get("after", "")[:320]
    config = console.config
    with open_db(config) as conn:
        rows = subscriber_page(conn, status=chosen, search=search, after=after, limit=PAGE)
    # The newsletters each one gets (#23): those held, the default ones for who chose none.
    held = {r.email: " ".join(n.id for n in held_newsletters(config, r.newsletters)) for r in rows}
    return render_page(
        console.config,
        request,
        session,
        "subscribers",
        section="subscribers",
        rows=rows,
        statuses=STATUSES,
        chosen=chosen,
        search=search,
        after=after,
        next_after=rows[-1].email if len(rows) == PAGE else "",
        held=held,
        newsletter_ids=" ".join(n.id for n in newsletters(config)) if config.newsletters else "",
    )


def add(console: Console, request: Request, session: Session, form: Form) -> Response:
    config = console.config
    try:
        with open_db(config) as conn:
            now = datetime.now(config.site.tz)
            addr, outcome = add_address(
                conn,
                config,
                form.get("email"),
                form.get("name"),
                form.get("language"),
                now,
                form.get("newsletters").strip() or None,  # empty: as held (new: the defaults)
            )
    except RosterError as exc:
        return problem_page(config, request, session, str(exc), section="subscribers")
    return done(request, "/subscribers", "note_subscriber", addr, outcome=outcome)


def remove(console: Console, request: Request, session: Session, form: Form) -> Response:
    return _change(console, request, session, form, remove_address, "note_removed")


def erase(console: Console, request: Request, session: Session, form: Form) -> Response:
    if form.get("confirm") != "yes":
        return erase_question(console, request, session, form.get("email"))
    return _change(console, request, session, form, erase_address, "note_erased")


def erase_question(
    console: Console, request: Request, session: Session, email: str = ""
) -> Response:
    """GET /admin/subscribers/erase?email=…: the confirmation an erasure needs."""
    email = email or request.query_params.get("email", "")
    return render_page(
        console.config, request, session, "erase", section="subscribers", email=email[:320]
    )


def _change(console: Console, request, session, form: Form, action, note: str) -> Response:
    config = console.config
    try:
        with open_db(config) as conn:
            addr, found = action(conn, form.get("email"), datetime.now(config.site.tz))
    except RosterError as exc:
        return problem_page(config, request, session, str(exc), section="subscribers")
    return done(request, "/subscribers", note if found else "note_not_subscriber", addr)


def upload(console: Console, request: Request, session: Session, form: Form) -> Response:
    """A CSV upload, imported as `syndicate subscribers import` imports a file."""
    config = console.config
    name, data = form.files.get("file", ("", b""))
    name = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload.csv"
    try:
        text = decode_csv(data, name)
        smtputf8 = smtputf8_supported(config.delivery.method)
        with open_db(config) as conn:
            now = datetime.now(config.site.tz)
            rows = import_csv(conn, config, text, name, now, smtputf8=smtputf8)
    except RosterError as exc:
        return problem_page(config, request, session, str(exc), section="subscribers")
    invalid = [r for r in rows if r.outcome == "invalid"]
    shown = (invalid + [r for r in rows if r.outcome != "invalid"])[:REPORT_ROWS]
    return render_page(
        config,
        request,
        session,
        "import",
        section="subscribers",
        file_name=name,
        summary=import_summary(rows, name),
        counts=sorted(Counter(r.outcome for r in rows).items()),
        rows=shown,
        total=len(rows),
        invalid=len(invalid),
    )


def export(console: Console, request: Request, session: Session) -> Response:
    with open_db(console.config) as conn:
        text = export_csv(conn)
    day = datetime.now(console.config.site.tz).date().isoformat()
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="subscribers-{day}.csv"'},
    )
