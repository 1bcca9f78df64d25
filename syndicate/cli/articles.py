"""Commands about articles: inspect, preview, articles, retract, rebuild."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import (
    EXIT_DATAERR,
    EXIT_OK,
    CommandError,
    err,
    require_state,
    say,
    short,
)
from syndicate.core.report import printable

if TYPE_CHECKING:
    from syndicate.config import Config
    from syndicate.core.model import Article


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="show what is understood of one file (no config or state needed)",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_inspect, config_optional=True)

    p = sub.add_parser(
        "preview", parents=[common], help="render the digest to files, deliver nothing"
    )
    p.add_argument("articles", nargs="*", metavar="ARTICLE", help="default: pending articles")
    p.add_argument("--out", default="preview", metavar="DIR", help="folder (default: preview)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("articles", parents=[common], help="list the stored articles")
    p.add_argument("--json", action="store_true", help="a JSON array on stdout")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser(
        "retract",
        parents=[common],
        help="take an article out of every feed, page and later digest (or --undo)",
        description="Retract an article: it leaves RSS and JSON Feed, Atom carries an RFC 6721"
        " tombstone, its page becomes a short notice, no later digest shows it, and its id is"
        " never reused. It stays retracted while its file stays in the inbox, until --undo.",
    )
    p.add_argument("article", metavar="ARTICLE", help="inbox path or feed id")
    p.add_argument("--reason", default="", help="why (kept in the state; never published)")
    p.add_argument("--undo", action="store_true", help="publish it again")
    p.set_defaults(func=cmd_retract)

    p = sub.add_parser(
        "rebuild",
        parents=[common],
        help="render every feed, archive page, article page and digest web version again",
    )
    p.set_defaults(func=cmd_rebuild)


def article_json(article: Article) -> dict:
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


def cmd_inspect(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ingest import understand
    from syndicate.readers import ArticleError

    path = Path(args.path)
    if not path.exists() and not path.is_symlink():
        err(f"{path}: no such file")
        return EXIT_DATAERR
    try:
        article = understand(path, config)
    except ArticleError as exc:
        err(f"{path}: {exc}")
        return EXIT_DATAERR
    except OSError as exc:
        err(f"{path}: {exc.strerror or exc}")
        return EXIT_DATAERR
    data = article_json(article)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    author = article.author
    say(f"title:     {data['title']}")
    say(f"author:    {author.name if author else '(none found)'}")
    if author and author.bio:
        say(f"bio:       {short(author.bio, 200)}")
    if article.dek:
        say(f"dek:       {article.dek}")
    say(f"language:  {data['language']}")
    say(f"published: {data['published'] or '(not given: first-seen time is used)'}")
    say(f"url:       {data['url'] or '(none: our own page is the link)'}")
    say(f"tags:      {', '.join(data['tags']) or '(none)'}")
    say(f"sections:  {' | '.join(data['sections']) or '(none)'}")
    say(f"related:   {' | '.join(data['related']) or '(none)'}")
    say("\nsummary:\n  " + printable(data["summary"]) + "\n\nkey bullets:", keep="\n")
    for bullet in data["bullets"]:
        say(f"  • {bullet}")
    say(f"\nbody:\n{data['body']}", keep="\n\t")  # the article's own line breaks
    return EXIT_OK


def cmd_preview(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ops.preview import preview

    paths = preview(config, [Path(p) for p in args.articles], Path(args.out))
    if not paths:
        say("nothing to preview: no pending articles (name files to preview them)")
    for path in paths:
        say(path)
    return EXIT_OK


def cmd_articles(args: argparse.Namespace, config: Config) -> int:
    from syndicate.cli.common import state
    from syndicate.ops.status import article_listing
    from syndicate.run.guard import has_state

    if not has_state(config):
        listing: list[dict] = []
    else:
        with state(config) as conn:
            listing = article_listing(conn)
    if args.json:
        print(json.dumps(listing, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not listing:
        say("no articles stored yet: run `syndicate run` or `syndicate publish`")
    for a in listing:
        mark = "RETRACTED " if a["retracted"] else ""
        digest = a["digest"] or "pending"
        say(f"{a['first_seen'][:16]}  {digest:<15} {mark}{short(a['title'], 70)}")
        say(f"    {a['id']}  ({a['source']})")
    return EXIT_OK


def cmd_retract(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ops.control import ActionError, retract

    require_state(config)
    try:
        article, changed = retract(config, args.article, args.reason, undo=args.undo)
    except ActionError as exc:
        raise CommandError(str(exc)) from None
    if args.undo:
        state = "published again" if changed else "was not retracted; nothing changed"
    else:
        state = "retracted" if changed else "was already retracted; nothing changed"
    say(f"{article.id} ({article.source}): {state}")
    if changed:
        say(f"feeds and pages in {config.path('feeds')} are up to date")
    return EXIT_OK


def cmd_rebuild(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ops.control import rebuild

    require_state(config)
    report = rebuild(config)
    feeds = len(report.feeds_written)
    say(
        f"rebuilt {config.path('feeds')}: {feeds} feed document(s) and"
        f" {len(report.pages_written)} page(s) changed; everything else was already current"
    )
    for warning in report.warnings:
        say(f"warning: {warning}")
    return EXIT_OK
