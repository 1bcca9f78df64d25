"""The ASGI application: routes, the files of the feeds folder, health, and errors.

| route                                   | what                                              |
|-----------------------------------------|---------------------------------------------------|
| GET/HEAD /health                        | {"status": "ok", "last_run": …} (no personal data) |
| GET /subscribe, POST /subscribe         | subscribe.py (double opt-in)                      |
| GET/POST /confirm/<token>               | subscribe.py                                      |
| GET/POST /unsubscribe/<token>           | subscribe.py (POST: button or RFC 8058 one-click) |
| POST /resubscribe/<token>               | subscribe.py                                      |
| GET/POST /preferences/<token>           | preferences.py (newsletters, language, name, data) |
| POST /api/runs, GET /api/runs/<id>,     | api.py (local or bearer token)                    |
| GET /api/status, POST /run              |                                                   |
| /admin/…                                | the operator console (console/routes.py)          |
| GET/HEAD anything else                  | a file under paths.feeds (static.py)              |

Before any route: uvicorn's ProxyHeadersMiddleware (only with `server.trusted_proxies`: the
client behind a trusted proxy), then guard.py (the client's request rate, the Host).
Errors a reader can meet (404, 500) are pages in the site's language; a state database that
cannot be opened is a one-line log entry and a 503, not a traceback.
"""

from __future__ import annotations

import logging
import sqlite3

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from syndicate.config import Config
from syndicate.store.connection import has_state, open_db
from syndicate.store.db import StateError
from syndicate.store.runs import recent_runs
from syndicate.web import api, preferences, static, subscribe
from syndicate.web.console.routes import console_routes
from syndicate.web.guard import Guard
from syndicate.web.jobs import Service
from syndicate.web.views import labels, page, security_headers

log = logging.getLogger("syndicate.web")


def create_app(config: Config, service: Service) -> ASGIApp:
    """The routes behind the guard (and the proxy headers of trusted proxies)."""
    app: ASGIApp = Guard(routed_app(config, service), config)
    if config.server.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app = ProxyHeadersMiddleware(app, trusted_hosts=list(config.server.trusted_proxies))
    return app


def routed_app(config: Config, service: Service) -> Starlette:
    feeds = config.path("feeds")
    feeds.mkdir(parents=True, exist_ok=True)
    cache = static.FileCache()

    async def health(request: Request) -> Response:
        last = await run_in_threadpool(_last_run, config)
        state = "stopping" if service.stopping.is_set() else "ok"
        return JSONResponse(
            {"status": state, "last_run": last},
            status_code=200 if state == "ok" else 503,
            headers={"Cache-Control": "no-store", **security_headers(config, html=False)},
        )

    async def files(request: Request) -> Response:
        target = static.resolve(feeds, request.path_params["path"])
        if target.redirect:
            return Response(status_code=301, headers={"Location": target.redirect})
        if target.path is None:
            return await run_in_threadpool(not_found_page, config)
        return await serve_file(request, config, cache, target)

    async def state_unusable(request: Request, exc: Exception) -> Response:
        log.error("%s %s: state database unusable: %s", request.method, request.url.path, exc)
        return await run_in_threadpool(error_page, config, 503)

    async def server_error(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(error_page, config, 500)

    routes = [
        Route("/health", health, methods=["GET"]),
        *subscribe.routes(config, service.confirmations),
        *preferences.routes(config),
        *api.routes(service),
        *console_routes(service),
        Route("/{path:path}", files, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            StateError: state_unusable,
            sqlite3.Error: state_unusable,
            500: server_error,
        },
    )


async def serve_file(
    request: Request, config: Config, cache: static.FileCache, target: static.Target
) -> Response:
    path, name = target.path, target.name
    assert path is not None
    try:
        st = path.stat()
    except OSError:
        return await run_in_threadpool(not_found_page, config)
    headers = {
        "Cache-Control": static.cache_control(name),
        **security_headers(config, html=name.endswith(".html")),
    }
    if link := static.link_header(config, name):
        headers["Link"] = link
    inm = request.headers.get("if-none-match")
    ims = request.headers.get("if-modified-since")

    if st.st_size > static.MAX_CACHED_FILE:  # streamed from disk, stat-based validator
        etag = f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'
        headers["ETag"] = etag
        if static.not_modified(inm, ims, (etag,), int(st.st_mtime)):
            return Response(status_code=304, headers=headers)
        return FileResponse(path, headers=headers, media_type=static.media_type(name))

    version = cache.get(static.stat_key(st))
    if version is None:
        loaded = await run_in_threadpool(static.load_version, path, name)
        if loaded is None:
            return await run_in_threadpool(not_found_page, config)
        key, version = loaded
        cache.put(key, version)
    use_gzip = version.gzip_body is not None and static.accepts_gzip(
        request.headers.get("accept-encoding", "")
    )
    if static.compressible(version.media_type):
        headers["Vary"] = "Accept-Encoding"
    headers["ETag"] = version.gzip_etag if use_gzip else version.etag
    headers["Last-Modified"] = version.last_modified
    if static.not_modified(inm, ims, (version.etag, version.gzip_etag), version.mtime):
        return Response(status_code=304, headers=headers)
    body = version.gzip_body if use_gzip and version.gzip_body is not None else version.body
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    if request.method == "HEAD":
        body = b""
    return Response(body, headers=headers, media_type=version.media_type)


def _last_run(config: Config) -> dict | None:
    if not has_state(config):
        return None
    conn = open_db(config)
    try:
        runs = recent_runs(conn, limit=1)
    finally:
        conn.close()
    if not runs:
        return None
    run = runs[0]
    # Counts only: the details name files, articles and failed addresses.
    return {k: run[k] for k in ("id", "started", "finished", "trigger", "summary")}


def not_found_page(config: Config) -> Response:
    return page(config, 404, title_key="not_found_title", message=[labels(config)["not_found"]])


def error_page(config: Config, status: int) -> Response:
    try:
        retry = labels(config)["error_retry"]
        return page(config, status, title_key="error_title", message=[retry])
    except Exception:  # the templates themselves are broken: still answer
        return Response("Something went wrong; try again later.\n", status_code=status)
