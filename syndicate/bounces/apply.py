"""What came back, applied to the state: `syndicate bounces PATH`.

Each message of a Maildir or mbox is classified by `syndicate.bounces` (a pure parser: RFC
3464 DSNs, RFC 5965 complaints, unsubscribe requests, auto-replies …) and matched to the
delivery it is about. Anyone can mail the bounce address, so a report must *prove* it is
about a message we sent before it changes anything:
1. the VERP token of the address it came back to (`bounces+<digest>.<subscriber>.<mac>@…`),
   accepted only with a valid MAC (the secret lives in the state: nobody can forge a bounce
   that suppresses someone else);
2. else our Message-ID in the returned headers (`<digest.<key><MAC>@site>`, with a MAC
   made with the same secret: bounces.message_mark) of a delivery we made to that
   subscriber.
A report that names a subscriber only as its failed recipient (Final-Recipient,
Original-Rcpt-To, a "user unknown" line) proves nothing: a 20-line DSN naming anyone's
address is easy to write. It is listed as unmatched and changes nothing, so a forger cannot
unsubscribe a victim. (Until #21 it suppressed: "matched by recipient".)

Both proofs carry a MAC nobody can compute without the state's secret: digest ids are
public (the web versions) and a subscriber key is only a hash of the address, so a
Message-ID made of those two alone (as they were before) could be written by anyone who
knows a victim's address.

Then: a hard bounce suppresses the address (`bounced`), a complaint too (`complained`);
soft bounces suppress it after `delivery.soft_bounce_limit` digests in a row bounced softly
(a digest delivered without a bounce ends the streak); an unsubscribe request carrying the
subscriber's own token (the List-Unsubscribe `mailto:`) unsubscribes. Delay warnings,
auto-replies, challenges and anything unrecognised change nothing. Suppressed addresses get
nothing more: their queued deliveries are dropped, and lists never re-add them.

Reading the same mailbox twice changes nothing more: each delivery records what came back
for it once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from syndicate.bounces.marks import verify_message_mark, verify_verp
from syndicate.bounces.returned import Kind
from syndicate.config import Config
from syndicate.digest.headers import site_domain
from syndicate.store.bounces import (
    has_delivery,
    latest_sent_digest,
    record_bounce,
    set_soft_bounces,
    soft_bounce_streak,
    subscriber_status,
    subscribers_by_key,
)
from syndicate.store.db import Database
from syndicate.store.deliveries import state_secret
from syndicate.store.subscribers import subscriber_by_token, unsubscribe

_OUR_ID = re.compile(r"<(?P<digest>[A-Za-z0-9.-]+)\.(?P<mark>[0-9a-f]{32})@(?P<domain>[^<>@\s]+)>")


@dataclass
class ReturnsReport:
    read: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by kind of report
    suppressed: list[str] = field(default_factory=list)  # "address: why"
    unsubscribed: list[str] = field(default_factory=list)
    soft: list[str] = field(default_factory=list)  # "address: n in a row"
    already: int = 0  # reports about something already recorded or suppressed
    unmatched: list[str] = field(default_factory=list)  # "source: kind, why"
    ignored: list[str] = field(default_factory=list)  # requests that prove nothing

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "kinds": dict(sorted(self.counts.items())),
            "suppressed": self.suppressed,
            "unsubscribed": self.unsubscribed,
            "soft_bounces": self.soft,
            "already_handled": self.already,
            "unmatched": self.unmatched,
            "ignored": self.ignored,
        }


class _Matcher:
    def __init__(self, conn: Database, config: Config) -> None:
        self.conn, self.config = conn, config
        self.secret = state_secret(conn, "verp")
        self.keys = subscribers_by_key(conn)

        self.domains = {config.site.domain.lower(), site_domain(config).lower()}

    def match(self, report) -> tuple[str | None, str | None, str]:
        """(digest id or None, subscriber address, how it was proved), or (None, None, why
        the report proves nothing)."""
        forged = ""
        if report.verp_token:
            found = verify_verp(report.verp_token, self.secret)
            if found and found[1] in self.keys:
                digest_id, email = found[0], self.keys[found[1]]
                if not has_delivery(self.conn, digest_id, email):
                    digest_id = latest_sent_digest(self.conn, email)
                return digest_id, email, "VERP"
            forged = "a VERP address whose MAC is wrong or whose subscriber is unknown; "
        ours = _OUR_ID.fullmatch(report.message_id or "")
        if ours and ours["domain"].lower() in self.domains:
            key = verify_message_mark(ours["digest"], ours["mark"], self.secret)
            email = self.keys.get(key) if key else None
            if email and has_delivery(self.conn, ours["digest"], email):
                return ours["digest"], email, "Message-ID"
            if key is None:
                forged += "a Message-ID of our form whose MAC is wrong; "
        named = [a for a in report.recipients if subscriber_status(self.conn, a)]
        if named:
            return (
                None,
                None,
                f"{forged}names {', '.join(named[:3])} but carries neither our VERP address"
                " nor one of our Message-IDs: no proof, nothing changed",
            )
        return None, None, forged + (report.detail or "no VERP address or Message-ID of ours")


def process_returns(
    conn: Database, config: Config, reports: Iterable, now: datetime
) -> ReturnsReport:
    """Apply every report (from `syndicate.bounces.read_maildir`/`read_mbox`) to the state."""
    result = ReturnsReport()
    matcher = _Matcher(conn, config)
    limit = config.delivery.soft_bounce_limit
    for report in reports:
        result.read += 1
        kind = str(report.kind)
        result.counts[kind] = result.counts.get(kind, 0) + 1
        where = report.source or "?"
        if report.kind == Kind.UNSUBSCRIBE:
            _unsubscribe_request(conn, report, now, result, where)
            continue
        if report.kind not in (Kind.HARD_BOUNCE, Kind.SOFT_BOUNCE, Kind.COMPLAINT):
            continue
        digest_id, email, how = matcher.match(report)
        if email is None:
            result.unmatched.append(f"{where}: {kind} ({how})")
            continue
        what = _what(report)
        if digest_id is not None and not record_bounce(conn, digest_id, email, what):
            result.already += 1
            continue
        if report.kind == Kind.SOFT_BOUNCE:
            streak = soft_bounce_streak(conn, email, digest_id) if digest_id else 1
            set_soft_bounces(conn, email, streak)
            result.soft.append(f"{email}: {what}, {streak} in a row (by {how})")
            if streak < limit:
                continue
            what = f"{streak} soft bounces in a row, last {what}"
        status = "complained" if report.kind == Kind.COMPLAINT else "bounced"
        if subscriber_status(conn, email) in ("active", "pending"):
            unsubscribe(conn, now, email=email, status=status)
            result.suppressed.append(f"{email}: {status} ({what}; matched by {how})")
        else:
            result.already += 1
    return result


def _what(report) -> str:
    if report.kind == Kind.COMPLAINT:
        return f"complaint {report.feedback_type or 'abuse'}".strip()
    kind = "hard" if report.kind == Kind.HARD_BOUNCE else "soft"
    detail = " ".join(report.diagnostic.split())[:200]
    return " ".join(x for x in (kind, report.status, detail) if x)


def _unsubscribe_request(
    conn: Database, report, now: datetime, result: ReturnsReport, where: str
) -> None:
    if not report.unsubscribe_token:
        # Anyone can send mail "from" anyone: without the subscriber's secret token the
        # request proves nothing. The List-Unsubscribe mailto: carries it.
        result.ignored.append(
            f"{where}: unsubscribe request from {report.sender or '?'} without a token"
        )
        return
    status = None
    row = subscriber_by_token(conn, report.unsubscribe_token)
    if row is not None:
        status = row.status
    if row is None:
        result.ignored.append(f"{where}: unsubscribe request with an unknown token")
    elif status in ("active", "pending"):
        unsubscribe(conn, now, token=report.unsubscribe_token)
        result.unsubscribed.append(f"{row.email}: by mail ({report.sender or 'no sender'})")
    else:
        result.already += 1
