"""`syndicate init`: a new site's config.toml and folders (newsite.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from syndicate.cli.common import EXIT_OK, CommandError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="write a new site's config.toml (with your values, nothing of the sample)",
        description="Write DIR/config.toml, a complete, commented configuration with the values"
        " given and the defaults of every other key (no subscriber, no postal address: set"
        " site.postal_address before the first digest), and make the folders it names. Never"
        " overwrites a config.",
    )
    p.add_argument("folder", nargs="?", default=".", metavar="DIR", help="default: here")
    p.add_argument("--title", required=True, help="the site's name")
    p.add_argument("--url", required=True, help="where feeds/ will be served (site.base_url)")
    p.add_argument("--language", required=True, metavar="TAG", help="BCP 47, e.g. en, pt-BR")
    p.add_argument(
        "--from", dest="sender", required=True, metavar="ADDRESS", help="'Name <news@…>'"
    )
    p.add_argument("--timezone", default="UTC", metavar="ZONE", help="IANA zone (default UTC)")
    p.set_defaults(func=cmd_init, needs_config=False)


def cmd_init(args: argparse.Namespace, _config: None) -> int:
    from syndicate.config.newsite import InitError, init_site

    values = {
        "title": args.title,
        "url": args.url,
        "language": args.language,
        "timezone": args.timezone,
        "from": args.sender,
    }
    try:
        site = init_site(Path(args.folder), values)
    except InitError as exc:
        raise CommandError(str(exc)) from None
    config = site.config
    print(f"wrote {site.config_path}")
    for folder in site.folders:
        print(f"made  {folder}/")
    option = "" if args.folder == "." else f" --config {site.config_path}"
    print(
        "next: set site.postal_address in it (every digest's footer shows it; no digest is"
        f" sent without it), drop articles into {config.path('inbox')}, then"
        f" `syndicate run{option}`"
    )
    return EXIT_OK
