"""`syndicate serve`: uvicorn (HTTP/1.1, keep-alive) around the app, the scheduler beside it,
logging, and the way it stops.

uvicorn settings and why:
- `proxy_headers=False`: uvicorn would otherwise replace the peer address with whatever
  X-Forwarded-For says when the peer is 127.0.0.1 (or $FORWARDED_ALLOW_IPS); app.py puts
  its ProxyHeadersMiddleware in front only for `server.trusted_proxies`, and the API's
  "local" rule needs the real peer.
- `http=protocol_class(config)`: uvicorn's h11 protocol plus what only the connection
  layer can do (protocol.py): connections per client, a deadline for each request's head
  (slowloris), 431 for heads over 16 KiB. Bodies have their own limits (views.py); idle
  keep-alive connections close after 5 s.
- `limit_concurrency`: past it (all clients together), uvicorn answers 503 instead of
  queueing without bound; no one client can reach it (protocol.py, guard.py).
- Signals are ours, not uvicorn's: uvicorn re-raises a captured SIGTERM after its shutdown,
  so the process would die of it (status 143); here SIGTERM sets the service's stop flag
  (runs end after the current recipient), stops uvicorn gracefully, waits for the runs, and
  exits 0 — within STOP_GRACE seconds in all.
Logging: one line per event on stderr, with time and level (uvicorn's access and error
logs included, through the root logger); newlines and other control characters inside a
message are escaped (report.printable) so that a multi-line error still is one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from syndicate.cli.exits import EXIT_IOERR, CommandError
from syndicate.config import Config
from syndicate.core.report import printable
from syndicate.web.app import create_app
from syndicate.web.jobs import Service
from syndicate.web.protocol import protocol_class

log = logging.getLogger("syndicate.service")

KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
CONCURRENCY = 512  # connections + tasks before uvicorn answers 503
STOP_GRACE = 9.0  # seconds from SIGTERM to exit, all included (systemd waits 90 s)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # serve() installs the handlers (see the module docstring)


class _OneLine(logging.Formatter):
    """One line per event: line breaks and every other control character escaped
    (report.printable), so a file name or a header value cannot forge a log line."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


_SECRET_PATH = re.compile(r"^(/(?:confirm|unsubscribe|resubscribe|preferences)/)[^/?#]+")


class _HideTokens(logging.Filter):
    """Access log lines name the path: the tokens of confirm and unsubscribe links are
    secrets (whoever has one can use it), so they never reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = _SECRET_PATH.sub(r"\1…", args[2])
            record.args = (*args[:2], path, *args[3:])
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _HideTokens) for f in access.filters):
        access.addFilter(_HideTokens())
    # APScheduler logs every firing twice ("Running job", "executed successfully"); the
    # jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket (bound before anything starts: a busy port is one clear error)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, *_, address = infos[0]
    sock = socket.create_server(address[:2], family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


def build_server(config: Config, service: Service) -> uvicorn.Server:
    """uvicorn around the app, configured as the module docstring says (tests run it in a
    thread with `server.run(sockets=[listen(...)])`)."""
    return _Server(
        uvicorn.Config(
            create_app(config, service),
            http=protocol_class(config),
            lifespan="off",
            proxy_headers=False,
            server_header=False,
            access_log=config.server.access_log,
            log_config=None,
            timeout_keep_alive=KEEP_ALIVE,
            timeout_graceful_shutdown=3,
            limit_concurrency=CONCURRENCY,
        )
    )


def serve(config: Config) -> int:
    configure_logging()
    try:
        sock = listen(config.server.host, config.server.port)
    except OSError as exc:
        raise CommandError(
            f"cannot listen on {config.server.host}:{config.server.port}: {exc.strerror or exc};"
            " change [server] host/port in the config",
            EXIT_IOERR,
        ) from None
    service = Service(config)
    server = build_server(config, service)
    stop_by: list[float] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if stop_by:  # a second signal: do not wait any more
            server.force_exit = True
            return
        stop_by.append(time.monotonic() + STOP_GRACE)
        log.info("%s: finishing the current step, then stopping", signal.Signals(signum).name)
        service.stopping.set()
        server.should_exit = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    log.info("serving %s on http://%s:%d/", config.path("feeds"), shown, port)
    service.start()
    try:
        server.run(sockets=[sock])
    finally:
        finished = service.stop(stop_by[0] if stop_by else time.monotonic() + STOP_GRACE)
        sock.close()
        log.info("stopped")
        if not finished:
            # A run still inside its ingest or publish step: leave now rather than be killed
            # later. Its open transaction rolls back; the next start resumes what is queued.
            logging.shutdown()
            os._exit(0)
    return 0
