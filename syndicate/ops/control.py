"""Operator actions beyond a run: retract, skip a backlog, rebuild outputs, send a test,
resend a digest. Each takes the run lock when it writes, like a run, so it never races one.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from syndicate.config import Config
from syndicate.config.newsletters import chosen_newsletters, held_newsletters
from syndicate.core.addresses import parse_mailbox, smtputf8_supported
from syndicate.core.model import Article, Subscriber, capped_digest, digest_page
from syndicate.core.report import RunReport
from syndicate.delivery.copies import (
    copy_language,
    preferences_url,
    render_stored_digest,
    unsubscribe_url,
)
from syndicate.delivery.folders import TEST_MESSAGE_PREFIX
from syndicate.delivery.handover import DeliveryError
from syndicate.delivery.transports import send_message
from syndicate.digest.headers import message_id_for
from syndicate.digest.message import build_message
from syndicate.digest.render import RenderedDigest, render_digest
from syndicate.ops.preview import pending_articles
from syndicate.run import guard as state
from syndicate.run import pipeline
from syndicate.run.lock import run_lock
from syndicate.run.state import open_state
from syndicate.site.publish import announce, publish
from syndicate.store.articles import get_article, set_retracted
from syndicate.store.connection import has_state
from syndicate.store.db import Database
from syndicate.store.deliveries import state_secret
from syndicate.store.digests import count_resends, digest_articles, last_digest, record_resend
from syndicate.store.renders import forget_render_keys
from syndicate.store.subscribers import get_subscriber, subscriber_key


class ActionError(Exception):
    """The action cannot be done as asked; the message says why and what to do instead."""


def _find_article(conn: Database, config: Config, ref: str) -> Article:
    """An article by feed id, by inbox path, or by a path to the file in the inbox."""
    candidates = [ref]
    with contextlib.suppress(ValueError):  # a path to the file, from wherever one stands
        candidates.append(
            Path(ref).resolve().relative_to(config.path("inbox").resolve()).as_posix()
        )
    for candidate in candidates:
        article = get_article(conn, candidate)
        if article is not None:
            return article
    raise ActionError(
        f"{ref}: no stored article has this feed id or inbox path (`syndicate articles` lists them)"
    )


def retract(config: Config, ref: str, reason: str, *, undo: bool = False) -> tuple[Article, bool]:
    """Take an article out of every feed, page and later digest (or put it back with
    `undo`), and republish at once. Returns the article and whether anything changed."""
    if not undo and not reason.strip():
        raise ActionError("give a reason with --reason (it is kept in the state, not published)")
    with run_lock(config):
        now = datetime.now(config.site.tz)
        with open_state(config) as conn:
            guard = state.Guard.checked(conn, config)
            article = _find_article(conn, config, ref)
            changed = set_retracted(conn, article.id, None if undo else reason.strip(), now)
            report = RunReport()
            publish(conn, config, report, guard.outputs(config.path("feeds")))
            announce(config, report)
            return get_article(conn, article.id) or article, changed


def skip_backlog(config: Config, newsletter: str | None = None) -> RunReport:
    """`digest skip`: read the inbox and publish (so files dropped in but not read yet count
    too), then mark every article waiting for a digest (of `newsletter`, an id; None: of
    every newsletter) as never needing one. Sends nothing."""
    return pipeline.run(config, digest="skip", newsletter=newsletter, trigger="cli:digest-skip")


def rebuild(config: Config) -> RunReport:
    """Render every output again from the state (after a config or template change, or to
    repair files changed by hand). Reads no inbox file and sends nothing."""
    report = RunReport()
    with run_lock(config), open_state(config) as conn:
        guard = state.Guard.checked(conn, config)
        forget_render_keys(conn)
        publish(conn, config, report, guard.outputs(config.path("feeds")))
    announce(config, report)
    return report


def send_test(
    config: Config, to: str, digest_id: str | None = None, newsletter: str | None = None
) -> list[tuple[str, str]]:
    """Send digests to `to`, subject prefixed "[test]", recording nothing: digest
    `digest_id`; else, for each newsletter (`newsletter`, an id: that one), the digest its
    pending articles would make, else its latest digest. Returns (what was sent, where it
    went) for each."""
    config.require_postal_address()  # the test shows what subscribers would get: all of it
    now = datetime.now(config.site.tz)
    name, addr = _mailbox(to, smtputf8=smtputf8_supported(config.delivery.method))
    tests: list[tuple[str, RenderedDigest]] = []
    if digest_id is not None:
        tests.append((f"digest {digest_id}", _stored(config, digest_id)))
    for n in chosen_newsletters(config, newsletter) if digest_id is None else ():
        of = f" of {n.label}" if n.id else ""
        if articles := pending_articles(config, now, n):
            digest = capped_digest("test", now, articles, config.digest.max_articles)
            web_url = config.site.base_url + digest_page("test")
            rendered = render_digest(digest, config, web_url=web_url, newsletter=n)
            tests.append((f"the next digest{of} ({len(articles)} pending article(s))", rendered))
        elif latest := _latest_digest_id(config, n.id):
            tests.append((f"digest {latest}", _stored(config, latest)))
    if not tests:
        raise ActionError(
            "nothing to send: no pending articles and no digest yet (drop an article in the inbox)"
        )
    sent = []
    for what, rendered in tests:
        unique = uuid.uuid4().hex[:12]
        where = _send_one_off(
            config,
            rendered,
            Subscriber(addr, name, token="test"),
            name=f"{TEST_MESSAGE_PREFIX}{now:%Y%m%dT%H%M%S}.{unique}.syndicate",
            message_id=f"<test.{unique}@{config.site.domain}>",
            subject_prefix="[test] ",
        )
        sent.append((what, where))
    return sent


def _stored(config: Config, digest_id: str, lang: str = "") -> RenderedDigest:
    with open_state(config) as conn:
        try:
            return render_stored_digest(conn, config, digest_id, lang)
        except KeyError:
            raise ActionError(f"no digest {digest_id!r} (`syndicate status` lists them)") from None


def _latest_digest_id(config: Config, newsletter: str) -> str | None:
    if not has_state(config):
        return None
    with open_state(config) as conn:
        last = last_digest(conn, newsletter)
    return last[0] if last else None


def resend(
    config: Config, digest_id: str | None, to: str, newsletter: str | None = None
) -> tuple[str, str]:
    """Send an existing digest (`digest_id`; None: the latest of `newsletter`, or of the
    config's first newsletter) to one subscriber who holds its newsletter, in their
    language, again (a new Message-ID, so the receiving side does not drop it as a
    duplicate) and record it as a resend. Returns (the digest id, where it went)."""
    _name, addr = _mailbox(to, smtputf8=True)  # a subscriber's: looked up, then checked
    now = datetime.now(config.site.tz)
    with run_lock(config), open_state(config) as conn:
        guard = state.Guard.checked(conn, config)
        subscriber = get_subscriber(conn, addr)
        if subscriber is None:
            raise ActionError(
                f"{addr} is not a subscriber; `syndicate send-test --to {addr} --digest"
                f" {digest_id or 'ID'}` sends a copy to any address"
            )
        if subscriber.status != "active":
            raise ActionError(f"{addr} is {subscriber.status}: nothing is sent to it")
        if digest_id is None:
            (wanted,) = chosen_newsletters(config, newsletter)[:1]
            last = last_digest(conn, wanted.id)
            if last is None:
                raise ActionError(f"{wanted.label} has made no digest yet")
            digest_id = last[0]
        found = digest_articles(conn, digest_id)
        if found is None:
            raise ActionError(f"no digest {digest_id!r} (`syndicate status` lists them)")
        if newsletter is not None and found.newsletter != newsletter:
            raise ActionError(f"digest {digest_id} is not newsletter {newsletter}'s")
        holds = {n.id for n in held_newsletters(config, subscriber.newsletters)}
        if found.newsletter and found.newsletter not in holds:
            raise ActionError(
                f"{addr} does not get newsletter {found.newsletter or '(the digest)'}"
                f" (`syndicate subscribers set {addr} --newsletters …` changes what it gets)"
            )
        rendered = render_stored_digest(conn, config, digest_id, copy_language(config, subscriber))
        n = count_resends(conn, digest_id, addr) + 1
        original = message_id_for(digest_id, addr, config, state_secret(conn, "verp"))
        key = subscriber_key(addr)
        guard.touch("outbox")
        try:
            where = _send_one_off(
                config,
                rendered,
                subscriber,
                name=f"{digest_id}.{key}.resend-{n}.syndicate",
                message_id=original.replace("@", f".resend-{n}@", 1),
            )
        except DeliveryError as exc:
            raise ActionError(f"{addr}: {exc}") from None
        record_resend(conn, digest_id, addr, now, where)
    return digest_id, where


def _send_one_off(
    config: Config,
    rendered: RenderedDigest,
    subscriber: Subscriber,
    *,
    name: str,
    message_id: str,
    subject_prefix: str = "",
) -> str:
    """One message outside the queue (`send-test`, `digest resend`) through the configured
    transport; where it went, or DeliveryError. Its own name and Message-ID: receivers must
    not de-duplicate it against the original."""
    if subject_prefix:
        rendered = replace(rendered, subject=f"{subject_prefix}{rendered.subject}")
    try:
        message = build_message(
            rendered,
            subscriber,
            config,
            message_id=message_id,
            unsubscribe_url=unsubscribe_url(config, subscriber.token),
            preferences_url=preferences_url(config, subscriber.token),
        )
    except ValueError as exc:  # an address no message can carry (e.g. one needing SMTPUTF8)
        raise DeliveryError(f"cannot address a message to it: {exc}") from None
    return send_message(config, message, name)


def _mailbox(raw: str, *, smtputf8: bool) -> tuple[str, str]:

    try:
        name, addr = parse_mailbox(raw, smtputf8=smtputf8)
    except ValueError as exc:
        raise ActionError(f"{raw!r} is not an address we can mail: {exc}") from None
    return name, addr.lower()
