"""Each claimed delivery → its `Copy`: the digest rendered and encoded once per (digest,
language) that has recipients, then one subscriber's To, Message-ID, unsubscribe and
preference links and envelope filled in per copy (digest/message.py's `MessageTemplate`: a few
joins, not a new `EmailMessage` per subscriber).

A copy is in the subscriber's language (#23): labels, dates, the subject line and the footer
(articles stay in their own). The templates are keyed by (digest, language): a digest to
100,000 subscribers in four languages is rendered four times, on the first copy of each, and
the run's own rendering (the site's language, made for the web version) is the first.

The envelope sender is the VERP bounce address when `delivery.bounce_address` is set, so a
bounce names the digest and subscriber it is about (`syndicate bounces`); a digest id VERP
cannot carry falls back to the plain bounce address, and its bounces match by Message-ID.
"""

from __future__ import annotations

import re

from syndicate.bounces.marks import unsubscribe_mailto, verp_address
from syndicate.config import Config
from syndicate.config.newsletters import newsletter_for
from syndicate.core.language import canonical_tag
from syndicate.core.model import Subscriber, capped_digest, digest_page
from syndicate.delivery.handover import Copy
from syndicate.digest.headers import from_address, message_id_for
from syndicate.digest.message import (
    MessageTemplate,
    Recipient,
    build_template,
    deliverable_address,
)
from syndicate.digest.render import RenderedDigest, render_digest
from syndicate.store.db import Database
from syndicate.store.deliveries import state_secret
from syndicate.store.digests import digest_articles
from syndicate.store.subscribers import subscriber_key

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def unsubscribe_url(config: Config, token: str) -> str:
    return f"{config.site.base_url}unsubscribe/{token}"


def preferences_url(config: Config, token: str) -> str:
    """The subscriber's preference page (web/preferences.py): the same token as the
    unsubscribe link, which proves the mailbox as much."""
    return f"{config.site.base_url}preferences/{token}"


def copy_language(config: Config, subscriber: Subscriber) -> str:
    """The language a subscriber's copies are in: theirs, else the site's."""
    return canonical_tag(subscriber.language or "") or config.site.language


def render_stored_digest(
    conn: Database, config: Config, digest_id: str, lang: str = ""
) -> RenderedDigest:
    """A stored digest rendered as it was sent (retracted articles left out), in `lang` (""
    the site's); KeyError if there is no such digest."""
    found = digest_articles(conn, digest_id)
    if found is None:
        raise KeyError(digest_id)
    digest = capped_digest(digest_id, found.created, found.articles, config.digest.max_articles)
    return render_digest(
        digest,
        config,
        web_url=config.site.base_url + digest_page(digest_id),
        newsletter=newsletter_for(config, found.newsletter),
        lang=lang,
    )


class CopyBuilder:
    """Claimed deliveries → copies, from one template per (digest, language)."""

    def __init__(
        self,
        conn: Database,
        config: Config,
        rendered_by_digest: dict[str, RenderedDigest],
        *,
        dot_stuffed: bool,
    ) -> None:
        self.conn, self.config, self.rendered = conn, config, rendered_by_digest
        self.dot_stuffed = dot_stuffed
        self.templates: dict[tuple[str, str], MessageTemplate] = {}
        self.sender = from_address(config)
        self.bounce = config.delivery.bounce_address
        self.secret = state_secret(conn, "verp")  # VERP addresses and Message-IDs

    def template(self, digest_id: str, lang: str = "") -> MessageTemplate:
        """The digest's template in `lang` ("": the site's), rendered on first use; the
        run's own rendering (`rendered_by_digest`, the site's language) serves that one."""
        lang = lang or self.config.site.language
        key = (digest_id, lang)
        if key not in self.templates:
            site_language = lang == self.config.site.language
            rendered = self.rendered.get(digest_id) if site_language else None
            if rendered is None:
                rendered = render_stored_digest(self.conn, self.config, digest_id, lang)
                if site_language:
                    self.rendered[digest_id] = rendered
            self.templates[key] = build_template(rendered, self.config)
        return self.templates[key]

    def envelope_sender(self, digest_id: str, email: str) -> str:
        if not self.bounce:
            return self.sender
        local, _, domain = self.bounce.rpartition("@")
        try:
            return verp_address(digest_id, subscriber_key(email), self.secret, domain, local)
        except ValueError:  # a digest id VERP cannot carry: bounces match by Message-ID
            return self.bounce

    def mailto(self, token: str) -> str:
        if not self.bounce or not _TOKEN.fullmatch(token):
            return ""
        return unsubscribe_mailto(self.bounce, token)

    def copy(self, digest_id: str, subscriber: Subscriber) -> Copy:
        """ValueError for an address no message can carry."""
        recipient = Recipient(
            subscriber.email,
            subscriber.name,
            message_id_for(digest_id, subscriber.email, self.config, self.secret),
            unsubscribe_url(self.config, subscriber.token),
            self.mailto(subscriber.token),
            preferences_url(self.config, subscriber.token),
        )
        template = self.template(digest_id, copy_language(self.config, subscriber))
        data = template.copy(recipient, smtp=self.dot_stuffed)
        return Copy(
            (digest_id, subscriber.email),
            f"{digest_id}.{subscriber_key(subscriber.email)}.syndicate",
            self.envelope_sender(digest_id, subscriber.email),
            deliverable_address(subscriber.email),
            data,
        )
