"""The console's routes under /admin/ (mounted by web/app.py before the site's files).

- GET/POST /admin/login, POST /admin/logout: login.py
- GET /admin/: dashboard.py
- GET/POST /admin/runs, GET /admin/runs/N (and N.json, the run as the run API shows it,
  with its live progress), POST /admin/deliveries/retry: runs.py
- GET /admin/subscribers, POST …/add, …/remove, …/erase (GET: the question), …/import,
  GET …/export.csv: subscribers.py
- GET /admin/digests, GET …/preview, POST …/test, …/resend, GET /admin/bounces: digests.py
- GET /admin/articles, GET /admin/article?id=…, POST /admin/articles/retract: articles.py
- GET /admin/console.js: the script that follows a run live

Every route but the login form's goes through access.guarded: no session, no answer.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from syndicate.core.files import BUILTIN_TEMPLATES
from syndicate.web.console import articles, dashboard, digests, login, runs, subscribers
from syndicate.web.console.access import Console, Session, guarded, prefix, secured
from syndicate.web.console.render import problem_page
from syndicate.web.jobs import Service

SCRIPT = "console/console.js"


def console_routes(service: Service) -> list[Route]:
    console = Console(service.config, service)
    script = (BUILTIN_TEMPLATES / SCRIPT).read_bytes()

    def page(handler) -> object:
        return guarded(console, partial(handler, console))

    def action(handler) -> object:
        return guarded(console, partial(handler, console), post=True)

    def data(handler) -> object:
        return guarded(console, partial(handler, console), data=True)

    async def to_console(request: Request) -> Response:
        return secured(RedirectResponse(f"{prefix(request)}/", 301))

    def script_file(request: Request, session: Session) -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8")

    return [
        Route("/admin", to_console, methods=["GET"]),
        Route("/admin/login", partial(login.login_form, console), methods=["GET"]),
        Route("/admin/login", partial(login.login, console), methods=["POST"]),
        Route("/admin/logout", action(login.logout), methods=["POST"]),
        Route("/admin/", page(dashboard.dashboard), methods=["GET"]),
        Route("/admin/console.js", guarded(console, script_file), methods=["GET"]),
        Route("/admin/runs", page(runs.runs_page), methods=["GET"]),
        Route("/admin/runs", action(runs.start), methods=["POST"]),
        Route("/admin/runs/{run_id}.json", data(runs.run_data), methods=["GET"]),
        Route("/admin/runs/{run_id}", page(runs.run_page), methods=["GET"]),
        Route("/admin/deliveries/retry", action(runs.retry_failed), methods=["POST"]),
        Route("/admin/subscribers", page(subscribers.subscribers_page), methods=["GET"]),
        Route("/admin/subscribers/add", action(subscribers.add), methods=["POST"]),
        Route("/admin/subscribers/remove", action(subscribers.remove), methods=["POST"]),
        Route("/admin/subscribers/erase", page(subscribers.erase_question), methods=["GET"]),
        Route("/admin/subscribers/erase", action(subscribers.erase), methods=["POST"]),
        Route("/admin/subscribers/import", action(subscribers.upload), methods=["POST"]),
        Route("/admin/subscribers/export.csv", page(subscribers.export), methods=["GET"]),
        Route("/admin/digests", page(digests.digests_page), methods=["GET"]),
        Route("/admin/digests/preview", page(digests.preview), methods=["GET"]),
        Route("/admin/digests/test", action(digests.test), methods=["POST"]),
        Route("/admin/digests/resend", action(digests.resend_one), methods=["POST"]),
        Route("/admin/bounces", page(digests.bounces_page), methods=["GET"]),
        Route("/admin/articles", page(articles.articles_page), methods=["GET"]),
        Route("/admin/article", page(articles.article_page), methods=["GET"]),
        Route("/admin/articles/retract", action(articles.retract_one), methods=["POST"]),
        # Anything else under /admin/ is the console's too: no session, no answer (not even
        # whether the page exists).
        Route("/admin/{rest:path}", page(unknown), methods=["GET", "POST"]),
    ]


def unknown(console: Console, request: Request, session: Session) -> Response:
    return problem_page(console.config, request, session, "no such page", status=404)
