"""Logging in and out of the console (access.py says what protects it).

The login form carries a token that must equal a cookie set with the form (double submit:
a page of another site can neither read the cookie nor set it, so it cannot post a login of
its own choosing). A failed login counts against the name and the client (access.Lockout);
a locked name or client gets 429 whatever the password, before any hashing. The password
is checked by ops/admins.password_matches (argon2id, the same time for an unknown name).
After a login the browser goes where it was going (`next`, a path under /admin/ only).
"""

from __future__ import annotations

import logging
import os

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from syndicate.ops.admins import password_matches
from syndicate.store.admins import end_session
from syndicate.store.connection import open_db
from syndicate.web.console.access import (
    COOKIE,
    LOGIN_COOKIE,
    Console,
    Form,
    Session,
    prefix,
    read_console_form,
    refused,
    same_token,
    secured,
)
from syndicate.web.console.render import render_page

log = logging.getLogger("syndicate.console")

LOGIN_TOKEN_AGE = 3600  # seconds a login form stays usable


async def login_form(console: Console, request: Request) -> Response:
    if await run_in_threadpool(console.session, request) is not None:
        return secured(RedirectResponse(f"{prefix(request)}/", 303))
    return await run_in_threadpool(_form_page, console, request, 200, "")


def _form_page(console: Console, request: Request, status: int, error: str) -> Response:
    token = os.urandom(16).hex()
    answer = render_page(
        console.config,
        request,
        None,
        "login",
        status=status,
        login_token=token,
        next=_next(request, request.query_params.get("next", "")),
        error=error,
    )
    console.set_cookie(answer, request, LOGIN_COOKIE, token, LOGIN_TOKEN_AGE)
    return secured(answer)


def _next(request: Request, wanted: str) -> str:
    """Where to go after the login: a path under the console, never another site."""
    home = f"{prefix(request)}/"
    ok = wanted.startswith(home) and not wanted.startswith("//") and "\\" not in wanted
    return wanted if ok and wanted.isprintable() else home


async def login(console: Console, request: Request) -> Response:
    if console.from_another_site(request):
        return refused(403, "refused: this form was sent from another site")
    form = await read_console_form(request)
    if not same_token(form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")):
        return await run_in_threadpool(_form_page, console, request, 403, "error_expired")
    name = form.get("name").strip().lower()[:64]
    client = console.client(request)
    keys = (f"name:{name}", f"client:{client}")
    if wait := console.lockout.retry_after(*keys):
        return await run_in_threadpool(_locked, console, request, wait)
    matched = await run_in_threadpool(_check, console, name, form)
    if matched is None:
        for key in console.lockout.failed(*keys):
            log.warning("console: %s locked for 15 minutes after 5 failed logins", key)
        if wait := console.lockout.retry_after(*keys):
            return await run_in_threadpool(_locked, console, request, wait)
        return await run_in_threadpool(_form_page, console, request, 401, "error_login")
    token = await run_in_threadpool(console.open, matched)
    log.info("console: %s logged in from %s", matched, client)
    answer = RedirectResponse(_next(request, form.get("next")), 303)
    console.set_cookie(answer, request, COOKIE, token, console.session_seconds)
    answer.delete_cookie(LOGIN_COOKIE, path=prefix(request))
    return secured(answer)


def _check(console: Console, name: str, form: Form) -> str | None:
    with open_db(console.config) as conn:
        return password_matches(conn, name, form.get("password"))


def _locked(console: Console, request: Request, wait: int) -> Response:
    answer = render_page(
        console.config, request, None, "locked", status=429, minutes=wait // 60 + 1
    )
    answer.headers["Retry-After"] = str(wait)
    return secured(answer)


def logout(console: Console, request: Request, session: Session, form: Form) -> Response:
    with open_db(console.config) as conn:
        end_session(conn, session.token_hash)
    log.info("console: %s logged out", session.name)
    answer = RedirectResponse(f"{prefix(request)}/login", 303)
    answer.delete_cookie(COOKIE, path=prefix(request))
    return answer
