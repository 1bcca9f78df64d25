"""Who may use the console, and what every request under /admin/ passes (after guard.py's
request rate and Host checks, which the console shares with the whole service).

- **A session or nothing.** Every page, action, data answer and asset needs a session but
  the login form: without one, pages redirect to the login (303) and JSON answers 401. The
  session is a random 256-bit cookie value (`HttpOnly`, `SameSite=Strict`, `Secure` when
  `site.base_url` is https, path /admin) kept in the state as its SHA-256 only, expiring
  `server.admin_session_hours` after the login however busy it is; logging out, a new
  password and removing the account end it.
- **CSRF.** Every form carries its session's token; every POST is refused (403) unless the
  token matches (compared in constant time). The login form, before any session, carries a
  token that must equal a cookie set with the form (double submit).
- **Other sites.** A POST whose Origin is not one of ours, or that `Sec-Fetch-Site` calls
  cross-site, is refused (403) before anything else (hosts.HostPolicy.refuses_origin, the
  run API's check). The console's pages are sent with `Referrer-Policy: same-origin`, not
  `no-referrer`: Chromium sends `Origin: null` on same-origin form posts from a page with
  `no-referrer`, which this check (rightly) refuses.
- **Lockout.** 5 failed logins for one account name or from one client (an IPv6 client's
  /64) within 15 minutes lock that name or client for 15 minutes: 429 with Retry-After,
  also for the right password, so guessing gains nothing.
- **Every answer** is `Cache-Control: no-store`, `X-Frame-Options: DENY` with a CSP of
  `frame-ancestors 'none'`, loads nothing from another host (`default-src 'none'`; styles
  inline, the one script from /admin/), and `nosniff`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from syndicate.config import Config
from syndicate.store.admins import open_session, session_by_hash
from syndicate.store.connection import open_db
from syndicate.web.api import from_another_site
from syndicate.web.clients import LimitLog, client_key
from syndicate.web.hosts import host_policy
from syndicate.web.jobs import Service
from syndicate.web.views import read_body

log = logging.getLogger("syndicate.console")

COOKIE = "syndicate_admin"
LOGIN_COOKIE = "syndicate_login"
FAILURES = 5  # failed logins …
WINDOW = 900.0  # … within this many seconds …
LOCKED_FOR = 900.0  # … lock the name or the client this long
FORM_LIMIT = 16 * 1024  # bytes of an ordinary console form
UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes of a CSV upload (~200,000 subscribers)

HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline';"
        " img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


@dataclass(frozen=True)
class Session:
    name: str
    csrf: str
    token_hash: str


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def same_token(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(hashed(given), hashed(expected))


class Lockout:
    """Failed logins per key ("name:…", "client:…"): FAILURES within WINDOW lock the key for
    LOCKED_FOR seconds. In memory (one `serve` per state): a restart forgets it, which an
    attacker cannot cause from outside."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[str, deque[float]] = {}
        self.locked_until: dict[str, float] = {}
        self.lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until none of `keys` is locked (0: none is)."""
        now = self.clock()
        with self.lock:
            until = max((self.locked_until.get(k, 0.0) for k in keys), default=0.0)
        return max(0, int(until - now + 0.999))

    def failed(self, *keys: str) -> list[str]:
        """Record a failure for each key; the keys it locked."""
        now, locked = self.clock(), []
        with self.lock:
            if len(self.failures) > 65_536:  # bounded memory: forget the quiet ones
                self.failures.clear()
            for key in keys:
                times = self.failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] <= now - WINDOW:
                    times.popleft()
                if len(times) >= FAILURES:
                    self.locked_until[key] = now + LOCKED_FOR
                    times.clear()
                    locked.append(key)
        return locked


class Console:
    """What the console's handlers share: the config, the service (its runs), the checks."""

    def __init__(self, config: Config, service: Service) -> None:
        self.config = config
        self.service = service
        self.hosts = host_policy(config)
        self.lockout = Lockout()
        self.limited = LimitLog(log)
        self.secure = config.site.base_url.lower().startswith("https:")
        self.session_seconds = config.server.admin_session_hours * 3600

    # ------------------------------------------------------------ sessions

    def session(self, request: Request) -> Session | None:
        token = request.cookies.get(COOKIE, "")
        if not token or len(token) > 200:
            return None
        digest = hashed(token)
        with open_db(self.config) as conn:
            row = session_by_hash(conn, digest, time.time())
        return Session(row.name, row.csrf, digest) if row else None

    def open(self, name: str) -> str:
        """A new session for `name`; the cookie's value."""
        token, now = os.urandom(32).hex(), time.time()
        with open_db(self.config) as conn:
            open_session(
                conn, hashed(token), name, os.urandom(32).hex(), now, now + self.session_seconds
            )
        return token

    def set_cookie(
        self, response: Response, request: Request, name: str, value: str, age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=age,
            path=prefix(request),
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def client(self, request: Request) -> str:
        return client_key(request.client.host if request.client else "")

    def from_another_site(self, request: Request) -> bool:
        return from_another_site(request, self.hosts)


def prefix(request: Request) -> str:
    """Where the console is: /admin, behind whatever path a reverse proxy put in front."""
    return request.scope.get("root_path", "") + "/admin"


def secured(response: Response) -> Response:
    """Every answer's headers; a page that set its own policy (the digest preview) keeps it."""
    for name, value in HEADERS.items():
        if name not in response.headers:
            response.headers[name] = value
    return response


def refused(status: int, text: str) -> Response:
    return secured(PlainTextResponse(text + "\n", status_code=status))


@dataclass(frozen=True)
class Form:
    """A posted form: its fields (the first value of each) and any uploaded files."""

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]  # field → (file name, bytes)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


