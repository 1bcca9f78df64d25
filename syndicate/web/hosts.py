"""Which Host names the service answers for: the defence against DNS rebinding.

A web page on any site can make its visitor's browser send requests to 127.0.0.1: it only
needs a name of its own (evil.example) that resolves to 127.0.0.1 once the page is loaded.
The browser then treats the service as evil.example, so the page can read the answers and
send POSTs with `Origin: http://evil.example:8080` — which a check comparing Origin with
the Host header (chosen by the same attacker) accepts. The names are what differ: a
request is served only when its Host is
- `site.base_url`'s host (on no port, its own port, or the listening port),
- one of `server.allowed_hosts` (`name`: any port; `name:port`: that port), or
- a loopback name or address (`localhost`, 127.0.0.0/8, `[::1]`) on the listening port,
and is refused with 400 before any route otherwise (guard.py). The run API's Origin check
(api.py) asks the same question of the Origin's host and port.

Written here rather than with Starlette's TrustedHostMiddleware: that one compares the
name only (no port, so no "loopback on the listening port" rule) and has no way to ask the
question of an Origin. Host values are split by urllib.parse (brackets, ports), names
compared in lower case, IDNA, without a trailing dot.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the config's checks use normal_host: no import back at run time
    from syndicate.config import Config

DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_host(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` (or `[v6]:port`) → (name in lower case and IDNA, port or None); None
    when it is not a plain host (userinfo, a path, a bad port, spaces…)."""
    value = value.strip()
    if not value or any(c in value for c in "/?#@\\ \t") or not value.isprintable():
        return None
    try:
        parts = urlsplit(f"//{value}")
        name, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number, an unbalanced bracket
        return None
    if not name:
        return None
    name = name.rstrip(".")
    if ":" not in name:  # not an IPv6 literal: IDNA, as browsers send it
        try:
            name = name.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
    return (name, port) if name else None


def ip_of(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `value` writes, an IPv4-mapped IPv6 address as its IPv4 address; None
    for a name or junk."""
    try:
        address = ipaddress.ip_address(value or "")
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def is_loopback(name: str | None) -> bool:
    """`localhost`, or an address on the loopback interface (127.0.0.0/8, ::1)."""
    address = ip_of(name)
    return name == "localhost" or (address is not None and address.is_loopback)


@dataclass(frozen=True)
class HostPolicy:
    site_name: str
    site_port: int  # base_url's port (explicit or the scheme's default)
    allowed: frozenset[tuple[str, int | None]]  # server.allowed_hosts; None = any port

    def allows(self, name: str, port: int | None, listening_port: int) -> bool:
        """Whether a request for `name:port` reaching us on `listening_port` is ours."""
        if is_loopback(name):
            return port == listening_port or (port is None and listening_port == 80)
        if name == self.site_name and port in (None, self.site_port, listening_port):
            return True
        return (name, None) in self.allowed or (name, port) in self.allowed

    def allows_host(self, host: str | None, listening_port: int) -> bool:
        """The Host header's verdict (a request without one is not ours either)."""
        found = normal_host(host) if host else None
        return found is not None and self.allows(*found, listening_port)

    def allows_origin(self, origin: str, listening_port: int) -> bool:
        """An Origin header (`scheme://host[:port]`) of a page this service served."""
        scheme, sep, rest = origin.strip().partition("://")
        found = normal_host(rest) if sep and scheme.lower() in DEFAULT_PORTS else None
        if found is None:  # "null", another scheme, junk
            return False
        name, port = found
        if port is None:
            port = DEFAULT_PORTS[scheme.lower()]
        if port == DEFAULT_PORTS[scheme.lower()] and not is_loopback(name):
            port = None  # a default port is the same origin as none
        return self.allows(name, port, listening_port)

    def refuses_origin(self, origin: str | None, fetch_site: str, listening_port: int) -> bool:
        """A request a page of another site made the browser send: its Origin is not one
        of ours, or, without one, `Sec-Fetch-Site` says another site. The run API and the
        console's forms ask this; `Origin: null` (a sandboxed or privacy-stripped page) is
        not ours either."""
        if origin is not None:
            return not self.allows_origin(origin, listening_port)
        return fetch_site.lower() in ("cross-site", "same-site")


def host_policy(config: Config) -> HostPolicy:
    parts = urlsplit(config.site.base_url)
    site = normal_host(parts.netloc.rpartition("@")[2]) or ("", None)
    allowed = frozenset(normal_host(h) or ("", None) for h in config.server.allowed_hosts)
    return HostPolicy(site[0], site[1] or DEFAULT_PORTS.get(parts.scheme, 80), allowed)
