"""The delivery queue, worked a batch at a time: claim → build copies → hand over → record.

`deliver_queued` is the one entry point (the run, and `syndicate deliver` workers):
1. claim up to BATCH due deliveries with `store.claim_deliveries` (a lease, so concurrent
   workers never share one; claims of a killed worker on this host are released first);
2. build each copy from the digest's `MessageTemplate` (rendered and encoded once per digest
   per run; mail.py), with its envelope: the VERP bounce address when `delivery.bounce_address`
   is set, so bounces can be matched (`syndicate bounces`);
3. check right before the hand-over that each is still wanted (`store.wanted_deliveries`:
   an unsubscribe that committed since the claim sends nothing more), hand the batch over;
4. record every outcome of the batch in one transaction, and release what was never tried.

Outcomes: sent; temporary → `failed` with a backoff (`delivery.retry_seconds`, doubled per
attempt)
until MAX_ATTEMPTS, then failed for good; permanent → `dropped` with the relay's reply, never
retried; in doubt → `in_doubt` and held for the operator (`delivery.in_doubt = "hold"`), or
sent again after the backoff with the same Message-ID (`"resend"`). The report lists what
failed and `run` exits 4 while any delivery to an active subscriber has failed for good.

A crash anywhere is covered: a delivery is recorded sent only after the transport took it
(a Maildir/.eml file durable under its deterministic name, an SMTP 250); a batch that died
before its transaction is found again (files by name; SMTP copies carry the same Message-ID).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate import store
from syndicate.config import Config
from syndicate.report import Progress, RunReport

if TYPE_CHECKING:  # the mail stack (and the model) only when there is something to deliver
    from syndicate.delivery.transports import BatchTransport, Copy, Result
    from syndicate.digest import RenderedDigest
    from syndicate.mail import MessageTemplate
    from syndicate.model import Subscriber

# Copies in memory at once (~14 MB / ~35 MB for a 70 KB digest), one transaction and, for
# folders, one syncfs each: bigger batches share the flush more widely.
BATCH = 200
FOLDER_BATCH = 500
MAX_BACKOFF = 6 * 3600.0
_HOST = os.uname().nodename
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def unsubscribe_url(config: Config, token: str) -> str:
    return f"{config.site.base_url}unsubscribe/{token}"


def render_stored_digest(conn: store.Database, config: Config, digest_id: str) -> RenderedDigest:
    from syndicate.digest import render_digest
    from syndicate.model import capped_digest, digest_page

    found = store.digest_articles(conn, digest_id)
    if found is None:
        raise KeyError(digest_id)
    created, articles = found
    digest = capped_digest(digest_id, created, articles, config.digest.max_articles)
    return render_digest(digest, config, web_url=config.site.base_url + digest_page(digest_id))


def worker_id() -> str:
    return f"{_HOST}:{os.getpid()}:{os.urandom(4).hex()}"


def _worker_alive(worker: str) -> bool:
    """False only for a worker of this host whose process is gone."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit():
        return True
    from syndicate.delivery.folders import process_alive

    return process_alive(int(pid))


