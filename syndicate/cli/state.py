"""`syndicate state …`: adopt the outputs after a loss, back up, restore."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import say
from syndicate.cli.exits import EXIT_OK, CommandError
from syndicate.ops.adopt import adopt
from syndicate.ops.backup import backup, restore
from syndicate.store.connection import state_where

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_adopt(args: argparse.Namespace, config: Config) -> int:
    roster = Path(args.subscribers) if args.subscribers else None
    if roster is not None and not roster.is_file():
        raise CommandError(f"{roster}: no such file (--subscribers)")
    report = adopt(config, datetime.now(config.site.tz), subscribers_csv=roster)
    _print_adopt(report, config)
    return EXIT_OK


def _print_adopt(report, config: Config) -> None:
    say(f"syndicate state adopt · {state_where(config)}")
    say(
        f"  articles   {report.articles} adopted from the inbox, {report.stubs} from the feeds"
        f" alone, {report.known} already known"
    )
    say(f"  digests    {report.digests} recorded (their ids are never used again)")
    say(
        f"  outbox     {report.deliveries} deliveries marked sent, {report.resends} resends,"
        f" {report.subscribers} subscribers restored"
    )
    if report.held:
        say(f"  held       {report.held} queued deliveries held as in_doubt (SMTP: see status)")
    say(f"  stamp      state {report.state_id[:8]}, generation {report.generation}")
    if report.would_change:
        shown = ", ".join(report.would_change[:8])
        more = f" … and {len(report.would_change) - 8} more" if len(report.would_change) > 8 else ""
        say(f"  differs    the next run will rewrite: {shown}{more}")
    else:
        say("  check      every feed and page renders byte-identical from the adopted state")
    for warning in report.warnings[:20]:
        say(f"  warning    {warning}")
    if len(report.warnings) > 20:
        say(f"  warning    … and {len(report.warnings) - 20} more")


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    target = backup(config, Path(args.path))
    say(f"state backed up to {target} (restore: `syndicate state restore {target}`)")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    source = Path(args.path)
    if not source.is_file():
        raise CommandError(f"{source}: no such backup file")
    restore(config, source)
    say(f"state restored from {source}; adopting what the outputs show since:")
    _print_adopt(adopt(config, datetime.now(config.site.tz)), config)
    return EXIT_OK
