"""What `syndicate status` and `syndicate articles` show, as plain data: one JSON object for
machines (`--json`, the service's /api/status), the same facts as text for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syndicate.config import Config
from syndicate.config.cadence import next_firing
from syndicate.config.newsletters import Newsletter, chosen_newsletters
from syndicate.core.model import Article
from syndicate.digest.due import digest_due
from syndicate.inbox.changes import inbox_changes, inbox_files, source_name
from syndicate.store.article_rows import article_rows
from syndicate.store.articles import rejections
from syndicate.store.catalog import article_page
from syndicate.store.db import Database, schema_version, state_id
from syndicate.store.deliveries import (
    MAX_ATTEMPTS,
    delivery_counts,
    failed_deliveries,
    failed_for_good,
)
from syndicate.store.digests import count_all_resends, digests, last_digest
from syndicate.store.newsletters import (
    article_digests,
    count_holders,
    count_pending,
    count_skipped,
    digest_summary,
)
from syndicate.store.runs import recent_runs
from syndicate.store.subscribers import subscriber_counts


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def inbox(config: Config, conn: Database | None) -> dict[str, Any]:
    """The inbox files the next run will read: never read (`unread`), or changed since they
    were (`changed`); without a state, every file is unread."""
    if conn is None:
        unread, changed = [source_name(p, config.path("inbox")) for p in _listed(config)], []
    else:
        found = inbox_changes(conn, config)
        unread, changed = found.unread, found.changed
    return {
        "path": str(config.path("inbox")),
        "unread": len(unread),
        "changed": len(changed),
        "files": {"unread": unread, "changed": changed},
    }


def _listed(config: Config) -> list:
    return inbox_files(config.path("inbox")) if config.path("inbox").is_dir() else []


def status(
    conn: Database, config: Config, now: datetime, newsletter: str | None = None
) -> dict[str, Any]:
    """The state at a glance; `newsletter` (an id): its newsletter only, else every one.

    Each newsletter has its own pending set, schedule and verdict (`newsletters`). Only when
    one newsletter is shown are they also given site-wide (`articles.pending`,
    `schedule.digest`, `schedule.digest_due`, `schedule.digest_note`, as before #23): with
    several, a site-wide figure would be the first one's passed off as everyone's."""
    rows = article_rows(conn)
    shown = chosen_newsletters(config, newsletter)
    letters = [_newsletter(conn, config, n, now) for n in shown]
    one = letters[0] if len(letters) == 1 else None
    return {
        "state": {
            "path": conn.where,
            "schema": schema_version(conn),
            "id": state_id(conn),
        },
        "inbox": inbox(config, conn),
        "articles": {
            "stored": len(rows),
            **({"pending": one["pending"]} if one else {}),
            "retracted": sum(1 for r in rows if r.retracted),
            "skipped": count_skipped(conn),
        },
        "newsletters": letters,
        "subscribers": subscriber_counts(conn),
        "deliveries": {
            **dict.fromkeys(("sent", "pending", "failed", "in_doubt", "dropped"), 0),
            **delivery_counts(conn),
            "resends": count_all_resends(conn),
        },
        "failed_deliveries": [
            {
                "digest": d.digest_id,
                "email": d.email,
                "attempts": d.attempts,
                "max_attempts": MAX_ATTEMPTS,
                "detail": d.detail,
                "gave_up": d.attempts >= MAX_ATTEMPTS,
            }
            for d in failed_deliveries(conn)
        ],
        "failed_for_good": [
            {"digest": d.digest_id, "email": d.email, "status": d.status, "detail": d.detail}
            for d in failed_for_good(conn)
        ],
        "digests": [
            {"id": digest_id, "created": _iso(created), "articles": n, "newsletter": newsletter}
            for digest_id, created, n, newsletter in digests(conn, limit=5)
        ],
        "schedule": schedule(config, now, shown)
        | ({"digest_due": one["digest_due"], "digest_note": one["digest_note"]} if one else {}),
        "runs": recent_runs(conn, limit=5),
        "rejected": [
            {"source": source, "reason": reason, "at": _iso(at)}
            for source, reason, at in rejections(conn)
        ],
    }


def schedule(config: Config, now: datetime, shown: Sequence[Newsletter]) -> dict[str, Any]:
    """The publish job's cron and next firing; with one newsletter `shown`, its digest's
    too (with several, each one's is in status()'s `newsletters`)."""
    publish = config.schedule.publish
    found: dict[str, Any] = {
        "publish": {"cron": publish, "next": _iso(next_firing(publish, config.site.tz, now))}
    }
    if len(shown) == 1:
        cron = shown[0].schedule
        found["digest"] = {"cron": cron, "next": _iso(next_firing(cron, config.site.tz, now))}
    return found


def _newsletter(conn: Database, config: Config, n: Newsletter, now: datetime) -> dict[str, Any]:
    due, why = digest_due(conn, config, now, newsletter=n)
    last = last_digest(conn, n.id)
    return {
        "id": n.id,
        "name": n.name,
        "default": n.default,
        "schedule": n.schedule,
        "next": _iso(next_firing(n.schedule, config.site.tz, now)),
        "subscribers": count_holders(conn, n),
        "pending": count_pending(conn, n.id),
        "last_digest": last[0] if last else None,
        "digest_due": due,
        "digest_note": why,
    }


def article_listing(
    conn: Database,
    *,
    search: str = "",
    after: tuple[str, str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored articles, newest first (first seen, then id): every one for `syndicate
    articles`; the console pages through them (`after`: the (first_seen, id) of the last
    one shown; `limit`) and searches them (`search`: words in the title, author, file name
    or text). `digest`: the digests that had it (or `skipped`); `digests`: by newsletter
    id, "" while it waits for one."""
    found = article_page(conn, search=search, after=after, limit=limit)
    announced = article_digests(conn, [r["id"] for r, _data in found])
    return [
        {
            "id": r["id"],
            "source": r["source"],
            "title": data["title"],
            "author": (data["author"] or {}).get("name"),
            "language": data["language"],
            "first_seen": r["first_seen"],
            "published": r["published"],
            "updated": r["updated"],
            "digest": digest_summary(announced.get(r["id"], {})),
            "digests": announced.get(r["id"], {}),
            "retracted": r["retracted_at"],
            "retract_reason": r["retract_reason"],
        }
        for r, data in found
    ]


def article_facts(article: Article) -> dict[str, Any]:
    """What was understood of one article: `syndicate inspect` and the console's article
    page show the same."""
    return {
        "title": article.title,
        "author": {"name": article.author.name, "bio": article.author.bio}
        if article.author
        else None,
        "dek": article.dek,
        "language": article.language,
        "published": article.published.isoformat() if article.published else None,
        "url": article.url,
        "tags": list(article.tags),
        "summary": article.summary,
        "bullets": list(article.key_bullets),
        "sections": list(article.sections),
        "related": [r.title for r in article.related],
        "body": article.text,
    }
