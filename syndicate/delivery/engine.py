"""The delivery queue: one message per queued (digest, subscriber), each committed on its own.

A delivery is recorded sent only after the transport took the message; a crash in between is
covered by the transports' deterministic names (Maildir, .eml) or by the same Message-ID
(SMTP; receivers de-duplicate). Digests are rendered (and CSS-inlined) once each, never once
per subscriber. Subscribers who left since the digest was queued get nothing: the queue only
yields deliveries to active subscribers, and leaving drops their queued deliveries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from syndicate import store
from syndicate.config import Config
from syndicate.delivery.transports import DeliveryError, Transport, make_transport
from syndicate.digest import RenderedDigest, render_digest
from syndicate.mail import build_message, message_id_for
from syndicate.model import Subscriber, capped_digest, digest_page
from syndicate.report import Progress, RunReport


def unsubscribe_url(config: Config, token: str) -> str:
    return f"{config.site.base_url}unsubscribe/{token}"


def render_stored_digest(conn: store.Database, config: Config, digest_id: str) -> RenderedDigest:
    found = store.digest_articles(conn, digest_id)
    if found is None:
        raise KeyError(digest_id)
    created, articles = found
    digest = capped_digest(digest_id, created, articles, config.digest.max_articles)
    return render_digest(digest, config, web_url=config.site.base_url + digest_page(digest_id))


def deliver_queued(
    conn: store.Database,
    config: Config,
    now: datetime,
    report: RunReport,
    progress: Progress,
    rendered_by_digest: dict[str, RenderedDigest],
    *,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Send every queued delivery: this run's digest and anything an earlier run left.

    `should_stop` is asked before each recipient (the service sets it on SIGTERM): what is
    left stays queued, and the next start resumes it."""
    pending = store.open_deliveries(conn)
    if not pending:
        return
    if dry_run:
        report.sent = len(pending)  # "would deliver"
        return
    transport = make_transport(config.delivery, config.path("outbox"), config.root)
    for n, delivery in enumerate(pending, 1):
        if should_stop is not None and should_stop():
            report.warnings.append(f"stopped: {len(pending) - n + 1} deliveries left queued")
            break
        if len(pending) > 10 and n % 10 == 0:
            progress(f"delivering: {n}/{len(pending)}")
        rendered = rendered_by_digest.get(delivery.digest_id)
        if rendered is None:
            rendered = render_stored_digest(conn, config, delivery.digest_id)
            rendered_by_digest[delivery.digest_id] = rendered
        subscriber = store.get_subscriber(conn, delivery.email)
        if subscriber is None or subscriber.status != "active":
            continue
        name = f"{delivery.digest_id}.{store.subscriber_key(subscriber.email)}.syndicate"
        try:
            hand_over(rendered, subscriber, delivery.digest_id, config, transport, name)
        except DeliveryError as exc:
            store.mark_delivery(
                conn, delivery.digest_id, delivery.email, sent=False, now=now, detail=str(exc)
            )
            report.failed.append(f"{delivery.email}: {exc}")
            continue
        store.mark_delivery(conn, delivery.digest_id, delivery.email, sent=True, now=now)
        report.sent += 1


def hand_over(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    digest_id: str,
    config: Config,
    transport: Transport,
    name: str,
    *,
    message_id: str | None = None,
    subject_prefix: str = "",
) -> str:
    """Build one subscriber's message and give it to the transport; DeliveryError if not."""
    if subject_prefix:
        from dataclasses import replace

        rendered = replace(rendered, subject=f"{subject_prefix}{rendered.subject}")
    try:
        message = build_message(
            rendered,
            subscriber,
            config,
            message_id=message_id or message_id_for(digest_id, subscriber.email, config),
            unsubscribe_url=unsubscribe_url(config, subscriber.token),
        )
    except ValueError as exc:  # an address no message can carry (e.g. one needing SMTPUTF8)
        raise DeliveryError(f"cannot address a message to it: {exc}") from None
    return transport(message, name)


def deliver_one_off(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    digest_id: str,
    config: Config,
    *,
    name: str,
    message_id: str,
    subject_prefix: str = "",
) -> str:
    """One message outside the queue (`send-test`, `digest resend`) through the configured
    transport; returns where it went. Its own name and Message-ID: receivers must not
    de-duplicate it against the original."""
    transport = make_transport(config.delivery, config.path("outbox"), config.root)
    return hand_over(
        rendered,
        subscriber,
        digest_id,
        config,
        transport,
        name,
        message_id=message_id,
        subject_prefix=subject_prefix,
    )
