"""What `syndicate status` and `syndicate articles` show, as plain data: one JSON object for
machines (`--json`, the service's /api/status), the same facts as text for people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syndicate.config import Config
from syndicate.config.cadence import next_firing
from syndicate.digest.due import digest_due
from syndicate.inbox.changes import inbox_changes, inbox_files, source_name
from syndicate.store.articles import article_rows, get_article, rejections
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


def article_listing(conn: Database) -> list[dict[str, Any]]:
    """Every stored article, newest first: `syndicate articles`."""
    out = []
    for row in reversed(article_rows(conn)):
        article = get_article(conn, row.id)
        if article is None:
            continue
        out.append(
            {
                "id": row.id,
                "source": row.source,
                "title": article.title,
                "author": article.author.name if article.author else None,
                "language": article.language,
                "first_seen": _iso(row.first_seen),
                "published": _iso(row.published),
                "updated": _iso(row.updated),
                "digest": row.digest_id or ("skipped" if row.skipped else None),
                "retracted": _iso(row.retracted),
                "retract_reason": row.retract_reason,
            }
        )
    return out
