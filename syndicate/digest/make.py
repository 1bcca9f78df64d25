"""The run's digest step: a digest made when one is due (due.py), or the waiting articles
skipped (`digest skip`), or the reason there is none.

A digest is never made while `site.postal_address` is empty (its footer must show it): the
feeds are published, the articles wait, the run exits 78 naming the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from syndicate.config import Config, ConfigError
from syndicate.core.report import RunReport
from syndicate.delivery.copies import render_stored_digest
from syndicate.digest.due import back_catalogue, digest_due
from syndicate.store.articles import skip_pending
from syndicate.store.db import Database
from syndicate.store.digests import (
    count_pending,
    count_queued,
    create_digest,
    last_digest,
    undigested_articles,
)

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
) -> None:
    """The run's digest step: by `mode`, a digest made (its id, articles and recipients in
    the report, its rendering in `rendered`), the waiting articles skipped, or the reason
    there is none in `report.digest_note`."""
    if mode == "never":
        report.digest_note = "none (feeds only: --digest never)"
        if report.new and (held := back_catalogue(count_pending(conn), last_digest(conn), config)):
            report.notes.append(f"the next `syndicate run` sends no digest: {held}")
        return
    if mode == "skip":
        report.skipped_articles = skip_pending(conn, now)
        report.digest_note = (
            f"none: {report.skipped_articles} waiting article(s) marked as digested, nothing sent"
        )
        return
    if mode == "due":  # asked before the articles are decoded: most runs end here
        due, why = digest_due(conn, config, now)
        if not due:
            report.digest_note = f"none now: {why}"
            return
    articles = undigested_articles(conn)
    if not articles:
        report.digest_note = "none (no new articles since the last digest)"
        return
    try:
        config.require_postal_address()
    except ConfigError as exc:  # the feeds are published; the articles wait for the fix
        report.config_problem = str(exc)
        report.digest_note = f"none: {exc}"
        return

    local_date = now.astimezone(config.site.tz).date().isoformat()
    digest_id = create_digest(conn, articles, now, local_date)
    report.digest_id = digest_id
    report.digest_articles = len(articles)
    report.recipients = count_queued(conn, digest_id)
    rendered[digest_id] = render_stored_digest(conn, config, digest_id)
