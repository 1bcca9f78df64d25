"""Whether the next digest is due: the cadence (when the schedule last fired, and whether a
digest was made since), and the back catalogue a list must never mail on its own.

Decisions (issue #20): an automatic digest (`run`, the schedule, the run API with `due`)
never mails articles that were waiting before the list's first digest when there are more
of them than one digest shows: nothing is mailed until the operator says `digest skip` or
`run --digest now`; `status` and dry runs ask the same function, so they say the same
beforehand.
"""

from __future__ import annotations

from datetime import datetime

from syndicate.config import Config
from syndicate.config.cadence import digest_is_due
from syndicate.store.db import Database
from syndicate.store.digests import count_pending, last_digest


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


def digest_due(conn: Database, config: Config, now: datetime) -> tuple[bool, str]:
    """(due, why) by the cadence rule (config/cadence.py), pending articles included; never
    due for a back catalogue (back_catalogue)."""
    pending = count_pending(conn)
    if not pending:
        return False, "no new articles since the last digest"
    last = last_digest(conn)
    if held := back_catalogue(pending, last, config):
        return False, held
    expr, tz = config.schedule.digest, config.site.tz
    return digest_is_due(expr, tz, now, last[1] if last else None)
