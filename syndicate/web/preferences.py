"""The preference page (#23): `/preferences/<token>`, linked from every digest (HTML and
text part) and from the welcome message.

- The token is the subscriber's own, the one of their unsubscribe link: whoever holds the
  message holds both, so a second secret would prove nothing more.
- GET shows the form (newsletters, language, name) and the two other buttons: download my
  data (JSON), unsubscribe from everything. A GET changes nothing (mail scanners follow
  links); every change is a POST to the same URL, which carries the token.
- A change of newsletters wins over a delivery in progress as an unsubscribe does: the
  queued deliveries of the newsletters left are dropped in the same transaction
  (store/subscribers.change_subscription), so the engine's last look withdraws them.
- Ticking no newsletter changes nothing and says how to leave instead: "unsubscribe from
  everything" is its own button, so nobody leaves by a slip of the mouse.
- The languages offered are those of labels.toml (each named in its own language), the
  subscriber's own (an import may have set one labels.toml has no table for: its words fall
  back as labels.toml says), and "the site's"; the page itself is in the subscriber's
  language.
Addresses never reach the log: subscribers are named by their hash.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from syndicate.config import Config
from syndicate.config.newsletters import (
    held_newsletters,
    newsletter_choice,
    newsletters,
    newsletters_left,
)
from syndicate.core.labels import catalog, fill
from syndicate.core.language import canonical_tag
from syndicate.core.model import Subscriber
from syndicate.core.rendering import language_name, one_line
from syndicate.site.pages import render
from syndicate.store.connection import open_db
from syndicate.store.personal import subscriber_record
from syndicate.store.subscribers import (
    change_subscription,
    subscriber_by_token,
    subscriber_key,
    unsubscribe,
)
from syndicate.web.views import Form, labels_in, page, page_headers, read_form

log = logging.getLogger("syndicate.subscribe")

MAX_NAME = 200


def preferences_page(
    config: Config, subscriber: Subscriber, status: int = 200, notice: str = ""
) -> Response:
    lang = canonical_tag(subscriber.language) or config.site.language
    words = labels_in(config, lang)
    site = one_line(config.site.title)
    held = {n.id for n in held_newsletters(config, subscriber.newsletters)}
    # Their own language is offered (and selected) even when labels.toml has no table of its
    # own (pt-BR, from an import): a save that changes something else must not change it.
    own = {subscriber.language} if subscriber.language else set()
    message = [fill(words["preferences_intro"], site=site, email=subscriber.email)]
    if subscriber.status != "active":
        message.append(fill(words["preferences_inactive"], site=site, email=subscriber.email))
    if notice:
        message.append(notice)
    html = render(
        config,
        "preferences.html.j2",
        lang=lang,
        message=message,
        newsletters=[
            {"id": n.id, "name": one_line(n.name), "checked": n.id in held}
            for n in newsletters(config)
            if n.id
        ],
        languages=[(tag, language_name(tag, tag)) for tag in sorted({*catalog(), *own})],
        language=subscriber.language,
        name=subscriber.name,
    )
    return Response(html, status_code=status, headers=page_headers(config), media_type="text/html")


def handle_preferences(config: Config, token: str, form: Form | None) -> Response:
    """GET (`form` None): the page; POST: the change `form["action"]` asks for."""
    now = datetime.now(config.site.tz)
    conn = open_db(config)
    try:
        subscriber = subscriber_by_token(conn, token)
        if subscriber is None:
            return page(
                config, 404, title_key="preferences_title", message=[_word(config, "link_invalid")]
            )
        if form is None:
            return preferences_page(config, subscriber)
        action = form.get("action", "save")
        key = subscriber_key(subscriber.email)
        if action == "data":
            record = subscriber_record(conn, token)
            body = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
            headers = {
                **page_headers(config),
                "Content-Disposition": 'attachment; filename="subscription.json"',
            }
            log.info("subscriber %s downloaded their data", key)
            return Response(body, headers=headers, media_type="application/json")
        if action == "unsubscribe":
            unsubscribe(conn, now, token=token)
            log.info("subscriber %s unsubscribed from everything", key)
            left = subscriber_by_token(conn, token) or subscriber
            words = labels_in(config, canonical_tag(left.language) or config.site.language)
            return preferences_page(
                config, left, notice=fill(words["unsubscribed"], email=left.email)
            )
        return _save(config, conn, subscriber, form, now)
    finally:
        conn.close()


def _save(config: Config, conn, subscriber: Subscriber, form: Form, now: datetime) -> Response:
    words = labels_in(config, canonical_tag(subscriber.language) or config.site.language)
    chosen = form.every("newsletters")
    if config.newsletters and not chosen:
        return preferences_page(config, subscriber, 400, words["preferences_nothing"])
    language = canonical_tag(form.get("language", "")) or ""
    if language and language not in catalog():
        language = subscriber.language  # only a hand-made post offers another
    try:
        held = newsletter_choice(config, chosen) if config.newsletters else None
    except ValueError:
        held = None  # the same: keep what they hold
    changed = change_subscription(
        conn,
        now,
        token=subscriber.token,
        name=one_line(form.get("name", subscriber.name))[:MAX_NAME],
        language=language,
        newsletters=held,
        left=partial(newsletters_left, config),
    )
    after = changed or subscriber
    log.info("subscriber %s changed their preferences", subscriber_key(subscriber.email))
    words = labels_in(config, canonical_tag(after.language) or config.site.language)
    return preferences_page(config, after, notice=words["preferences_saved"])


def _word(config: Config, key: str) -> str:
    return labels_in(config, config.site.language)[key]


def routes(config: Config) -> list:
    from starlette.routing import Route

    async def preferences(request: Request) -> Response:
        form = await read_form(request) if request.method == "POST" else None
        token = request.path_params["token"]
        return await run_in_threadpool(handle_preferences, config, token, form)

    return [Route("/preferences/{token}", preferences, methods=["GET", "POST"])]