async def read_console_form(request: Request) -> Form:
    """An urlencoded form, or a multipart one (the CSV upload). Multipart is parsed with the
    standard library's `email` parser (what the cgi module did): one upload field is all the
    console takes, which a new dependency (python-multipart) would not make simpler."""
    ctype = request.headers.get("content-type", "")
    multipart = ctype.lower().startswith("multipart/form-data")
    body = await read_body(request, UPLOAD_LIMIT if multipart else FORM_LIMIT)
    if not multipart:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return Form({k: v[0] for k, v in fields.items() if v}, {})
    return await run_in_threadpool(_multipart, ctype, body)


def _multipart(ctype: str, body: bytes) -> Form:
    head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.setdefault(name, (filename, data))
        else:
            fields.setdefault(name, data.decode("utf-8", "replace"))
    return Form(fields, files)


Handler = Callable[..., Response]


def guarded(
    console: Console, handler: Handler, *, post: bool = False, data: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint running `handler(request, session[, form])` in a worker thread, only for
    a live session, only with the session's CSRF token on a POST (see the docstring)."""

    async def endpoint(request: Request) -> Response:
        if post and console.from_another_site(request):
            console.limited.warning(
                f"origin:{console.client(request)}", "console: refused a post from another site"
            )
            return refused(403, "refused: this form was sent from another site")
        session = await run_in_threadpool(console.session, request)
        if session is None:
            if data:
                return secured(JSONResponse({"error": "log in first"}, status_code=401))
            if post:
                await read_body(request, UPLOAD_LIMIT)
            back = quote(request.url.path + ("?" + request.url.query if request.url.query else ""))
            return secured(RedirectResponse(f"{prefix(request)}/login?next={back}", 303))
        args: list[Any] = [request, session]
        if post:
            form = await read_console_form(request)
            if not same_token(form.get("csrf"), session.csrf):
                return refused(403, "refused: the form's security token is missing or wrong")
            args.append(form)
        return secured(await run_in_threadpool(handler, *args))

    return endpoint
