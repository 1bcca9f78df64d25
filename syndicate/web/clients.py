"""Who a client is, and how much of the service one client may take.

- A client is its address; an IPv6 client is its /64 (one subscriber line or host gets a
  whole /64, so counting single IPv6 addresses would let one client be 2^64 clients). An
  IPv4-mapped IPv6 address is the IPv4 address.
- Behind a reverse proxy every connection comes from the proxy: its X-Forwarded-For names
  the client, but only for the proxies listed in `server.trusted_proxies` (uvicorn's
  ProxyHeadersMiddleware does the parsing, right to left, skipping trusted hops); from
  anyone else the header is ignored, or any client could choose its own address.
- Limits per client: connections open at once (ConnectionCounts, counted where uvicorn
  accepts them, protocol.py: a slow head holds a connection before any ASGI code runs),
  requests per second with a burst (RequestRates, a token bucket: guard.py), and posts of
  the subscribe form per hour (SlidingWindow: an exact "at most N in any hour", which a
  token bucket is not: N at once, then one every 3600/N s, lets ~2N through in an hour).

All of it lives in the one event loop's thread (uvicorn calls protocols and the ASGI app
there), except the subscribe windows, which handlers in worker threads use: those lock.
Memory is bounded: at most MAX_CLIENTS clients are remembered, least recently seen first
out (one that comes back gets a fresh allowance, never less than it had).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from functools import lru_cache

from syndicate.web.hosts import ip_of

MAX_CLIENTS = 65_536
IPV6_PREFIX = 64
WARN_EVERY = 60.0  # seconds between two log lines about one client over one limit


@lru_cache(maxsize=16_384)
def client_key(host: str) -> str:
    """The address a limit counts: the IPv4 address, the IPv6 /64, or the string itself
    (not an address: a Unix socket's path, whatever a trusted proxy said)."""
    address = ip_of(host)
    if address is None:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


class TrustedProxies:
    """`server.trusted_proxies` as networks: does a peer's X-Forwarded-For count?"""

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, host: str | None) -> bool:
        address = ip_of(host) if self.networks else None
        return address is not None and any(address in n for n in self.networks)


class ConnectionCounts:
    """Open connections per client, refused past `limit` (event loop thread only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: dict[str, int] = {}

    def take(self, key: str) -> bool:
        count = self.open.get(key, 0)
        if count >= self.limit:
            return False
        self.open[key] = count + 1
        return True

    def give_back(self, key: str) -> None:
        count = self.open.get(key, 0) - 1
        if count > 0:
            self.open[key] = count
        else:
            self.open.pop(key, None)


class RequestRates:
    """A token bucket per client: `rate` requests a second, `burst` at once (event loop
    thread only). `take` → 0.0 when the request may go, else seconds until it could."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, at = self.buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
        return wait


class SlidingWindow:
    """At most `limit` events in any `span` seconds, per key (thread-safe)."""

    def __init__(self, limit: int, span: float, clock: Callable[[], float] = time.time):
        self.limit, self.span, self.clock = limit, span, clock
        self.events: OrderedDict[str, deque[float]] = OrderedDict()
        self.lock = threading.Lock()

    def seed(self, key: str, times: Iterable[float]) -> None:
        """Events that happened before this process started (e.g. read from the state)."""
        with self.lock:
            recent = sorted(t for t in times if t > self.clock() - self.span)[-self.limit :]
            self.events[key] = deque(recent)

    def retry_after(self, key: str) -> int:
        """0 when one more event fits now, else whole seconds until one does."""
        with self.lock:
            return self._retry_after(key, self.clock())

    def take(self, key: str) -> int:
        """Record one event if it fits (→ 0); else seconds until it would (nothing kept)."""
        with self.lock:
            now = self.clock()
            wait = self._retry_after(key, now)
            if not wait:
                self.events.setdefault(key, deque()).append(now)
                self.events.move_to_end(key)
                if len(self.events) > MAX_CLIENTS:
                    self.events.popitem(last=False)
            return wait

    def _retry_after(self, key: str, now: float) -> int:
        times = self.events.get(key)
        if times is None:
            return 0
        while times and times[0] <= now - self.span:
            times.popleft()
        if len(times) < self.limit:
            return 0
        return max(1, math.ceil(times[0] + self.span - now))


class LimitLog:
    """Log lines about clients over a limit, at most one per client a minute: a flood must
    not flood the log too."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def warning(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self.lock:
            if now - self.last.get(key, -WARN_EVERY) < WARN_EVERY:
                return
            if len(self.last) > 4096:
                self.last.clear()
            self.last[key] = now
        self.logger.warning(message, *args)
