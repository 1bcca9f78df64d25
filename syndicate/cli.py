"""Operator commands. Thin: parse arguments, call pipeline/store/service, print.

Exit codes (also in the README):
  0 ok · 2 usage error · 3 some inbox files were rejected (the rest was published) ·
  4 some deliveries failed (queued, retried next run) · 65 `inspect`: unusable article ·
  74 I/O error (permissions, disk full, damaged state) · 75 another run holds the lock ·
  78 configuration or template error
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import jinja2

from syndicate import __version__, pipeline, store
from syndicate.config import Config, ConfigError, load_config, parse_mailbox
from syndicate.model import Article
from syndicate.readers import ArticleError

EXIT_OK = 0
EXIT_REJECTED = 3
EXIT_DELIVERY_FAILED = 4
EXIT_DATAERR = 65
EXIT_LOCKED = 75
EXIT_IOERR = 74
EXIT_CONFIG = 78


def _err(message: str) -> None:
    print(f"syndicate: {message}", file=sys.stderr)


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {message}", file=sys.stderr)


# ---------------------------------------------------------------- run


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


REPORT_LIST_LIMIT = 8  # per category: the report must fit one screen after a big first run


def _listed(items: list[str]) -> list[str]:
    shown = [f"      {item}" for item in items[:REPORT_LIST_LIMIT]]
    if len(items) > REPORT_LIST_LIMIT:
        shown.append(f"      … and {len(items) - REPORT_LIST_LIMIT} more (`syndicate status`)")
    return shown


def format_report(report: pipeline.RunReport, config: Config, started: datetime) -> str:
    lines = [f"syndicate run · {started:%Y-%m-%d %H:%M %Z} · inbox {config.path('inbox')}"]
    for label, articles in (("new", report.new), ("updated", report.updated)):
        lines.append(f"  {label:<10}{len(articles):>4}")
        lines += _listed([f"{a.source}  “{_short(a.title)}”" for a in articles])
    lines.append(f"  {'unchanged':<10}{report.unchanged:>4}")
    if report.moved:
        lines.append(f"  {'moved':<10}{len(report.moved):>4}")
        lines += _listed([f"{old} → {new}" for old, new in report.moved])
    skipped = report.rejected + report.still_rejected + report.waiting
    lines.append(f"  {'skipped':<10}{len(skipped):>4}")
    # Fresh rejections first: they are what the operator has to act on now.
    lines += _listed(
        [f"{r.source}: {r.reason}" for r in report.rejected]
        + [f"{r.source}: {r.reason}" for r in report.waiting]
        + [f"{r.source}: {r.reason} (unchanged since; fix the file)" for r in report.still_rejected]
    )
    feeds_dir = config.path("feeds")
    if report.feeds_written:
        lines.append(f"  feeds      written to {feeds_dir}: {', '.join(report.feeds_written)}")
    else:
        lines.append(f"  feeds      unchanged in {feeds_dir}")
    if report.digest_id:
        shown = min(report.digest_articles, config.digest.max_articles)
        counted = f" ({shown} shown)" if shown < report.digest_articles else ""
        lines.append(
            f"  digest     {report.digest_id}: {report.digest_articles} article(s){counted},"
            f" web version {feeds_dir / 'digests' / (report.digest_id + '.html')}"
        )
    else:
        lines.append("  digest     none (no new articles since the last digest)")
    if report.sent or report.failed:
        where = (
            f"{config.delivery.smtp_host}:{config.delivery.smtp_port}"
            if config.delivery.method == "smtp"
            else str(config.path("outbox"))
        )
        lines.append(
            f"  delivery   {report.sent} sent via {config.delivery.method} ({where}),"
            f" {len(report.failed)} failed"
        )
        lines += _listed(report.failed)
    lines += [f"  warning    {w}" for w in report.warnings]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    started = datetime.now(config.site.tz)
    try:
        report = pipeline.run(
            config,
            trigger="cli",
            with_digest=not args.no_digest,
            progress=_progress,
            retry_failed=args.retry_failed,
        )
    except pipeline.RunInProgress as exc:
        _err(str(exc))
        return EXIT_LOCKED
    trouble = report.rejected or report.failed or report.warnings
    if not args.quiet or trouble:
        print(format_report(report, config, started))
    if report.rejected:
        return EXIT_REJECTED
    if report.failed:
        return EXIT_DELIVERY_FAILED
    return EXIT_OK


# ---------------------------------------------------------------- inspect / preview


def article_json(article: Article) -> dict:
    return {
        "title": article.title,
        "author": {"name": article.author.name, "bio": article.author.bio}
        if article.author
        else None,
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


def cmd_inspect(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.path)
    if not path.exists() and not path.is_symlink():
        _err(f"{path}: no such file")
        return EXIT_DATAERR
    try:
        article = pipeline.understand(path, config)
    except ArticleError as exc:
        _err(f"{path}: {exc}")
        return EXIT_DATAERR
    except OSError as exc:
        _err(f"{path}: {exc.strerror or exc}")
        return EXIT_DATAERR
    data = article_json(article)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    author = article.author
    print(f"title:     {data['title']}")
    print(f"author:    {author.name if author else '(none found)'}")
    if author and author.bio:
        print(f"bio:       {_short(author.bio, 200)}")
    print(f"language:  {data['language']}")
    print(f"published: {data['published'] or '(not given: first-seen time is used)'}")
    print(f"url:       {data['url'] or '(none: our own page is the link)'}")
    print(f"tags:      {', '.join(data['tags']) or '(none)'}")
    print(f"sections:  {' | '.join(data['sections']) or '(none)'}")
    print(f"related:   {' | '.join(data['related']) or '(none)'}")
    print(f"\nsummary:\n  {data['summary']}\n\nkey bullets:")
    for bullet in data["bullets"]:
        print(f"  • {bullet}")
    print(f"\nbody:\n{data['body']}")
    return EXIT_OK


def cmd_preview(args: argparse.Namespace, config: Config) -> int:
    out = Path(args.out)
    try:
        paths = pipeline.preview(config, [Path(p) for p in args.articles], out)
    except ArticleError as exc:
        _err(str(exc))
        return EXIT_DATAERR
    if not paths:
        print("nothing to preview: no pending articles (name files to preview them)")
    for path in paths:
        print(path)
    return EXIT_OK


# ---------------------------------------------------------------- status / subscribers


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    if not config.db_path.exists():
        print(f"no state yet at {config.db_path}: run `syndicate run` first")
        return EXIT_OK
    conn = store.open_store(config.db_path)
    try:
        statuses = store.subscriber_statuses(conn)
        active = sum(1 for s in statuses.values() if s == "active")
        print(
            f"articles     {store.count_articles(conn)} stored,"
            f" {len(store.undigested_articles(conn))} waiting for the next digest"
        )
        print(f"subscribers  {active} active, {len(statuses) - active} unsubscribed")
        counts = store.delivery_counts(conn)
        print(
            f"deliveries   {counts.get('sent', 0)} sent, {counts.get('pending', 0)} pending,"
            f" {counts.get('failed', 0)} failed (retried next run)"
        )
        for d in store.failed_deliveries(conn):
            retry = (
                "retried next run"
                if d.attempts < store.MAX_ATTEMPTS
                else "gave up: fix the cause, then `syndicate run --retry-failed`"
            )
            print(
                f"failed       {d.digest_id} → {d.email}: {d.detail}"
                f" (attempt {d.attempts}/{store.MAX_ATTEMPTS}, {retry})"
            )
        for digest_id, created, n in store.digests(conn, limit=3):
            print(f"digest       {digest_id}  {created:%Y-%m-%d %H:%M}  {n} article(s)")
        for run in store.recent_runs(conn, limit=5):
            summary = run["summary"] or {"state": "unfinished (crashed or still running)"}
            brief = ", ".join(f"{k} {v}" for k, v in summary.items() if v)
            print(f"run #{run['id']:<6} {run['started'][:16]}  {run['trigger']:<9} {brief}")
        for source, reason, _at in store.rejections(conn):
            print(f"rejected     {source}: {reason}")
    finally:
        conn.close()
    return EXIT_OK


def _address(raw: str) -> tuple[str, str]:
    try:
        name, addr = parse_mailbox(raw)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a valid address: {exc}") from None
    return name, addr.lower()  # stored lower-cased: one subscriber per mailbox


def cmd_subscribers(args: argparse.Namespace, config: Config) -> int:
    conn = store.open_store(config.db_path)
    now = datetime.now(config.site.tz)
    try:
        if args.action == "list":
            statuses = store.subscriber_statuses(conn)
            for sub in store.subscribers(conn):
                print(f"{sub.email}\t{statuses[sub.email]}\t{sub.name}")
            return EXIT_OK
        try:
            name, addr = _address(args.address)
        except ValueError as exc:
            _err(str(exc))
            return 2
        if args.action == "add":
            outcome = store.add_subscriber(conn, addr, args.name or name, now, resubscribe=True)
            print(f"{addr}: {outcome}")
        else:
            found = store.unsubscribe(conn, now, email=addr)
            print(f"{addr}: {'unsubscribed' if found else 'not a subscriber'}")
    finally:
        conn.close()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from syndicate.service import serve

    return serve(config)


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="config file (default: ./config.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="syndicate",
        description="Publish an inbox of articles as RSS/Atom/JSON feeds and an email digest.",
        parents=[common],
        epilog="exit codes: 0 ok, 2 usage, 3 inbox files rejected, 4 deliveries failed,"
        " 65 unusable article (inspect), 74 I/O error, 75 another run is going,"
        " 78 config or template error",
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="read the inbox, publish feeds and digest")
    p.add_argument("--no-digest", action="store_true", help="refresh the feeds only")
    p.add_argument("--quiet", action="store_true", help="print nothing unless something failed")
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help=f"retry deliveries that failed {store.MAX_ATTEMPTS} times already",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", parents=[common], help="scheduled runs + HTTP until stopped")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("inspect", parents=[common], help="show what is understood of one file")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "preview", parents=[common], help="render the digest to files, deliver nothing"
    )
    p.add_argument("articles", nargs="*", metavar="ARTICLE", help="default: pending articles")
    p.add_argument("--out", default="preview", metavar="DIR", help="folder (default: preview)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("status", parents=[common], help="last runs, digests, deliveries")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("subscribers", parents=[common], help="list, add or remove subscribers")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="every address and its status")
    a = actions.add_parser("add", parents=[common], help="add (or re-activate) an address")
    a.add_argument("address", help="'Name <addr@example.org>' or addr@example.org")
    a.add_argument("--name", default="", help="display name")
    r = actions.add_parser("remove", parents=[common], help="unsubscribe an address")
    r.add_argument("address")
    p.set_defaults(func=cmd_subscribers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "config"):
        args.config = "config.toml"
    try:
        config = load_config(args.config)
        return args.func(args, config)
    except ConfigError as exc:  # also raised late, e.g. an unusable $SYNDICATE_DKIM_KEY
        _err(str(exc))
        return EXIT_CONFIG
    except jinja2.TemplateError as exc:
        where = f"{exc.filename}:{exc.lineno}: " if hasattr(exc, "lineno") else ""
        _err(f"template error: {where}{exc.message}; fix the template (paths.templates)")
        return EXIT_CONFIG
    except (OSError, sqlite3.DatabaseError, store.StateError) as exc:
        # Permissions, a full disk, a damaged state file: the operator's to fix, so say what
        # and where instead of a traceback. Nothing half-written was published (atomic writes,
        # per-step transactions); the next run picks up where this one stopped.
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _err(f"{where}{exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}")
        return EXIT_IOERR
