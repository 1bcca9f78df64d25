"""`syndicate bounces PATH`: read what came back (bounces, complaints, unsubscribe requests)
from a Maildir or an mbox, apply it to the subscribers, and say what was done."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.bounces.apply import process_returns
from syndicate.bounces.marks import VERP_LOCAL
from syndicate.bounces.parse import read_maildir, read_mbox
from syndicate.cli.common import require_state
from syndicate.cli.exits import EXIT_DATAERR, EXIT_IOERR, EXIT_OK, CommandError
from syndicate.core.report import printable_lines
from syndicate.run.state import open_state

if TYPE_CHECKING:
    from syndicate.bounces.apply import ReturnsReport
    from syndicate.config import Config

LIST_LIMIT = 10


def cmd_bounces(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.path)
    if path.is_dir():
        read = read_maildir
    elif path.is_file():
        read = read_mbox
    else:
        raise CommandError(f"{path}: no such Maildir folder or mbox file", EXIT_IOERR)
    require_state(config)
    local = (config.delivery.bounce_address.rpartition("@")[0] or VERP_LOCAL).lower()
    now = datetime.now(config.site.tz)
    with open_state(config, dry_run=args.dry_run) as conn:
        try:
            reports = read(path, domain=config.site.domain, verp_local=local)
            result = process_returns(conn, config, reports, now)
        except FileNotFoundError as exc:
            raise CommandError(f"{exc}", EXIT_DATAERR) from None
    if args.json:
        print(json.dumps(result.as_dict() | {"dry_run": args.dry_run}, indent=2))
    else:
        print(format_returns(result, path, dry_run=args.dry_run))
    return EXIT_OK


def _listed(items: list[str]) -> list[str]:
    lines = [f"      {item}" for item in items[:LIST_LIMIT]]
    if len(items) > LIST_LIMIT:
        lines.append(f"      … and {len(items) - LIST_LIMIT} more (--json lists all)")
    return lines


def format_returns(result: ReturnsReport, path: Path, *, dry_run: bool) -> str:
    would = "would be " if dry_run else ""
    lines = [f"syndicate bounces{' --dry-run' if dry_run else ''} · {path}"]
    if dry_run:
        lines.append("  (dry run: nothing below was changed)")
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(result.counts.items()))
    lines.append(f"  read         {result.read} message(s){': ' + kinds if kinds else ''}")
    lines.append(f"  suppressed   {len(result.suppressed)} {would}(bounced or complained)")
    lines += _listed(result.suppressed)
    lines.append(f"  unsubscribed {len(result.unsubscribed)} {would}(mailto: requests)")
    lines += _listed(result.unsubscribed)
    if result.soft:
        lines.append(f"  soft         {len(result.soft)} soft bounce(s) counted")
        lines += _listed(result.soft)
    if result.already:
        lines.append(f"  already      {result.already} report(s) about what was already done")
    if result.unmatched:
        lines.append(f"  unmatched    {len(result.unmatched)} (about no delivery of ours)")
        lines += _listed(result.unmatched)
    if result.ignored:
        lines.append(f"  ignored      {len(result.ignored)} request(s) that prove nothing")
        lines += _listed(result.ignored)
    return printable_lines(lines)