def backoff(attempts: int, first: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `first`, doubled each time."""
    return min(first * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


class CopyBuilder:
    """Each claimed delivery → its Copy, from one template per digest."""

    def __init__(
        self,
        conn: store.Database,
        config: Config,
        rendered_by_digest: dict[str, RenderedDigest],
        *,
        dot_stuffed: bool,
    ) -> None:
        from syndicate.mail import from_address

        self.conn, self.config, self.rendered = conn, config, rendered_by_digest
        self.dot_stuffed = dot_stuffed
        self.templates: dict[str, MessageTemplate] = {}
        self.sender = from_address(config)
        self.bounce = config.delivery.bounce_address
        self.secret = store.state_secret(conn, "verp") if self.bounce else b""

    def template(self, digest_id: str) -> MessageTemplate:
        from syndicate.mail import build_template

        if digest_id not in self.templates:
            rendered = self.rendered.get(digest_id)
            if rendered is None:
                rendered = self.rendered[digest_id] = render_stored_digest(
                    self.conn, self.config, digest_id
                )
            self.templates[digest_id] = build_template(rendered, self.config)
        return self.templates[digest_id]

    def envelope_sender(self, digest_id: str, email: str) -> str:
        if not self.bounce:
            return self.sender
        from syndicate.bounces import verp_address

        local, _, domain = self.bounce.rpartition("@")
        try:
            key = store.subscriber_key(email)
            return verp_address(digest_id, key, self.secret, domain, local)
        except ValueError:  # a digest id VERP cannot carry: bounces match by Message-ID
            return self.bounce

    def mailto(self, token: str) -> str:
        if not self.bounce or not _TOKEN.fullmatch(token):
            return ""
        from syndicate.bounces import unsubscribe_mailto

        return unsubscribe_mailto(self.bounce, token)

    def copy(self, digest_id: str, subscriber: Subscriber) -> Copy:
        """ValueError for an address no message can carry."""
        from syndicate.delivery.transports import Copy
        from syndicate.mail import Recipient, deliverable_address, message_id_for

        recipient = Recipient(
            subscriber.email,
            subscriber.name,
            message_id_for(digest_id, subscriber.email, self.config),
            unsubscribe_url(self.config, subscriber.token),
            self.mailto(subscriber.token),
        )
        data = self.template(digest_id).copy(recipient, smtp=self.dot_stuffed)
        return Copy(
            (digest_id, subscriber.email),
            f"{digest_id}.{store.subscriber_key(subscriber.email)}.syndicate",
            self.envelope_sender(digest_id, subscriber.email),
            deliverable_address(subscriber.email),
            data,
        )


def _clock(now: datetime) -> Callable[[], float]:
    """Epoch seconds that start at the run's `now` and move with real time."""
    start, zero = now.timestamp(), time.monotonic()
    return lambda: start + time.monotonic() - zero


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
    worker: str | None = None,
) -> None:
    """Send every due delivery: this run's digest and anything an earlier run left.
    `should_stop` is asked between copies (a SIGTERM: the rest stays queued); `worker`
    names the claims (default: this host and process)."""
    clock = _clock(now)
    if dry_run:
        report.sent = store.count_due(conn, clock())  # "would deliver"
        return
    stop = should_stop or (lambda: False)
    if store.has_due(conn, clock()):
        _deliver(conn, config, clock, report, progress, rendered_by_digest, stop, worker)
    report.unresolved = store.count_failed_for_good(conn)


def _deliver(
    conn: store.Database,
    config: Config,
    clock: Callable[[], float],
    report: RunReport,
    progress: Progress,
    rendered_by_digest: dict[str, RenderedDigest],
    stop: Callable[[], bool],
    worker: str | None,
) -> None:
    from syndicate.delivery.transports import open_transport

    worker = worker or worker_id()
    store.release_dead_claims(conn, clock(), _worker_alive)
    total = store.count_due(conn, clock())
    settings = config.delivery
    transport = open_transport(settings, config.path("outbox"), config.root)
    builder = CopyBuilder(conn, config, rendered_by_digest, dot_stuffed=transport.dot_stuffed)
    folders = settings.method in ("maildir", "eml")
    batch = FOLDER_BATCH if folders else BATCH
    if settings.rate_limit > 0:  # a batch takes at most a minute: claims stay fresh
        batch = max(1, min(batch, int(settings.rate_limit * 60)))
    lease = 600.0 if folders else 3600.0
    done = 0
    try:
        while not stop() and not transport.stopped:
            claimed = store.claim_deliveries(conn, worker, limit=batch, now=clock(), lease=lease)
            if not claimed:
                break
            _batch(conn, config, builder, transport, claimed, report, stop, clock)
            done += len(claimed)
            if total > batch:
                progress(f"delivering: {done}/{total}")
    except BaseException:
        # Killed by an exception (Ctrl-C, a full disk): give back what this worker still
        # holds, so the next run need not wait for the lease. Files already linked are
        # found again by name; nothing is lost or doubled.
        with contextlib.suppress(Exception):
            store.release_worker_claims(conn, worker)
        raise
    finally:
        transport.close()
    if transport.stopped:
        report.delivery_stopped = transport.stopped
    elif stop():
        report.warnings.append("delivery was asked to stop; the rest stays queued")


