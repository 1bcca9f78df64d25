"""Subscribing and leaving, from a browser: /subscribe, /confirm/<token>,
/unsubscribe/<token>, /resubscribe/<token>.

- Newsletters (#23): with several in the config, the form offers them as checkboxes (the
  default ones ticked); the request records the choice, which the link confirms. Once the
  link makes the subscriber active, a welcome message goes out (delivery/welcome.py, on the
  confirmation sender's thread).
- Double opt-in: the form only records a request and mails a link; the subscriber becomes
  active when that link's page is *POSTed* (a GET shows a button: mail scanners and link
  previews follow links, and must not subscribe anyone). Links expire after
  `server.confirm_hours`; at most one message per address per hour.
- No list enumeration: the answer to the form is the same page whatever the address's state
  (new, pending, active, unsubscribed, erased); the message itself goes out on a background
  thread, so the response time does not tell either.
- A bot that fills the hidden trap field gets the same page, and nothing is stored or sent.
- Leaving: GET /unsubscribe/<token> asks, POST (a button, or RFC 8058 one-click) does it;
  the page then offers "subscribe again", which the same token may do (it proves the
  mailbox just as a confirmation link does).
- Limits (#21), so the form cannot mail-bomb strangers or ruin the sender's reputation:
  `server.subscribe_per_client_hour` posts per client address (IPv6: per /64; behind a
  trusted proxy, the client it names) and `server.subscribe_per_hour` requests that may
  mail a confirmation, all clients together, in any hour (clients.SlidingWindow, exact).
  Past either: 429, Retry-After, a page in the site's language. Every post counts against
  its client, valid or not; the global count is taken before the address's state is
  looked at, so the answer still tells nothing about who is on the list, and confirmation
  messages can never outnumber it. A restarted service counts the confirmations the state
  says went out within the hour.
Addresses never reach the log: subscribers are named by their hash (subscriber_key).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from syndicate.config import Config
from syndicate.config.newsletters import newsletter_choice
from syndicate.core.addresses import parse_mailbox, smtputf8_supported
from syndicate.core.labels import fill
from syndicate.core.rendering import one_line
from syndicate.site.pages import page_context
from syndicate.store.confirmations import (
    confirm_subscription,
    confirmations_sent_since,
    pending_confirmation,
    request_confirmation,
)
from syndicate.store.connection import has_state, open_db
from syndicate.store.db import Database
from syndicate.store.subscribers import resubscribe_by_token, subscriber_by_token, subscriber_key
from syndicate.store.subscribers import unsubscribe as unsubscribe_subscriber
from syndicate.web.clients import LimitLog, SlidingWindow, client_key
from syndicate.web.views import Form, labels, page, read_body, read_form, too_many_page

log = logging.getLogger("syndicate.subscribe")

CONFIRM_INTERVAL = 3600.0  # seconds between two confirmation messages to one address
MAX_NAME = 200
HOUR = 3600.0
EVERYONE = "*"  # the global window's key


class SubscribeLimits:
    """The form's hourly limits: per client, and for all clients together."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.per_client = SlidingWindow(config.server.subscribe_per_client_hour, HOUR)
        self.everyone = SlidingWindow(config.server.subscribe_per_hour, HOUR)
        self.limited = LimitLog(log)
        self._seeded = False

    def take_client(self, key: str) -> int:
        wait = self.per_client.take(key)
        if wait:
            self.limited.warning(key, "subscribe form: client %s is over its hourly limit", key)
        return wait

    def take_everyone(self) -> int:
        if not self._seeded:  # what went out before a restart still counts
            self._seeded = True
            if has_state(self.config):
                conn = _state(self.config)
                try:
                    sent = confirmations_sent_since(conn, time.time() - HOUR)
                finally:
                    conn.close()
                self.everyone.seed(EVERYONE, sent)
        wait = self.everyone.take(EVERYONE)
        if wait:
            self.limited.warning(
                EVERYONE,
                "subscribe form: %d requests in the last hour (server.subscribe_per_hour);"
                " answering 429 until the hour has room",
                self.everyone.limit,
            )
        return wait


def _state(config: Config) -> Database:
    return open_db(config)


def _site(config: Config) -> str:
    return one_line(config.site.title)


def _not_before(config: Config) -> float:
    return time.time() - config.server.confirm_hours * 3600


# ---------------------------------------------------------------- subscribe


def subscribe_form_page(config: Config) -> Response:
    intro = page_context(config)["subscribe_intro"]
    return page(config, 200, title_key="subscribe_title", message=[intro], show_subscribe=True)


def clean_address(raw: str, config: Config) -> str | None:
    """A bare address from the form, normalised, or None if it is not one we can mail
    (`addresses.parse_mailbox`: the one check, the engine's and the CLI's too)."""
    raw = raw.strip()
    if not raw or len(raw) > 254 or "<" in raw or "," in raw:
        return None
    try:
        _, addr = parse_mailbox(raw, smtputf8=smtputf8_supported(config.delivery.method))
    except ValueError:
        return None
    return addr.lower()


