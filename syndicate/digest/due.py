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
from syndicate.config.newsletters import Newsletter, newsletters
from syndicate.store.db import Database
from syndicate.store.digests import last_digest
from syndicate.store.newsletters import count_pending


def back_catalogue(
    pending: int,
    last: tuple[str, datetime] | None,
    config: Config,
    newsletter: Newsletter | None = None,
) -> str:
    """Why an automatic digest must not mail the `pending` articles, or "": a list that has
    sent no digest yet finds more articles waiting than one digest shows
    (`digest.max_articles`). They were in the inbox before the list started (Mailchimp's
    RSS-to-email likewise mails only items newer than the campaign), so nothing is mailed
    until the operator says which: `digest skip`, or a digest made `now`. The Quick start's
    one sample article is not a back catalogue, and a list started with `digest skip`
    mails its next articles as usual."""
    if last is not None or pending <= config.digest.max_articles:
        return ""
    option = f" --newsletter {newsletter.id}" if newsletter is not None and newsletter.id else ""
    return (
        f"{pending} articles were waiting before this list's first digest, more than one"
        f" digest shows (digest.max_articles = {config.digest.max_articles}): the back"
        f" catalogue is not mailed. Start the list without them: `syndicate digest skip{option}`"
        " (the next new article makes the first digest); or mail them now:"
        f" `syndicate run --digest now{option}`"
    )


def digest_due(
    conn: Database, config: Config, now: datetime, *, newsletter: Newsletter | None = None
) -> tuple[bool, str]:
    """(due, why) by the cadence rule (config/cadence.py) for `newsletter` (None: the
    config's first), pending articles included; never due for a back catalogue
    (back_catalogue). Asked afresh on every run: each newsletter's schedule, its own last
    digest and its own pending set."""
    newsletter = newsletter or newsletters(config)[0]
    pending = count_pending(conn, newsletter.id)
    if not pending:
        return False, "no new articles since the last digest"
    last = last_digest(conn, newsletter.id)
    if held := back_catalogue(pending, last, config, newsletter):
        return False, held
    expr, tz = newsletter.schedule, config.site.tz
    return digest_is_due(expr, tz, now, last[1] if last else None, key=newsletter.schedule_key)
