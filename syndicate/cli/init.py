"""`syndicate init`: a new site's config.toml and folders (config/newsite.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from syndicate.cli.exits import EXIT_OK, CommandError
from syndicate.config.newsite import InitError, init_site


def cmd_init(args: argparse.Namespace, _config: None) -> int:
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
