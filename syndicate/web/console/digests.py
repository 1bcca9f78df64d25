"""Digests and what came back of them, from the console: the list of digests with each one's
web version and delivery counts; the next digest of each newsletter (#23), previewed as a
subscriber would get it (ops/preview.preview_files, what `syndicate preview` writes); a
test to any address (ops/control.send_test, `syndicate send-test`: with several
newsletters, each one's next digest); a resend to one subscriber (ops/control.resend,
`syndicate digest resend`); and the bounces page: recent bounces and complaints,
suppressed subscribers, erased addresses (store/bounces.recent_returns).
One-off messages go out through delivery/transports.send_message, as the CLI's do.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from syndicate.config import ConfigError
from syndicate.config.newsletters import chosen_newsletters, newsletters
from syndicate.delivery.handover import DeliveryError
from syndicate.ops.control import ActionError, resend, send_test
from syndicate.ops.preview import preview_files
from syndicate.run.lock import RunInProgress
from syndicate.store.bounces import recent_returns
from syndicate.store.connection import open_db
from syndicate.store.digests import deliveries_by_digest, digests
from syndicate.store.newsletters import count_pending
from syndicate.web.console.access import Console, Form, Session
from syndicate.web.console.render import done, problem_page, render_page

PAGE = 50
# The preview is the message's own HTML: its styles inline, its images from wherever the
# articles' images are; it may run nothing and be framed by nobody.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'; sandbox"
)


def digests_page(console: Console, request: Request, session: Session) -> Response:
    with open_db(console.config) as conn:
        made = digests(conn, limit=PAGE)
        counts = deliveries_by_digest(conn, [d[0] for d in made])
        # What waits for each newsletter's next digest (#23; one for a config without any).
        waiting = [
            {"id": n.id, "name": n.name, "pending": count_pending(conn, n.id)}
            for n in newsletters(console.config)
        ]
    rows = [
        {
            "id": digest_id,
            "created": created.isoformat()[:16].replace("T", " "),
            "articles": n,
            "counts": counts.get(digest_id, {}),
            "web": f"{console.config.site.root}digests/{digest_id}.html",
        }
        for digest_id, created, n, _newsletter in made
    ]
    return render_page(
        console.config, request, session, "digests", section="digests", rows=rows, waiting=waiting
    )


def preview(console: Console, request: Request, session: Session) -> Response:
    """GET …/preview[?newsletter=ID]: that newsletter's next digest (default: the first)."""
    try:
        wanted = chosen_newsletters(console.config, request.query_params.get("newsletter"))
    except ValueError as exc:
        return problem_page(console.config, request, session, str(exc), status=404)
    files = preview_files(console.config, [], wanted[0])
    if not files:
        return problem_page(
            console.config, request, session, "nothing to preview: no pending articles", status=404
        )
    answer = HTMLResponse(files["digest.html"])
    answer.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return answer


def test(console: Console, request: Request, session: Session, form: Form) -> Response:
    config = console.config
    try:
        sent = send_test(config, form.get("to"), form.get("digest").strip() or None)
    except (ActionError, ConfigError, DeliveryError) as exc:
        return problem_page(config, request, session, str(exc), section="digests")
    what = "; ".join(f"{what} → {form.get('to')}: {where}" for what, where in sent)
    return done(request, "/digests", "note_test_sent", what)


def resend_one(console: Console, request: Request, session: Session, form: Form) -> Response:
    config = console.config
    digest_id, to = form.get("digest").strip(), form.get("to")
    try:
        digest_id, where = resend(config, digest_id or None, to)
    except RunInProgress as exc:
        return problem_page(config, request, session, str(exc), status=409, section="digests")
    except ActionError as exc:
        return problem_page(config, request, session, str(exc), section="digests")
    return done(request, "/digests", "note_resent", f"{digest_id} → {to}: {where}")


def bounces_page(console: Console, request: Request, session: Session) -> Response:
    with open_db(console.config) as conn:
        returns = recent_returns(conn)
    return render_page(
        console.config, request, session, "bounces", section="bounces", returns=returns
    )
