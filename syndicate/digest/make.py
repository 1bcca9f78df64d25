"""The run's digest step: for each newsletter (config/newsletters.py), a digest made when one
is due (due.py), or the waiting articles skipped (`digest skip`), or the reason there is none.

A digest is never made while `site.postal_address` is empty (its footer must show it): the
feeds are published, the articles wait, the run exits 78 naming the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from syndicate.config import Config, ConfigError
from syndicate.config.newsletters import Newsletter, chosen_newsletters
from syndicate.core.report import MadeDigest, RunReport
from syndicate.delivery.copies import render_stored_digest
from syndicate.digest.due import back_catalogue, digest_due
from syndicate.store.db import Database
from syndicate.store.digests import count_queued, create_digest, last_digest, undigested_articles
from syndicate.store.newsletters import count_pending, skip_pending

# "skip" (`syndicate digest skip`): read and publish, then mark every waiting article as
# digested without sending anything.
DigestMode = Literal["due", "now", "never", "skip"]
DIGEST_MODES: tuple[DigestMode, ...] = ("due", "now", "never")  # what a run may be asked for


def make_digest(
    conn: Database,
    config: Config,
    now: datetime,
    report: RunReport,
    mode: DigestMode,
    rendered: dict,
    newsletter: str | None = None,
) -> None:
    """The run's digest step for `newsletter` (its id; None: every newsletter): by `mode`,
    digests made (ids, articles and recipients in the report, renderings in `rendered`),
    the waiting articles skipped, or the reason there is none in `report.digest_notes`."""
    chosen = chosen_newsletters(config, newsletter)
    if mode == "never":
        report.digest_notes.append("none (feeds only: --digest never)")
        for n in chosen if report.new else ():
            if held := back_catalogue(
                count_pending(conn, n.id), last_digest(conn, n.id), config, n
            ):
                named = f" for {n.label}" if n.id else ""
                report.notes.append(f"the next `syndicate run` sends no digest{named}: {held}")
        return
    if mode == "skip":
        report.skipped_articles = sum(skip_pending(conn, now, n.id) for n in chosen)
        report.digest_notes.append(
            f"none: {report.skipped_articles} waiting article(s) marked as digested, nothing sent"
        )
        return
    for n in chosen:
        try:
            made = _digest_for(conn, config, now, mode, n)
        except ConfigError as exc:  # the feeds are published; the articles wait for the fix
            report.config_problem = str(exc)
            made = f"none: {exc}"
        if isinstance(made, str):  # why there is none
            report.digest_notes.append(f"{n.id}: {made}" if n.id else made)
            continue
        report.digests.append(made)
        rendered[made.id] = render_stored_digest(conn, config, made.id)


def _digest_for(
    conn: Database, config: Config, now: datetime, mode: DigestMode, newsletter: Newsletter
) -> MadeDigest | str:
    """`newsletter`'s digest, made if it is due (or `now`), or why there is none."""
    if mode == "due":  # asked before the articles are decoded: most runs end here
        due, why = digest_due(conn, config, now, newsletter=newsletter)
        if not due:
            return f"none now: {why}"
    articles = undigested_articles(conn, newsletter.id)
    if not articles:
        return "none (no new articles since the last digest)"
    config.require_postal_address()  # ConfigError: no digest without it
    local_date = now.astimezone(config.site.tz).date().isoformat()
    digest_id = create_digest(conn, articles, now, local_date, newsletter)
    return MadeDigest(digest_id, newsletter.id, len(articles), count_queued(conn, digest_id))
