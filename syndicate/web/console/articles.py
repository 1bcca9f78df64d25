"""Articles from the console: the list (newest first, 50 a page, searched), what was
understood of one (ops/status.article_facts: what `syndicate inspect` shows), and
retracting one with a reason or undoing it (ops/control.retract: `syndicate retract`, the
feeds and pages republished at once under the run lock).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from syndicate.ops.control import ActionError, retract
from syndicate.ops.status import article_facts, article_listing
from syndicate.run.guard import StateMismatch
from syndicate.run.lock import RunInProgress
from syndicate.store.articles import get_article
from syndicate.store.catalog import article_record
from syndicate.store.connection import open_db
from syndicate.web.console.access import Console, Form, Session
from syndicate.web.console.render import done, problem_page, render_page

PAGE = 50


def articles_page(console: Console, request: Request, session: Session) -> Response:
    search = request.query_params.get("q", "")[:200]
    first_seen, bar, last_id = request.query_params.get("after", "").partition("|")
    with open_db(console.config) as conn:
        rows = article_listing(
            conn, search=search, after=(first_seen, last_id) if bar else None, limit=PAGE
        )
    older = f"{rows[-1]['first_seen']}|{rows[-1]['id']}" if len(rows) == PAGE else ""
    return render_page(
        console.config,
        request,
        session,
        "articles",
        section="articles",
        rows=rows,
        search=search,
        older=older,
    )


def article_page(console: Console, request: Request, session: Session) -> Response:
    ref = request.query_params.get("id", "")
    with open_db(console.config) as conn:
        article = get_article(conn, ref) if ref else None
        record = article_record(conn, article.id) if article else None
    if article is None or record is None:
        return problem_page(console.config, request, session, f"{ref}: no such article", status=404)
    return render_page(
        console.config,
        request,
        session,
        "article",
        section="articles",
        article=article,
        record=record,
        facts=article_facts(article),
    )


def retract_one(console: Console, request: Request, session: Session, form: Form) -> Response:
    config = console.config
    ref, undo = form.get("id"), form.get("undo") == "yes"
    try:
        article, changed = retract(config, ref, form.get("reason"), undo=undo)
    except RunInProgress as exc:
        return problem_page(config, request, session, str(exc), status=409, section="articles")
    except (ActionError, StateMismatch) as exc:
        return problem_page(config, request, session, str(exc), section="articles")
    if undo:
        note = "note_unretracted" if changed else "note_unchanged"
    else:
        note = "note_retracted" if changed else "note_unchanged"
    return done(request, "/article", note, article.title, id=article.id)
