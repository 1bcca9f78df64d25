"""The next digest: whether one is due (the cadence, kept between firings; the back
catalogue a list must never mail on its own), and making it in a run (pipeline.py).

Decisions (issue #20): an automatic digest (`run`, the schedule, the run API with `due`)
never mails articles that were waiting before the list's first digest when there are more
of them than one digest shows: nothing is mailed until the operator says `digest skip` or
`run --digest now`; `status` and dry runs ask the same function, so they say the same
beforehand. A digest is never made while `site.postal_address` is empty (its footer must
show it): the feeds are published, the articles wait, the run exits 78 naming the key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from syndicate import store
from syndicate.config import Config, ConfigError
from syndicate.core.report import RunReport

# "skip" (`syndicate digest skip`): read and publish, then mark every waiting article as
# digested without sending anything.
DigestMode = Literal["due", "now", "never", "skip"]
DIGEST_MODES: tuple[DigestMode, ...] = ("due", "now", "never")  # what a run may be asked for

# "Not due before": the cadence's verdict, kept until the schedule's next firing. Between
# firings the period does not change, so neither does the verdict while the schedule, the
# zone and the latest digest are the same; a run asking again reads it instead of reading
# the cron expression, whose library (APScheduler's CronTrigger) costs ~50 ms to import:
# half of a no-op run, on every run of a day whose articles wait for tomorrow's digest.
NOT_DUE_KEY = "digest_not_due"


def back_catalogue(pending: int, last: tuple[str, datetime] | None, config: Config) -> str:
    """Why an automatic digest must not mail the `pending` articles, or "": a list that has
    sent no digest yet finds more articles waiting than one digest shows
    (`digest.max_articles`). They were in the inbox before the list started (Mailchimp's
    RSS-to-email likewise mails only items newer than the campaign), so nothing is mailed
    until the operator says which: `digest skip`, or a digest made `now`. The Quick start's
    one sample article is not a back catalogue, and a list started with `digest skip`
    mails its next articles as usual."""
    if last is not None or pending <= config.digest.max_articles:
        return ""
    return (
        f"{pending} articles were waiting before this list's first digest, more than one"
        f" digest shows (digest.max_articles = {config.digest.max_articles}): the back"
        " catalogue is not mailed. Start the list without them: `syndicate digest skip`"
        " (the next new article makes the first digest); or mail them now:"
        " `syndicate run --digest now`"
    )


def digest_due(
    conn: store.Database, config: Config, now: datetime, *, remember: bool = False
) -> tuple[bool, str]:
    """(due, why) by the cadence rule, pending articles included; never due for a back
    catalogue (back_catalogue). `remember`: keep a "not due" verdict until the schedule's
    next firing (a run; `status` only reads it)."""
    pending = store.count_pending(conn)
    if not pending:
        return False, "no new articles since the last digest"
    last = store.last_digest(conn)
    if held := back_catalogue(pending, last, config):
        return False, held
    expr, tz = config.schedule.digest, config.site.tz
    marker = f"{expr}|{config.site.timezone}|{last[0] if last else ''}"
    kept = store.meta_value(conn, NOT_DUE_KEY)
    if kept is not None:
        kept_marker, _bar, until = kept.rpartition("|")
        upcoming = datetime.fromisoformat(until)
        if kept_marker == marker and now.astimezone(UTC) < upcoming:
            from syndicate.config.cadence import not_due_reason

            return False, not_due_reason(expr, upcoming.astimezone(tz))
    from syndicate.config.cadence import digest_is_due, next_firing

    due, why = digest_is_due(expr, tz, now, last[1] if last else None)
    if remember and not due and (upcoming := next_firing(expr, tz, now)) is not None:
        store.set_meta_value(conn, NOT_DUE_KEY, f"{marker}|{upcoming.astimezone(UTC).isoformat()}")
    return due, why


def make_digest(
    conn: store.Database,
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
        if report.new and (
            held := back_catalogue(store.count_pending(conn), store.last_digest(conn), config)
        ):
            report.notes.append(f"the next `syndicate run` sends no digest: {held}")
        return
    if mode == "skip":
        report.skipped_articles = store.skip_pending(conn, now)
        report.digest_note = (
            f"none: {report.skipped_articles} waiting article(s) marked as digested, nothing sent"
        )
        return
    if mode == "due":  # asked before the articles are decoded: most runs end here
        due, why = digest_due(conn, config, now, remember=True)
        if not due:
            report.digest_note = f"none now: {why}"
            return
    articles = store.undigested_articles(conn)
    if not articles:
        report.digest_note = "none (no new articles since the last digest)"
        return
    try:
        config.require_postal_address()
    except ConfigError as exc:  # the feeds are published; the articles wait for the fix
        report.config_problem = str(exc)
        report.digest_note = f"none: {exc}"
        return
    from syndicate.delivery.copies import render_stored_digest

    local_date = now.astimezone(config.site.tz).date().isoformat()
    digest_id = store.create_digest(conn, articles, now, local_date)
    report.digest_id = digest_id
    report.digest_articles = len(articles)
    report.recipients = store.count_queued(conn, digest_id)
    rendered[digest_id] = render_stored_digest(conn, config, digest_id)
