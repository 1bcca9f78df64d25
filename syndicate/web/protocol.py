"""The connection layer under the app: uvicorn's h11 protocol, plus what ASGI code cannot
do because it runs only once a request's head is complete.

- **Connections per client** (`server.connections_per_client`, clients.ConnectionCounts):
  counted when uvicorn accepts a connection; one past the limit is closed at once, before
  a byte is read. So one client re-opening hundreds of slow heads holds no more than its
  limit, and the global cap (server.py: 512, then 503 for everyone) stays out of its
  reach. A trusted proxy (`server.trusted_proxies`) is many clients: its connections count
  only toward the global cap (the proxy buffers heads itself; guard.py limits each client
  behind it).
- **A deadline for each request's head** (HEAD_TIMEOUT): uvicorn has none (its keep-alive
  timer is cancelled by any byte), so a client sending its headers a byte a minute would
  hold a connection for ever. The same deadline closes a connection that sits, after a
  response, on a body nobody reads.
- **Heads over 16 KiB get 431.** h11's `max_incomplete_event_size` (16 KiB, a library
  setting) refuses a head that is still incomplete past it, but a complete head that
  arrives in one read (up to 256 KiB) goes through (python-hyper/h11#182, open), and
  uvicorn answers any of h11's refusals with 400. `_HeadSizeLimit` checks a complete head
  too (its size from the parsed request line and header fields, which is what h11 keeps),
  and `send_400_response` answers 431 for either.
- TCP_NODELAY: asyncio sets it only on sockets whose `proto` is IPPROTO_TCP, and a socket
  made by socket.create_server() has proto 0, so without this every response after the
  first on a keep-alive connection waited ~40 ms (Nagle against the client's delayed ACK:
  headers and body go out as two writes). Measured with bench/serve_http.py.
"""

from __future__ import annotations

import contextlib
import http
import logging
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from syndicate.config import Config
from syndicate.web.clients import ConnectionCounts, LimitLog, TrustedProxies, client_key

log = logging.getLogger("syndicate.web")

HEAD_TIMEOUT = 10.0  # seconds for a request line and headers to arrive
MAX_HEAD = 16 * 1024  # bytes of request line and headers (the README's promise)


class _HeadSizeLimit(h11.Connection):
    """h11's connection, refusing complete request heads over MAX_HEAD too (431)."""

    refused_status = 0  # the status h11's last refusal asked for (431 for a big head)

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused_status = exc.error_status_hint
            raise
        if type(event) is h11.Request and _head_size(event) > MAX_HEAD:
            self.refused_status = 431
            raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
        return event


def _head_size(event: h11.Request) -> int:
    """The head's bytes as sent, give or take optional whitespace h11 strips."""
    line = len(event.method) + len(event.target) + len(event.http_version) + 12
    return line + sum(len(n) + len(v) + 4 for n, v in event.headers.raw_items()) + 2


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with the limits of the module docstring. `counts` and
    `trusted` are set per server by `protocol_class`."""

    counts: ConnectionCounts
    trusted: TrustedProxies
    limited: LimitLog

    _head_timer: Any = None
    _client_key: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _HeadSizeLimit(h11.SERVER, max_incomplete_event_size=MAX_HEAD)

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        peer = self.client[0] if self.client else ""
        if peer and peer not in self.trusted:
            key = client_key(peer)
            if not self.counts.take(key):
                self.limited.warning(
                    key,
                    "client %s: over %d connections at once; closing the extra ones",
                    key,
                    self.counts.limit,
                )
                transport.abort()  # at once: no bytes read, nothing answered
                return
            self._client_key = key
        self._arm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()  # the next request on this connection gets its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._client_key is not None:
            self.counts.give_back(self._client_key)
            self._client_key = None
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 refused, with h11's status (431: too large)."""
        status = 431 if self.conn.refused_status == 431 else 400
        if status == 431:
            msg = f"Request header fields too large (at most {MAX_HEAD} bytes)."
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        reason = http.HTTPStatus(status).phrase.encode()
        event = h11.Response(status_code=status, headers=headers, reason=reason)
        for part in (event, h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
            self.transport.write(self.conn.send(part))
        self.transport.close()

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        # No request in progress: either no complete head yet (h11 leaves IDLE only once it
        # has all of it), or a response is done and a body nobody reads is still trickling.
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()


def protocol_class(config: Config) -> type[GuardedH11]:
    """GuardedH11 with this server's own counts (uvicorn makes one protocol per connection
    from the class it is given)."""
    attrs = {
        "counts": ConnectionCounts(config.server.connections_per_client),
        "trusted": TrustedProxies(config.server.trusted_proxies),
        "limited": LimitLog(log),
    }
    return type("GuardedH11", (GuardedH11,), attrs)
