"""When a digest is due: the cron schedule read backwards.

The rule (README, "Cadence"): a digest is due when there are articles in no digest yet and no
digest was created since the most recent firing of `schedule.digest` at or before now; the
very first digest is due at once. Manual runs, the scheduled job and the HTTP API all ask
this one function, so a restart, a retried job or a manual run in the same period can never
make a second digest. Periods are the firings of the cron expression in `site.timezone`;
two firings at the same wall-clock time (the repeated hour when DST ends) are one period.

APScheduler's CronTrigger only looks forward, so the previous firing is found by stepping
back until a firing lies at or before now, then walking forward to the last one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_TICK = timedelta(microseconds=1)
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far back to look for the previous firing: far enough for a yearly (or Feb 29) cron.
_LOOKBACK = (
    timedelta(minutes=1),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=4 * 366 + 1),
)


def cron_trigger(expr: str, timezone: Any) -> Any:
    """A standard 5-field crontab line as an APScheduler trigger, Sunday = 0 or 7 as in cron.

    APScheduler counts day-of-week 0 as Monday (a trap: crontab counts it Sunday): numbers are
    translated to names, which mean the same to both.
    """
    from apscheduler.triggers.cron import CronTrigger  # a heavy edge: where a schedule is read

    minute, hour, day, month, dow = expr.split()
    # Numbers after "/" are steps, not days; every other number is a crontab weekday.
    dow = re.sub(r"(?<![/\d])\d+", lambda m: _weekday_name(int(m.group())), dow)
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=timezone
    )


def _weekday_name(number: int) -> str:
    if number >= len(_DOW_NAMES):
        raise ValueError(f"day of week {number} is out of range 0-7 (Sunday is 0 or 7)")
    return _DOW_NAMES[number]


def next_firing(expr: str, timezone: Any, now: datetime) -> datetime | None:
    """The first firing strictly after `now`."""
    return cron_trigger(expr, timezone).get_next_fire_time(None, _shift(now, _TICK))


def previous_firing(expr: str, timezone: Any, now: datetime) -> datetime | None:
    """The start of the period `now` is in: the last firing at or before `now`.

    A firing that repeats the wall-clock time of the one before it (DST fall-back) belongs
    to the same period, so the earlier one is returned.
    """
    trigger = cron_trigger(expr, timezone)
    found = _last_firing(trigger, now, inclusive=True)
    if found is None:
        return None
    earlier = _last_firing(trigger, found, inclusive=False)
    if earlier is not None and _wall(earlier) == _wall(found):
        return earlier
    return found


def _last_firing(trigger: Any, moment: datetime, *, inclusive: bool) -> datetime | None:
    # Compared in UTC: Python compares two datetimes of the same zone by wall clock, so
    # 01:30 EST would count as earlier than 01:45 EDT although it is 45 minutes later.
    limit = moment.astimezone(UTC)

    def in_range(t: datetime) -> bool:
        return t.astimezone(UTC) <= limit if inclusive else t.astimezone(UTC) < limit

    for back in _LOOKBACK:
        found = trigger.get_next_fire_time(None, _shift(moment, -back))
        if found is None or not in_range(found):
            continue
        while True:
            later = trigger.get_next_fire_time(found, _shift(found, _TICK))
            if later is None or not in_range(later):
                return found
            found = later
    return None


def _shift(moment: datetime, delta: timedelta) -> datetime:
    # In UTC: aware-datetime arithmetic is wall-clock arithmetic and drops `fold`, so
    # "01:30 EST + 1 µs" would land back on 01:30 EDT, an hour earlier.
    return moment.astimezone(UTC) + delta


def _wall(moment: datetime) -> tuple[int, ...]:
    return moment.timetuple()[:6]


def digest_is_due(
    expr: str,
    timezone: Any,
    now: datetime,
    last_digest: datetime | None,
    *,
    key: str = "schedule.digest",
) -> tuple[bool, str]:
    """(due, why) for a run at `now` whose latest digest was created at `last_digest`; `key`
    names the schedule in the "not due" verdict (a newsletter's own, #23).

    Pending articles are the caller's part of the rule; this is the schedule's part.
    """
    if last_digest is None:
        return True, "first digest"
    period = previous_firing(expr, timezone, now)
    if period is None or last_digest.astimezone(UTC) < period.astimezone(UTC):
        return True, "due since " + (f"{period:%Y-%m-%d %H:%M %Z}" if period else "the start")
    return False, not_due_reason(expr, next_firing(expr, timezone, now), key)


def not_due_reason(expr: str, upcoming: datetime | None, key: str = "schedule.digest") -> str:
    when = f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never (the schedule has no future)"
    return f"not due: digest already made this period ({key} {expr!r}); next due {when}"
