"""Helpers for the web tests: the real app under uvicorn on a free loopback port, in a
thread (`running`) or as `syndicate serve` in a subprocess (`Serve`), and plain HTTP
clients (http.client for raw bytes, urllib-style helpers)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from syndicate.config import Config
from syndicate.web.jobs import Service
from syndicate.web.server import build_server, listen


@dataclass
class Running:
    base: str  # http://127.0.0.1:PORT
    port: int
    config: Config
    service: Service
    server: object  # the uvicorn.Server


def with_base_url(config: Config, base: str) -> Config:
    return config.model_copy(update={"site": config.site.model_copy(update={"base_url": base})})


def with_server(config: Config, **changes) -> Config:
    return config.model_copy(update={"server": config.server.model_copy(update=changes)})


@contextmanager
def running(config: Config, *, site_here: bool = True) -> Iterator[Running]:
    """The whole HTTP side (no scheduler) on 127.0.0.1:<free port>. With `site_here`,
    site.base_url is that address, so every link the site makes can be followed."""
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    if site_here:
        config = with_base_url(config, base + "/")
    service = Service(config)
    server = build_server(config, service)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield Running(base, port, config, service, server)
    finally:
        server.should_exit = True
        thread.join(10)
        service.stop(time.monotonic() + 10)
        sock.close()


def raw(
    port: int,
    method: str,
    path: str,
    headers: dict | None = None,
    body: bytes = b"",
    *,
    source: str = "127.0.0.1",
    host: str | None = None,
):
    """One request with http.client: the path is sent as written, the body is not decoded.
    `source`: the client's loopback address (another client to the server); `host`: the
    Host header as given ("" for none; None: 127.0.0.1:PORT, as a client would send it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host != "":
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body or method == "POST":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def outbox_messages(config: Config, prefix: str = "") -> list[Path]:
    new = config.path("outbox") / "new"
    return sorted(new.glob(f"{prefix}*")) if new.is_dir() else []


class Serve:
    """`python -m syndicate serve` in the background; its stderr collected."""

    def __init__(self, site: Path, port: int, env: dict | None = None) -> None:
        self.log = site / f"serve-{time.monotonic_ns()}.log"
        self.base = f"http://127.0.0.1:{port}"
        self._err = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "serve", "--config", str(site / "config.toml")],
            stdout=subprocess.DEVNULL,
            stderr=self._err,
            env={**os.environ, **(env or {})},
        )
        wait_for(lambda: "serving " in self.text() or self.proc.poll() is not None)
        assert self.proc.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def stop(self, timeout: float = 15) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._err.close()
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()
