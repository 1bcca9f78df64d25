"""The stored articles as people browse them (`syndicate articles`, the console's articles
page): newest first, a page at a time, searched. Keyset paging on (first_seen, id), so a
page costs the same whatever its place in the history.
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.store.db import Database, like_escaped
from syndicate.store.newsletters import article_digests, digest_summary


def article_page(
    conn: Database, *, search: str = "", after: tuple[str, str] | None = None, limit: int | None
) -> list[tuple[Any, dict]]:
    """Rows (with their decoded JSON) newest first by (first_seen, id): all of them, or a
    page after `after`; `search` matches any part of the stored article, case-insensitive
    for ASCII letters."""
    where, params = [], []
    if search.strip():
        where.append("LOWER(data) LIKE ? ESCAPE '\\'")
        params.append("%" + like_escaped(search.strip().lower()) + "%")
    if after is not None:
        where.append("(first_seen < ? OR (first_seen = ? AND id < ?))")
        params += [after[0], after[0], after[1]]
    sql = (
        "SELECT id, source, first_seen, published, updated, retracted_at, retract_reason,"
        " data FROM articles"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY first_seen DESC, id DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [(r, json.loads(r["data"])) for r in conn.execute(sql, params).fetchall()]


def article_record(conn: Database, article_id: str) -> dict[str, Any] | None:
    """What the store keeps beside an article's text: its file, when it was first seen, its
    digests (newsletters.article_digests: by newsletter; `digest` in one line, None while
    it waits), when and why it was retracted."""
    columns = ("source", "first_seen", "retracted_at", "retract_reason")
    row = conn.execute(
        f"SELECT {', '.join(columns)} FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    if row is None:
        return None
    done = article_digests(conn, [article_id]).get(article_id, {})
    return {k: row[k] for k in columns} | {"digest": digest_summary(done), "digests": done}
