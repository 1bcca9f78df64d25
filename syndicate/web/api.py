"""The run API: POST /api/runs, GET /api/runs/<id>, GET /api/status (and POST /run, the
old trigger, kept as a thin alias of POST /api/runs).

Who may call it:
- a *direct* loopback peer: the TCP peer is 127.0.0.0/8 or ::1 and the request carries no
  forwarding header of any kind (Forwarded, X-Forwarded-*, X-Real-IP, Via …, even empty):
  a reverse proxy on the same host also connects from 127.0.0.1, and what it relays is
  not local. uvicorn's own proxy-header rewriting is off (server.py), so the peer is real;
- or anyone with `Authorization: Bearer $SYNDICATE_TRIGGER_TOKEN` (compared in constant
  time, on hashes so not even the length leaks). A wrong token is refused even locally.
- Never a browser page from another origin: a request whose `Origin` is not one of ours
  (hosts.py: the site's name, `server.allowed_hosts`, loopback on the listening port), or
  whose `Sec-Fetch-Site` says cross-site, is 403 before anything else (any web page open
  on the host could otherwise POST to 127.0.0.1). The Origin is compared with our own
  names, never with the Host header: under DNS rebinding the attacker chooses both, and
  such a request never gets here (guard.py refuses a Host that is not ours, 400).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syndicate.config import Config
from syndicate.ops.status import status
from syndicate.run import pipeline
from syndicate.store.connection import open_db
from syndicate.web.hosts import HostPolicy, host_policy, ip_of, is_loopback
from syndicate.web.jobs import Busy, RunNotStarted, Service
from syndicate.web.views import read_body, security_headers

FORWARDING_HEADERS = frozenset(
    {
        "forwarded",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "x-originating-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
        "client-ip",
        "via",
    }
)
TOKEN_ENV = "SYNDICATE_TRIGGER_TOKEN"


def _json(status: int, data: dict, config: Config, **headers: str) -> JSONResponse:
    return JSONResponse(
        data,
        status_code=status,
        headers={**security_headers(config, html=False), "Cache-Control": "no-store", **headers},
    )


def is_direct_local(request: Request) -> bool:
    client = request.scope.get("client")
    if not client or ip_of(client[0]) is None or not is_loopback(client[0]):
        return False
    for raw_name, _ in request.scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name in FORWARDING_HEADERS or name.startswith("x-forwarded-"):
            return False
    return True


def from_another_site(request: Request, hosts: HostPolicy) -> bool:
    """Sent by a page of another site (hosts.HostPolicy.refuses_origin)."""
    port = (request.scope.get("server") or ("", 0))[1]
    fetch_site = request.headers.get("sec-fetch-site", "")
    return hosts.refuses_origin(request.headers.get("origin"), fetch_site, port)


def refusal(request: Request, config: Config, hosts: HostPolicy) -> Response | None:
    """None if the request may use the API, else the response that refuses it. Its Host
    was one of ours (guard.py); its Origin must be too, by the same rules (hosts.py)."""
    if from_another_site(request, hosts):
        return _json(403, {"error": "requests from other web pages are refused"}, config)
    given = request.headers.get("authorization")
    token = os.environ.get(TOKEN_ENV, "")
    if given is not None:
        scheme, _, value = given.strip().partition(" ")
        if token and scheme.lower() == "bearer":
            expected = hashlib.sha256(token.encode()).digest()
            offered = hashlib.sha256(value.strip().encode("utf-8", "replace")).digest()
            if hmac.compare_digest(offered, expected):
                return None
        return _json(
            401,
            {"error": "wrong bearer token" if token else f"no ${TOKEN_ENV} is set"},
            config,
            **{"WWW-Authenticate": 'Bearer realm="syndicate"'},
        )
    if is_direct_local(request):
        return None
    return _json(
        401,
        {
            "error": "allowed from this host (not through a proxy), or with"
            f" 'Authorization: Bearer ${TOKEN_ENV}'"
        },
        config,
        **{"WWW-Authenticate": 'Bearer realm="syndicate"'},
    )


def _start(service: Service, mode: str, request: Request) -> Response:
    config = service.config
    if mode not in pipeline.DIGEST_MODES:
        return _json(400, {"error": "digest must be one of: due, now, never"}, config)
    try:
        job = service.start_run(mode)
    except Busy as exc:
        return _json(409, {"error": str(exc)}, config)
    except RunNotStarted as exc:  # e.g. a state that does not match the outputs
        return _json(500, {"state": "failed", "error": str(exc), "errors": [str(exc)]}, config)
    location = f"{request.scope.get('root_path', '')}/api/runs/{job.id}"
    return _json(202, {**job.as_dict(), "url": location}, config, Location=location)


def routes(service: Service) -> list[Route]:
    config = service.config
    hosts = host_policy(config)

    async def create_run(request: Request) -> Response:
        if (refused := refusal(request, config, hosts)) is not None:
            return refused
        body = await read_body(request)
        mode = "due"
        if body.strip():
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return _json(400, {"error": 'send JSON like {"digest": "due"}'}, config)
            if not isinstance(data, dict) or set(data) - {"digest"}:
                only = 'the only field is "digest": due, now or never'
                return _json(400, {"error": only}, config)
            mode = data.get("digest", "due")
            if not isinstance(mode, str):
                return _json(400, {"error": "digest must be one of: due, now, never"}, config)
        return await run_in_threadpool(_start, service, mode, request)

    async def legacy_run(request: Request) -> Response:
        if (refused := refusal(request, config, hosts)) is not None:
            return refused
        await read_body(request)
        mode = request.query_params.get("digest", "due")
        return await run_in_threadpool(_start, service, mode, request)

    async def get_run(request: Request) -> Response:
        if (refused := refusal(request, config, hosts)) is not None:
            return refused
        raw_id = request.path_params["run_id"]
        known = raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 19  # an INTEGER key
        found = await run_in_threadpool(service.job, int(raw_id)) if known else None
        if found is None:
            return _json(404, {"error": "no such run"}, config)
        return _json(200, found, config)

    async def get_status(request: Request) -> Response:
        if (refused := refusal(request, config, hosts)) is not None:
            return refused
        return _json(200, await run_in_threadpool(_status, config), config)

    return [
        Route("/api/runs", create_run, methods=["POST"]),
        Route("/api/runs/{run_id}", get_run, methods=["GET"]),
        Route("/api/status", get_status, methods=["GET"]),
        Route("/run", legacy_run, methods=["POST"]),
    ]


def _status(config: Config) -> dict:
    conn = open_db(config)
    try:
        return status(conn, config, datetime.now(config.site.tz))
    finally:
        conn.close()
