"""The subscribers as the console browses them: a page of the list (keyset paging, with each
one's language and newsletters) and its growth over time. Apart from store/subscribers.py,
which changes the list; these only read it.
"""

from __future__ import annotations

from typing import NamedTuple

from syndicate.store.db import Database, like_escaped


class SubscriberRow(NamedTuple):
    """One line of the console's list of subscribers."""

    email: str
    name: str
    status: str
    language: str  # "" = the site's
    newsletters: str  # the ids held, separated by spaces; "" = the default ones
    added: str
    changed: str


def subscriber_page(
    conn: Database, *, status: str = "", search: str = "", after: str = "", limit: int = 100
) -> list[SubscriberRow]:
    """A page of subscribers in address order after the address `after` (keyset paging on
    the primary key, or on `subscribers_status` for one status: a page reads its own rows
    only, whatever its place among 100,000). `search`: part of the address or the name,
    case-insensitive for ASCII letters (this one reads every row: a substring has no
    index)."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if after:
        where.append("email > ?")
        params.append(after)
    if search.strip():
        pattern = "%" + like_escaped(search.strip().lower()) + "%"
        where.append("(email LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    sql = f"SELECT {', '.join(SubscriberRow._fields)} FROM subscribers"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = conn.execute(sql + " ORDER BY email LIMIT ?", (*params, limit)).fetchall()
    return [SubscriberRow(*(r[k] for k in SubscriberRow._fields)) for r in rows]


def subscriber_growth(conn: Database, since: str) -> tuple[dict[str, int], dict[str, int], int]:
    """For the console's growth chart: subscribers added per day since the day `since`
    (YYYY-MM-DD, the site's time zone as stored), those who left (unsubscribed, bounced,
    complained) per day, and the active count before `since`. From each row's latest
    state: someone who left and came back counts as added once and never left."""

    def per_day(sql: str) -> dict[str, int]:
        rows = conn.execute(sql, (since,)).fetchall()
        return {r["day"]: r["n"] for r in rows}

    joined = per_day(
        "SELECT SUBSTR(added, 1, 10) AS day, COUNT(*) AS n FROM subscribers"
        " WHERE SUBSTR(added, 1, 10) >= ? AND status NOT IN ('pending') GROUP BY day"
    )
    left = per_day(
        "SELECT SUBSTR(changed, 1, 10) AS day, COUNT(*) AS n FROM subscribers"
        " WHERE SUBSTR(changed, 1, 10) >= ?"
        " AND status IN ('unsubscribed', 'bounced', 'complained') GROUP BY day"
    )
    before = conn.execute(
        "SELECT COUNT(*) AS n FROM subscribers WHERE SUBSTR(added, 1, 10) < ?"
        " AND (status = 'active' OR (status <> 'pending' AND SUBSTR(changed, 1, 10) >= ?))",
        (since, since),
    ).fetchone()["n"]
    return joined, left, before
