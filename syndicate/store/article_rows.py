"""What the store knows of every article without decoding it: its light row (ids, file,
dates, data hash, retraction, topics), read from the covering index `articles_rows`
(schema.py) in archival order. Every publish with something to do reads them all, so the
feeds, the site's lists and the topic feeds know which outputs a change touches without
decoding any article.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from syndicate.core.model import epoch_seconds
from syndicate.store.db import Database


class ArticleRow(NamedTuple):
    """What the store knows of an article without decoding it: enough to decide whether any
    of its outputs must be rendered again, and for `syndicate articles`. A tuple: every
    publish that has something to do reads one per stored article."""

    id: str
    source: str
    slug: str
    first_seen: datetime
    published: datetime
    updated: datetime
    data_hash: str
    retracted: datetime | None
    retract_reason: str | None
    topics: str | None  # its feed folders ("lang/en tags/ports"); None: not known yet
    # The same instants as whole epoch seconds (model.epoch_seconds), made once here: the
    # feeds and the site's lists order and cut every row by them, and an aware datetime's
    # timestamp() costs ~1 µs (30,000 calls a run at 10,000 articles, twice).
    first_seen_s: int = 0
    published_s: int = 0
    updated_s: int = 0


# Read from the covering index `articles_rows` (schema.py), never from the rows' `data`.
ARTICLE_ROWS_SQL = (
    "SELECT id, source, slug, first_seen, published, updated, data_hash, retracted_at,"
    " retract_reason, topics FROM articles ORDER BY first_seen, id"
)


def article_rows(conn: Database) -> list[ArticleRow]:
    """Every article's row in archival order (first seen, then id)."""
    rows = conn.execute(ARTICLE_ROWS_SQL).fetchall()

    parse, seconds = datetime.fromisoformat, epoch_seconds
    found = []
    for r in rows:
        # An instant is parsed (and turned into seconds) once per row: updated is usually
        # published, and published is first_seen for an article that gave no date. Those
        # two steps are most of this loop, which runs for every article on every publish.
        first_seen = parse(r[3])
        first_seen_s = seconds(first_seen)
        if r[4] == r[3]:
            published, published_s = first_seen, first_seen_s
        else:
            published = parse(r[4])
            published_s = seconds(published)
        if r[5] == r[4]:
            updated, updated_s = published, published_s
        else:
            updated = parse(r[5])
            updated_s = seconds(updated)
        found.append(
            ArticleRow(
                r[0],
                r[1],
                r[2],
                first_seen,
                published,
                updated,
                r[6] or "",
                parse(r[7]) if r[7] else None,
                r[8],
                r[9],
                first_seen_s,
                published_s,
                updated_s,
            )
        )
    return found


def set_topics(conn: Database, topics: Mapping[str, str]) -> None:
    """Record the topics (core/topics.py) of articles stored before they were kept."""
    conn.executemany(
        "UPDATE articles SET topics = ? WHERE id = ?", [(t, i) for i, t in topics.items()]
    )
