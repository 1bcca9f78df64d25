"""What `syndicate status` and `syndicate articles` show, as plain data: one JSON object for
machines (`--json`, the service's /api/status), the same facts as text for people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syndicate.config import Config
from syndicate.config.cadence import next_firing
from syndicate.core.model import Article
from syndicate.digest.due import digest_due
from syndicate.inbox.changes import inbox_changes, inbox_files, source_name
from syndicate.store.articles import article_rows, rejections
from syndicate.store.catalog import article_page
from syndicate.store.db import Database, schema_version, state_id
from syndicate.store.deliveries import (
    MAX_ATTEMPTS,
    delivery_counts,
    failed_deliveries,
    failed_for_good,
)
from syndicate.store.digests import count_all_resends, count_pending, digests
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


def status(conn: Database, config: Config, now: datetime) -> dict[str, Any]:
    rows = article_rows(conn)
    due, why = digest_due(conn, config, now)
    return {
        "state": {
            "path": conn.where,
            "schema": schema_version(conn),
            "id": state_id(conn),
        },
        "inbox": inbox(config, conn),
        "articles": {
            "stored": len(rows),
            "pending": count_pending(conn),
            "retracted": sum(1 for r in rows if r.retracted),
            "skipped": sum(1 for r in rows if r.skipped),
        },
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
            {"id": digest_id, "created": _iso(created), "articles": n}
            for digest_id, created, n in digests(conn, limit=5)
        ],
        "schedule": schedule(config, now) | {"digest_due": due, "digest_note": why},
        "runs": recent_runs(conn, limit=5),
        "rejected": [
            {"source": source, "reason": reason, "at": _iso(at)}
            for source, reason, at in rejections(conn)
        ],
    }


def schedule(config: Config, now: datetime) -> dict[str, Any]:
    return {
        "publish": {
            "cron": config.schedule.publish,
            "next": _iso(next_firing(config.schedule.publish, config.site.tz, now)),
        },
        "digest": {
            "cron": config.schedule.digest,
            "next": _iso(next_firing(config.schedule.digest, config.site.tz, now)),
        },
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
    or text)."""
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
            "digest": r["digest_id"] or ("skipped" if r["skipped_at"] else None),
            "retracted": r["retracted_at"],
            "retract_reason": r["retract_reason"],
        }
        for r, data in article_page(conn, search=search, after=after, limit=limit)
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
