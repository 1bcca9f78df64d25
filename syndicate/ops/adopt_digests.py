"""`state adopt`, steps 2 to 4: digests, deliveries and subscribers.

2. Digests: every id in feeds/digests/ or the outbox is recorded, so it is never minted again
   (nor its Message-IDs); its articles are those its web version links to, plus as many
   older ones as it counts but does not show (a digest shows the newest
   `digest.max_articles`; its web version carries the whole count in a meta tag).
   Its creation time is its messages' Date: (else its web version's mtime).
3. Deliveries: every message in the outbox (Maildir new/ and cur/, .eml) is marked sent;
   its recipient is added as a subscriber if unknown, with the unsubscribe token its message
   carries. Resends are counted so their numbered Message-IDs are not reused.
4. Unsubscribes: the outputs hold no record of them: without any state, people who left
   since their last message would be active again; the report says so, and
   `--subscribers FILE.csv` (a `subscribers export`) applies their choices.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.config import Config
from syndicate.config.newsletters import newsletter_of_digest
from syndicate.ops.evidence import FeedEntry, WebDigest, read_digest_pages, read_outbox
from syndicate.ops.roster import import_csv, read_csv
from syndicate.site.feeds.entries import utc
from syndicate.store.article_rows import article_rows
from syndicate.store.db import Database
from syndicate.store.newsletters import article_digests
from syndicate.store.recovery import (
    adopt_delivery,
    adopt_digest,
    adopt_resends,
    adopt_subscriber,
    digest_ids,
)
from syndicate.store.subscribers import get_subscriber

if TYPE_CHECKING:
    from syndicate.ops.adopt import AdoptReport


def adopt_digests(
    conn: Database,
    config: Config,
    entries: dict[str, FeedEntry],
    first_seen: dict[str, datetime],
    report: AdoptReport,
) -> None:
    """Digests from their web versions and messages. Members: the entries a web version
    links to, and as many more as it did not show (`_hidden`), taken from the articles
    first seen no later than the digest was made (a digest takes all that wait), earliest
    first, by the earliest such digest with room. Where the number hidden is unknown (no
    count tag, a capped page, or no page: only messages), every such article is taken:
    erring that way never mails an article twice. Without the count, a back-dated article
    that arrived after a digest (its first sight unknown, guessed from its date) was taken
    into it: never mailed, and the digest's web version rewritten to list it."""
    pages = read_digest_pages(config.path("feeds"))
    messages = read_outbox(config.path("outbox"))
    dates: dict[str, datetime] = {}
    for m in messages:
        if m.date and m.resend == 0:
            dates[m.digest_id] = min(dates.get(m.digest_id, m.date), m.date)
    ids = sorted(set(pages) | {m.digest_id for m in messages})
    created = {
        d: dates.get(d) or (pages[d].written if d in pages else None) or _id_date(d, config)
        for d in ids
    }
    ids.sort(key=lambda d: (utc(created[d]), d))
    link_to_id = {e.link: e.id for e in entries.values() if e.link}
    rows = {r.id: r for r in article_rows(conn)}
    waiting = article_digests(conn)  # article → {newsletter: its digest, "skipped", ""}
    shown = {
        d: list(dict.fromkeys(link_to_id[h] for h in pages[d].links if h in link_to_id))
        if d in pages
        else []
        for d in ids
    }
    members = {d: list(shown[d]) for d in ids}
    room = {d: _hidden(pages.get(d), len(shown[d]), config.digest.max_articles) for d in ids}
    owners = {d: newsletter_of_digest(config, d) for d in ids}
    taken = {(owners[d], i) for d in ids for i in shown[d]}
    for article_id, fs in sorted(first_seen.items(), key=lambda item: (utc(item[1]), item[0])):
        row = rows.get(article_id)
        if row is None:
            continue
        for newsletter, done in waiting.get(article_id, {}).items():
            if done or (newsletter, article_id) in taken:
                continue  # in a digest of this newsletter, skipped, or shown by one
            # A retracted article is left out of web versions and their counts alike: it
            # takes no room (and is never mailed again wherever it lands).
            counted = not row.retracted
            owner = next(
                (
                    d
                    for d in ids
                    if owners[d] == newsletter
                    and utc(created[d]) >= utc(fs)
                    and (room[d] != 0 or not counted)
                ),
                None,
            )
            if owner is not None:
                members[owner].append(article_id)
                if counted and room[owner] is not None:
                    room[owner] -= 1
    existing = digest_ids(conn)
    for d in ids:
        extra = sorted(
            members[d][len(shown[d]) :],
            key=lambda i: (-utc(rows[i].published).timestamp(), i),
        )
        if d in existing:
            adopt_digest(conn, d, created[d], extra, owners[d])  # only marks the articles
            continue
        when = created[d].astimezone(config.site.tz)
        report.digests += adopt_digest(conn, d, when, shown[d] + extra, owners[d])


def _hidden(page: WebDigest | None, shown: int, max_articles: int) -> int | None:
    """How many of a digest's articles its web version does not show: its count tag says;
    a page without one that shows fewer than `digest.max_articles` was not capped (none);
    otherwise unknown (None: any article waiting when it was made may be one)."""
    if page is None:
        return None
    if page.article_count is not None:
        return max(page.article_count - shown, 0)
    return 0 if shown < max_articles else None


def _id_date(digest_id: str, config: Config) -> datetime:
    try:
        return datetime.fromisoformat(digest_id[:10]).replace(tzinfo=config.site.tz)
    except ValueError:
        return datetime.now(config.site.tz)


def adopt_outbox(conn: Database, config: Config, now: datetime, report: AdoptReport) -> None:
    resends: dict[tuple[str, str], tuple[int, datetime, str]] = {}
    for m in read_outbox(config.path("outbox")):
        at = m.date or now
        if m.token:
            report.subscribers += adopt_subscriber(conn, m.email, m.name, m.token, now)
        if m.resend:
            best = resends.get((m.digest_id, m.email))
            if best is None or best[0] < m.resend:
                resends[(m.digest_id, m.email)] = (m.resend, at, str(m.path))
            continue
        if get_subscriber(conn, m.email) is None:
            continue  # erased since: its deliveries carry only a hash
        report.deliveries += adopt_delivery(
            conn, m.digest_id, m.email, at.astimezone(config.site.tz), f"adopted: {m.path}"
        )
    for (digest_id, email), (n, at, where) in resends.items():
        report.resends += adopt_resends(conn, digest_id, email, n, at, where)
    if report.subscribers:
        report.warnings.append(
            f"{report.subscribers} subscriber(s) restored from the outbox as active: the outputs"
            " cannot tell who unsubscribed after their last message; apply your latest"
            " `syndicate subscribers export` (`subscribers import FILE.csv`: leaving wins)"
            " before the next digest"
        )


def apply_roster(
    conn: Database, config: Config, path: Path, now: datetime, report: AdoptReport
) -> None:
    rows = import_csv(conn, config, read_csv(path), str(path), now)
    report.warnings = [w for w in report.warnings if "restored from the outbox" not in w]
    report.warnings.append(f"{path}: {len(rows)} subscriber row(s) applied")
