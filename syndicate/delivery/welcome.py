"""The welcome message (#23): sent once a subscription is confirmed (web/confirmation.py) and
by `subscribers add --welcome`, in the subscriber's language, naming the newsletters they get
and linking to their preference page.

Its templates are files like the digest's (`welcome.html.j2`, `welcome.txt.j2` in
`paths.templates`, the built-in ones as the fallback); its words are labels.toml's. One
message at a time, so it is built with the `email` package and handed over by
`transports.send_message`, the one-off path the confirmation message takes too; it carries
List-Unsubscribe (with one-click) like a digest, and is DKIM-signed like one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from syndicate.config import Config
from syndicate.config.newsletters import held_newsletters
from syndicate.core.addresses import deliverable_address, smtputf8_supported
from syndicate.core.labels import fill, labels_for
from syndicate.core.model import Subscriber
from syndicate.core.rendering import one_line, template
from syndicate.delivery.copies import copy_language, preferences_url, unsubscribe_url
from syndicate.delivery.transports import send_message
from syndicate.digest.headers import header_safe_url, list_id
from syndicate.digest.message import MAIL_POLICY, dkim_sign
from syndicate.digest.render import message_context
from syndicate.store.subscribers import subscriber_key


def welcome_message(config: Config, subscriber: Subscriber, now: datetime) -> EmailMessage:
    """The welcome message to `subscriber` (ValueError for an address no message can carry)."""
    lang = copy_language(config, subscriber)
    labels = labels_for(lang, config.path("templates"))
    site = one_line(config.site.title)
    held = held_newsletters(config, subscriber.newsletters)
    local, _, domain = deliverable_address(
        subscriber.email, smtputf8=smtputf8_supported(config.delivery.method)
    ).rpartition("@")
    unsubscribe = header_safe_url(unsubscribe_url(config, subscriber.token))
    context = {
        **message_context(config, lang, labels),
        "subject": one_line(fill(labels["welcome_subject"], site=site), limit=250),
        "intro": fill(labels["welcome_intro"], site=site, email=subscriber.email),
        # The newsletters by name; none for the one digest of a site without [[newsletters]].
        "newsletters": [one_line(n.name) for n in held if n.id],
        "preferences_url": header_safe_url(preferences_url(config, subscriber.token)),
        "unsubscribe_url": unsubscribe,
        "postal_address": one_line(config.site.postal_address),
    }
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = config.digest.from_
    msg["To"] = Address(display_name=one_line(subscriber.name)[:200], username=local, domain=domain)
    msg["Subject"] = context["subject"]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=config.site.domain)
    if config.digest.reply_to:
        msg["Reply-To"] = config.digest.reply_to
    msg["List-Id"] = list_id(config)
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    text = template(config, "welcome.txt.j2").render(context)
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    html = template(config, "welcome.html.j2").render(context)
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return dkim_sign(msg, config)


def send_welcome(config: Config, subscriber: Subscriber, now: datetime) -> str:
    """Hand the welcome message to the configured transport; where it went, or
    DeliveryError (ValueError for an address no message can carry)."""
    message = welcome_message(config, subscriber, now)
    tag = hashlib.sha256(f"{subscriber.token}|{now.isoformat()}".encode()).hexdigest()[:12]
    return send_message(
        config, message, f"welcome.{subscriber_key(subscriber.email)}.{tag}.syndicate"
    )