def handle_subscribe(
    config: Config, form: Form, sender, limits: SubscribeLimits, client: str
) -> Response:
    if wait := limits.take_client(client):
        return too_many_page(config, wait, "subscribe_too_many")
    words = labels(config)
    email = clean_address(form.get("email", ""), config)
    if email is None:
        return page(
            config,
            400,
            title_key="subscribe_title",
            message=[words["invalid_email"]],
            show_subscribe=True,
            email_value=form.get("email", "")[:254],
        )
    answer = page(
        config,
        200,
        title_key="check_inbox_title",
        message=[fill(words["check_inbox"], email=email)],
    )
    if form.get("website"):  # the trap field: a bot
        log.info("subscribe form filled in by a bot; ignored")
        return answer
    if wait := limits.take_everyone():  # before the address's state is looked at
        return too_many_page(config, wait, "subscribe_too_many")
    name = one_line(form.get("name", ""))[:MAX_NAME]
    try:  # the form's checkboxes; none ticked (or none offered): the default ones
        held = newsletter_choice(config, form.every("newsletters")) if config.newsletters else ""
    except ValueError:
        held = ""  # only a hand-made post names a newsletter the form does not offer
    conn = _state(config)
    try:
        token = request_confirmation(
            conn,
            email,
            name,
            datetime.now(config.site.tz),
            min_interval=CONFIRM_INTERVAL,
            newsletters=held,
        )
    finally:
        conn.close()
    key = subscriber_key(email)
    if token is None:
        log.info("subscribe request for subscriber %s: nothing to send", key)
    else:
        log.info("subscribe request for subscriber %s: confirmation queued", key)
        sender.send(email, name, token)
    return answer


# ---------------------------------------------------------------- confirm


def handle_confirm(config: Config, token: str, sender, *, confirm: bool) -> Response:
    words = labels(config)
    site = _site(config)
    conn = _state(config)
    try:
        if confirm:
            confirmed = confirm_subscription(
                conn, token, datetime.now(config.site.tz), not_before=_not_before(config)
            )
            email = confirmed[0] if confirmed else None
            if confirmed and confirmed[1]:  # made active just now: welcome them
                sender.welcome(confirmed[0])
        else:
            pending = pending_confirmation(conn, token, not_before=_not_before(config))
            email = pending.email if pending else None
            confirm = pending is not None and pending.status == "active"  # used already
    finally:
        conn.close()
    if email is None:
        return page(
            config,
            404,
            title_key="confirm_title",
            message=[words["confirm_invalid"]],
            show_subscribe=True,
        )
    if not confirm:
        return page(
            config,
            200,
            title_key="confirm_title",
            message=[fill(words["confirm_question"], site=site, email=email)],
            button=words["confirm_button"],
        )
    log.info("subscriber %s confirmed", subscriber_key(email))
    return page(
        config,
        200,
        title_key="confirmed_title",
        message=[fill(words["confirmed"], site=site, email=email)],
    )


# ---------------------------------------------------------------- unsubscribe, resubscribe


def _invalid_link(config: Config) -> Response:
    return page(
        config, 404, title_key="unsubscribe_title", message=[labels(config)["link_invalid"]]
    )


def handle_unsubscribe(config: Config, token: str, *, confirm: bool) -> Response:
    words = labels(config)
    conn = _state(config)
    try:
        if confirm:
            email = unsubscribe_subscriber(conn, datetime.now(config.site.tz), token=token)
        else:
            found = subscriber_by_token(conn, token)
            email = found.email if found else None
    finally:
        conn.close()
    if email is None:
        return _invalid_link(config)
    if not confirm:
        return page(
            config,
            200,
            title_key="unsubscribe_title",
            message=[fill(words["unsubscribe_question"], site=_site(config))],
            button=words["unsubscribe_button"],
        )
    log.info("subscriber %s unsubscribed", subscriber_key(email))
    return page(
        config,
        200,
        title_key="unsubscribed_title",
        message=[fill(words["unsubscribed"], email=email)],
        # Relative: right behind whatever path prefix a reverse proxy put in front.
        second=(
            words["resubscribe_question"],
            f"../resubscribe/{token}",
            words["resubscribe_button"],
        ),
    )


def handle_resubscribe(config: Config, token: str) -> Response:
    conn = _state(config)
    try:
        email = resubscribe_by_token(conn, token, datetime.now(config.site.tz))
    finally:
        conn.close()
    if email is None:
        return _invalid_link(config)
    log.info("subscriber %s subscribed again", subscriber_key(email))
    words = labels(config)
    return page(
        config,
        200,
        title_key="confirmed_title",
        message=[fill(words["confirmed"], site=_site(config), email=email)],
    )


# ---------------------------------------------------------------- routes


def routes(config: Config, sender) -> list:
    from starlette.routing import Route

    limits = SubscribeLimits(config)

    async def subscribe_get(request: Request) -> Response:
        return await run_in_threadpool(subscribe_form_page, config)

    async def subscribe_post(request: Request) -> Response:
        form = await read_form(request)
        client = client_key(request.client.host if request.client else "")
        return await run_in_threadpool(handle_subscribe, config, form, sender, limits, client)

    async def confirm(request: Request) -> Response:
        if request.method == "POST":
            await read_body(request)
        token = request.path_params["token"]
        post = request.method == "POST"
        return await run_in_threadpool(handle_confirm, config, token, sender, confirm=post)

    async def unsubscribe(request: Request) -> Response:
        if request.method == "POST":
            await read_body(request)  # RFC 8058: "List-Unsubscribe=One-Click"; not needed
        token = request.path_params["token"]
        post = request.method == "POST"
        return await run_in_threadpool(handle_unsubscribe, config, token, confirm=post)

    async def resubscribe(request: Request) -> Response:
        await read_body(request)
        return await run_in_threadpool(handle_resubscribe, config, request.path_params["token"])

    return [
        Route("/subscribe", subscribe_get, methods=["GET"]),
        Route("/subscribe", subscribe_post, methods=["POST"]),
        Route("/confirm/{token}", confirm, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
        Route("/resubscribe/{token}", resubscribe, methods=["POST"]),
    ]
