"""Commands about articles: inspect, preview, articles, retract, rebuild."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import err, newsletter_option, require_state, say, short, state
from syndicate.cli.exits import EXIT_DATAERR, EXIT_OK, CommandError
from syndicate.core.report import printable
from syndicate.ingest import understand
from syndicate.ops.control import ActionError, rebuild, retract
from syndicate.ops.preview import preview
from syndicate.ops.status import article_facts, article_listing
from syndicate.readers.errors import ArticleError
from syndicate.store.connection import has_state

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_inspect(args: argparse.Namespace, config: Config) -> int:
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
    data = article_facts(article)
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
    newsletter = newsletter_option(config, args.newsletter)
    previews = preview(config, [Path(p) for p in args.articles], Path(args.out), newsletter)
    for n, paths in previews:
        of = f"{n.label}: " if len(previews) > 1 else ""
        if not paths:
            say(f"{of}nothing to preview: no pending articles (name files to preview them)")
        for path in paths:
            say(path)
    return EXIT_OK


def cmd_articles(args: argparse.Namespace, config: Config) -> int:
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