def _batch(
    conn: store.Database,
    config: Config,
    builder: CopyBuilder,
    transport: BatchTransport,
    claimed: list[store.Delivery],
    report: RunReport,
    stop: Callable[[], bool],
    clock: Callable[[], float],
) -> None:
    subscribers = store.subscribers_by_email(conn, [d.email for d in claimed])
    outcomes: list[store.Outcome] = []
    release: list[tuple[str, str]] = []
    copies: list[tuple[store.Delivery, Copy]] = []
    for delivery in claimed:
        subscriber = subscribers.get(delivery.email)
        if subscriber is None or subscriber.status != "active":
            release.append((delivery.digest_id, delivery.email))
            continue
        try:
            copies.append((delivery, builder.copy(delivery.digest_id, subscriber)))
        except ValueError as exc:  # e.g. an address that needs SMTPUTF8
            outcome = store.Outcome(
                delivery.digest_id,
                delivery.email,
                "dropped",
                f"cannot address a message to it: {exc}",
            )
            outcomes.append(outcome)
            report.failed_for_good.append(f"{delivery.email}: {outcome.detail}")
    wanted = store.wanted_deliveries(conn, [c.key for _d, c in copies])
    release += [c.key for _d, c in copies if c.key not in wanted]
    copies = [(d, c) for d, c in copies if c.key in wanted]
    results = transport.send([c for _d, c in copies], stop)
    for (delivery, _copy), result in zip(copies, results, strict=True):
        outcome = _outcome(delivery, result, config, clock, report)
        if outcome is None:
            release.append((delivery.digest_id, delivery.email))
        else:
            outcomes.append(outcome)
    store.finish_deliveries(conn, outcomes, datetime.now(config.site.tz))
    store.release_deliveries(conn, release)


def _outcome(
    delivery: store.Delivery,
    result: Result,
    config: Config,
    clock: Callable[[], float],
    report: RunReport,
) -> store.Outcome | None:
    """What to record for one attempt (None: never tried, release it) and report it."""
    d, e = delivery.digest_id, delivery.email
    attempts = delivery.attempts + 1
    if result.kind == "sent":
        report.sent += 1
        return store.Outcome(d, e, "sent")
    if result.kind == "untried":
        return None
    if result.kind == "permanent":
        report.failed_for_good.append(f"{e}: {result.detail} (refused for good, not retried)")
        return store.Outcome(d, e, "dropped", result.detail)
    if result.kind == "in_doubt" and config.delivery.in_doubt == "hold":
        report.failed_for_good.append(
            f"{e}: in doubt, held: {result.detail} (`syndicate run --retry-failed` sends it"
            " again with the same Message-ID)"
        )
        return store.Outcome(d, e, "in_doubt", result.detail)
    detail = result.detail
    if result.kind == "in_doubt":
        detail = f"in doubt, sending again: {detail}"
    if attempts >= store.MAX_ATTEMPTS:
        report.failed_for_good.append(f"{e}: {detail} (gave up after {attempts} attempts)")
        return store.Outcome(d, e, "failed", f"{detail}; gave up after {attempts} attempts")
    when = clock() + backoff(attempts, config.delivery.retry_seconds)
    retry = datetime.fromtimestamp(when, config.site.tz).strftime("%Y-%m-%d %H:%M")
    report.failed.append(f"{e}: {detail}; attempt {attempts}, retried after {retry}")
    return store.Outcome(d, e, "failed", detail, next_attempt=when)


# ---------------------------------------------------------------- one-off messages


def hand_over(
    rendered: RenderedDigest,
    subscriber: Subscriber,
    digest_id: str,
    config: Config,
    transport: Callable,
    name: str,
    *,
    message_id: str | None = None,
    subject_prefix: str = "",
) -> str:
    """Build one subscriber's message and give it to the transport; DeliveryError if not."""
    from syndicate.delivery.transports import DeliveryError
    from syndicate.mail import build_message, message_id_for

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
    from syndicate.delivery.transports import make_transport

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
