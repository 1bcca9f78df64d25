"""What every request passes before any route: the client's request rate, then its Host.

1. Request rate per client (clients.RequestRates: `server.requests_per_client_second`,
   bursts of `server.requests_per_client_burst`): past it, 429 with Retry-After and the
   service's page in the site's language (JSON under /api/). A flood must cost little: the
   page is rendered at most once a minute (labels edited meanwhile show within a minute).
   The client is the TCP peer, or what a trusted proxy's X-Forwarded-For says (uvicorn's
   ProxyHeadersMiddleware, wrapped around this one by app.py, rewrote it).
2. Host (hosts.py): a name that is not ours is 400 (DNS rebinding), and logged (once a
   minute per name: a name of the site's own that nobody listed shows up there).

A request that carries X-Forwarded-For from a loopback peer that is not a trusted proxy is
a reverse proxy nobody configured: every visitor behind it then shares one allowance. The
service says so in its log, once.

The connection-level limits (connections per client, the head's size and time) cannot be
here: ASGI code runs only once a request's head is complete (protocol.py).
"""

from __future__ import annotations

import logging
import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from syndicate.config import Config
from syndicate.web.clients import LimitLog, RequestRates, TrustedProxies, client_key
from syndicate.web.hosts import host_policy, is_loopback
from syndicate.web.views import too_many_page

log = logging.getLogger("syndicate.web")

PAGE_TTL = 60.0  # seconds a rendered 429 page is reused
UNKNOWN_HOST = b"Unknown Host: this service answers for its own names.\n"


class Guard:
    """Pure ASGI middleware (no request objects built for what it refuses)."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.hosts = host_policy(config)
        self.trusted = TrustedProxies(config.server.trusted_proxies)
        self.rates = RequestRates(
            config.server.requests_per_client_second, config.server.requests_per_client_burst
        )
        self.config = config
        self.limited = LimitLog(log)
        self.proxy_warned = False
        self.page: tuple[float, bytes, list[tuple[bytes, bytes]]] = (0.0, b"", [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        host = client[0] if client else ""
        key = client_key(host)
        wait = self.rates.take(key)
        if wait:
            self.limited.warning(key, "client %s: over its request rate; answered 429", key)
            await self._too_many(scope, send, max(1, math.ceil(wait)))
            return
        port = (scope.get("server") or ("", 0))[1]
        host_header = _header(scope, b"host")
        if not self.hosts.allows_host(host_header, port):
            shown = (host_header or "(none)")[:100]
            self.limited.warning(
                f"host:{shown}",
                "refused a request for Host %r: not one of ours (a name of this site?"
                " add it to server.allowed_hosts)",
                shown,
            )
            await _send(send, 400, UNKNOWN_HOST, _TEXT)
            return
        if not self.proxy_warned and not self.trusted and is_loopback(host):
            self._warn_untrusted_proxy(scope, host)
        await self.app(scope, receive, send)

    async def _too_many(self, scope: Scope, send: Send, retry_after: int) -> None:
        if scope["path"].startswith("/api/"):
            body, headers = b'{"error": "too many requests from your address"}', _JSON
        else:
            rendered_at, body, headers = self.page
            if time.monotonic() - rendered_at > PAGE_TTL or not body:
                answer = too_many_page(self.config, retry_after, "too_many_requests")
                body, headers = answer.body, answer.raw_headers
                self.page = (time.monotonic(), body, headers)
        headers = [(k, v) for k, v in headers if k not in (b"retry-after", b"content-length")]
        await _send(send, 429, body, [*headers, (b"retry-after", str(retry_after).encode())])

    def _warn_untrusted_proxy(self, scope: Scope, host: str) -> None:
        if _header(scope, b"x-forwarded-for") is not None:
            self.proxy_warned = True
            log.warning(
                "requests come through a reverse proxy at %s that is not in"
                " server.trusted_proxies: every client behind it shares one request and"
                " subscribe allowance; add it to server.trusted_proxies",
                host,
            )


def _header(scope: Scope, name: bytes) -> str | None:
    """The value of a header sent once (None when absent or repeated: ambiguous)."""
    values = [v for k, v in scope["headers"] if k == name]
    return values[0].decode("latin-1") if len(values) == 1 else None


_TEXT = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]
_JSON = [(b"content-type", b"application/json"), *_TEXT[1:]]


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
