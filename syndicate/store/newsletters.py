"""Each newsletter's articles (#23): which articles wait for its next digest, which went into
which of its digests, which were skipped. One row per (newsletter, article) in
`newsletter_articles`, written when an article is stored (config/newsletters.py says which
newsletters take it) and when a digest is made or skipped.

Storing an article enters it (store/articles.py `enroll_article`, in the same transaction).
Who holds a newsletter is asked here too (`holders_where`): the one answer the digest's
queue, `status` and the preference page's change share.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.store.articles import mark_articles_changed
from syndicate.store.db import Database, iso, rows_in, transaction
from syndicate.store.schema import PENDING_WHERE

if TYPE_CHECKING:
    from syndicate.config.newsletters import Newsletter

# An article waits for a newsletter's digest: its row there has no digest and no skip (the
# words of the partial index newsletter_pending), and the article is not retracted.
_PENDING = (
    " FROM newsletter_articles n JOIN articles a ON a.id = n.article_id"
    f" WHERE n.newsletter = ? AND {PENDING_WHERE} AND a.retracted_at IS NULL"
)
PENDING_SQL = "SELECT a.data" + _PENDING + " ORDER BY a.published DESC, a.id"


def count_pending(conn: Database, newsletter: str = "") -> int:
    """How many articles wait for `newsletter`'s next digest."""
    return conn.execute("SELECT COUNT(*) AS n" + _PENDING, (newsletter,)).fetchone()["n"]


def skip_pending(conn: Database, now: datetime, newsletter: str = "") -> int:
    """`digest skip`: every article waiting for `newsletter`'s digest never goes into it."""
    with transaction(conn):
        mark_articles_changed(conn)
        cur = conn.execute(
            "UPDATE newsletter_articles SET skipped_at = ? WHERE newsletter = ?"
            " AND digest_id IS NULL AND skipped_at IS NULL AND article_id IN"
            " (SELECT id FROM articles WHERE retracted_at IS NULL)",
            (iso(now), newsletter),
        )
        return cur.rowcount


def article_digests(
    conn: Database, ids: Collection[str] | None = None
) -> dict[str, dict[str, str]]:
    """article id → {newsletter id: the digest that had it, "skipped", or "" while it
    waits} for every newsletter that took it, of the articles `ids` (None: every article):
    `syndicate articles`, the console's article pages, `state adopt`."""
    out: dict[str, dict[str, str]] = {}
    sql = "SELECT article_id, newsletter, digest_id, skipped_at FROM newsletter_articles WHERE"
    for r in rows_in(conn, sql, "article_id", ids):
        done = r["digest_id"] or ("skipped" if r["skipped_at"] else "")
        out.setdefault(r["article_id"], {})[r["newsletter"]] = done
    return out


def digest_summary(done: dict[str, str]) -> str | None:
    """One article's digests in one line (article_digests' value): the digests that had it,
    "skipped" where a newsletter skipped it; None while it waits for every one (or none
    took it)."""
    return ", ".join(dict.fromkeys(v for v in done.values() if v)) or None


def count_skipped(conn: Database) -> int:
    """Articles skipped (`digest skip`) by every newsletter that had them waiting."""
    return conn.execute(
        "SELECT COUNT(DISTINCT article_id) AS n FROM newsletter_articles"
        " WHERE skipped_at IS NOT NULL"
    ).fetchone()["n"]


def holders_where(newsletter: Newsletter | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE (over `subscribers`) of the active subscribers who get `newsletter`'s
    digests, and its parameters: everyone active for the one digest of a config without
    [[newsletters]] (None, or id ""); else those who hold its id, and for a default one
    also those who chose nothing. Ids hold no LIKE wildcard (checks.newsletter_id)."""
    if newsletter is None or not newsletter.id:
        return "status = 'active'", ()
    chose_nothing = " OR newsletters = ''" if newsletter.default else ""
    where = f"status = 'active' AND (' ' || newsletters || ' ' LIKE ?{chose_nothing})"
    return where, (f"% {newsletter.id} %",)


def count_holders(conn: Database, newsletter: Newsletter | None) -> int:
    """How many active subscribers get `newsletter`'s digests."""
    where, params = holders_where(newsletter)
    return conn.execute(f"SELECT COUNT(*) AS n FROM subscribers WHERE {where}", params).fetchone()[
        "n"
    ]
