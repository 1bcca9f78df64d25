"""The double opt-in message: "confirm your subscription", with the link to /confirm/<token>,
and the one background thread that hands these messages to the configured transport.

Why a thread: the subscribe page must answer the same way, and in about the same time,
whether the address was new (a message goes out) or already known (nothing does), so the
relay's latency cannot tell anyone which addresses are on the list; and a slow relay must
not hold an HTTP worker.

Headers: everything that comes from the form (the name) or the config goes through
`one_line` and `email.headerregistry.Address`, so no CR/LF or U+2028 reaches a header; the
address went through `addresses.deliverable_address` (the one check, also the engine's)
before anything was stored, so one that needs SMTPUTF8 never gets here. The message is
DKIM-signed like the digest when a key is set.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from syndicate.config import Config
from syndicate.core.addresses import deliverable_address, smtputf8_supported
from syndicate.core.labels import fill
from syndicate.core.rendering import one_line
from syndicate.delivery.transports import send_message
from syndicate.delivery.welcome import send_welcome
from syndicate.digest.message import MAIL_POLICY, dkim_sign
from syndicate.store.confirmations import confirmation_not_sent
from syndicate.store.connection import open_db
from syndicate.store.subscribers import get_subscriber, subscriber_key
from syndicate.web.views import labels

log = logging.getLogger("syndicate.subscribe")

QUEUE_SIZE = 1000  # confirmations waiting for the relay; more are refused (and logged)


def confirm_url(config: Config, token: str) -> str:
    return f"{config.site.base_url}confirm/{token}"


def message_name(email: str, token: str) -> str:
    """The transport's deterministic name for this message (Maildir/.eml file name)."""
    tag = hashlib.sha256(token.encode()).hexdigest()[:12]
    return f"confirm.{subscriber_key(email)}.{tag}.syndicate"


def confirmation_message(
    config: Config, email: str, name: str, token: str, now: datetime
) -> EmailMessage:
    import html

    words = labels(config)
    site = one_line(config.site.title)
    link = confirm_url(config, token)
    smtputf8 = smtputf8_supported(config.delivery.method)
    local, _, domain = deliverable_address(email, smtputf8=smtputf8).rpartition("@")
    intro = fill(words["confirm_mail_intro"], site=site, email=email)
    action = words["confirm_mail_action"]
    ignore = words["confirm_mail_ignore"]
    footer = "\n".join(x for x in (site, one_line(config.site.postal_address)) if x)

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = config.digest.from_
    msg["To"] = Address(display_name=one_line(name)[:200], username=local, domain=domain)
    msg["Subject"] = one_line(fill(words["confirm_mail_subject"], site=site), limit=250)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=config.site.domain)
    if config.digest.reply_to:
        msg["Reply-To"] = config.digest.reply_to
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    text = f"{intro}\n\n{action}\n\n{link}\n\n{ignore}\n\n-- \n{footer}\n"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    esc = html.escape
    lang = esc(config.site.language or "en")
    body = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(msg['Subject'])}</title></head>"
        '<body style="margin:0;padding:24px;font:16px/1.5 Arial,sans-serif;color:#1f2937;">'
        f"<p>{esc(intro)}</p><p>{esc(action)}</p>"
        f'<p><a href="{esc(link)}" style="display:inline-block;padding:12px 20px;'
        "background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px;"
        f'font-weight:bold;">{esc(words["confirm_button"])}</a></p>'
        f'<p style="font-size:14px;word-break:break-all;"><a href="{esc(link)}">{esc(link)}</a></p>'
        f'<p style="font-size:14px;color:#4b5563;">{esc(ignore)}</p>'
        f'<p style="font-size:13px;color:#4b5563;">{esc(footer).replace(chr(10), "<br>")}</p>'
        "</body></html>"
    )
    msg.add_alternative(body, subtype="html", charset="utf-8", cte="quoted-printable")
    return dkim_sign(msg, config)


class ConfirmationSender:
    """Sends confirmation messages, and the welcome message once a link is used
    (delivery/welcome.py), one after another on its own thread."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # (what, address, name, token): "confirm" a request, or "welcome" a subscriber
        self._queue: queue.Queue[tuple[str, str, str, str] | None] = queue.Queue(QUEUE_SIZE)
        self._thread = threading.Thread(target=self._work, name="confirmations", daemon=True)
        self._thread.start()

    def send(self, email: str, name: str, token: str) -> None:
        try:
            self._queue.put_nowait(("confirm", email, name, token))
        except queue.Full:
            log.error("confirmation not sent: %d already waiting for the relay", QUEUE_SIZE)
            self._void(token)

    def welcome(self, email: str) -> None:
        """Welcome a subscriber just confirmed, as the state has them when it goes out."""
        try:
            self._queue.put_nowait(("welcome", email, "", ""))
        except queue.Full:
            log.error("welcome message not sent: %d already waiting for the relay", QUEUE_SIZE)

    def close(self, timeout: float) -> bool:
        """Send what is queued, then stop; False if that took longer than `timeout`."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            what, email, name, token = item
            key = subscriber_key(email)
            if what == "welcome":
                self._welcome(email)
                continue
            try:
                msg = confirmation_message(
                    self.config, email, name, token, datetime.now(self.config.site.tz)
                )
                where = send_message(self.config, msg, message_name(email, token))
            except Exception as exc:  # the relay, the disk, a key: logged, and the link void
                log.error("confirmation to subscriber %s not sent: %s", key, exc)
                self._void(token)
                continue
            log.info("confirmation to subscriber %s sent (%s)", key, where.split(" ", 1)[0])

    def _welcome(self, email: str) -> None:
        key = subscriber_key(email)
        try:
            conn = open_db(self.config)
            try:
                subscriber = get_subscriber(conn, email)
            finally:
                conn.close()
            if subscriber is None or subscriber.status != "active":
                return  # left (or was erased) since
            where = send_welcome(self.config, subscriber, datetime.now(self.config.site.tz))
        except Exception as exc:  # the relay, the disk: logged; the subscription stands
            log.error("welcome message to subscriber %s not sent: %s", key, exc)
            return
        log.info("welcome message to subscriber %s sent (%s)", key, where.split(" ", 1)[0])

    def _void(self, token: str) -> None:
        try:
            conn = open_db(self.config)
            try:
                confirmation_not_sent(conn, token)
            finally:
                conn.close()
        except Exception as exc:
            log.error("could not record an unsent confirmation: %s", exc)
