"""`syndicate status`: the state at a glance, for people or (`--json`) for machines."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syndicate.cli.common import newsletter_option, short, state
from syndicate.cli.exits import EXIT_OK
from syndicate.config.newsletters import chosen_newsletters
from syndicate.core.report import printable, printable_lines
from syndicate.ops.status import inbox, schedule, status
from syndicate.run.guard import StateMismatch, check_missing
from syndicate.store.connection import has_state

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    now = datetime.now(config.site.tz)
    newsletter = newsletter_option(config, args.newsletter)

    if not has_state(config):
        try:
            check_missing(config)
            why = f"no state yet at {config.db_path}: run `syndicate run` first"
        except StateMismatch as exc:  # outputs of a lost state: say what to do
            why = str(exc)
        waiting = inbox(config, None)
        if args.json:
            data = {
                "state": None,
                "problem": why,
                "inbox": waiting,
                "schedule": schedule(config, now, chosen_newsletters(config, newsletter)),
            }
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print("\n".join([printable(why), *_inbox_lines(waiting)]))
        return EXIT_OK
    with state(config) as conn:
        data = status(conn, config, now, newsletter)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_status(data))
    return EXIT_OK


def format_status(data: dict[str, Any]) -> str:
    a, s, d = data["articles"], data["subscribers"], data["deliveries"]
    # With several newsletters, what waits is each one's (its line below), not the site's.
    waiting = [f"{a['pending']} waiting for the next digest"] if "pending" in a else []
    counts = [f"{a['stored']} stored", *waiting, f"{a['retracted']} retracted"]
    lines = [
        *_inbox_lines(data["inbox"]),
        f"articles     {', '.join(counts)}, {a['skipped']} skipped",
        "subscribers  "
        + ", ".join(f"{n} {k}" for k, n in s.items() if n or k in ("active", "unsubscribed")),
        f"deliveries   {d['sent']} sent, {d['pending']} pending, {d['failed']} failed,"
        f" {d['in_doubt']} in doubt, {d['dropped']} dropped, {d['resends']} resent",
    ]
    for f in data["failed_deliveries"]:
        retry = (
            "gave up: fix the cause, then `syndicate run --retry-failed`"
            if f["gave_up"]
            else "retried next run"
        )
        lines.append(
            f"failed       {f['digest']} → {f['email']}: {f['detail']}"
            f" (attempt {f['attempts']}/{f['max_attempts']}, {retry})"
        )
    for f in data.get("failed_for_good", []):
        what = "in doubt (held)" if f["status"] == "in_doubt" else f["status"]
        lines.append(f"failed for good  {f['digest']} → {f['email']}: {what}: {f['detail']}")
    for g in data["digests"][:3]:
        lines.append(f"digest       {g['id']}  {g['created'][:16]}  {g['articles']} article(s)")
    sched = data["schedule"]
    publish = sched["publish"]
    when = f"schedule     publish {publish['cron']!r} next {_when(publish['next'])}"
    if digest := sched.get("digest"):  # one newsletter shown; several: each one's line
        when += f"; digest {digest['cron']!r} next {_when(digest['next'])}"
    lines.append(when)
    letters = [n for n in data.get("newsletters", []) if n["id"]]
    if not letters:
        lines.append(f"next digest  {'due now' if sched['digest_due'] else sched['digest_note']}")
    for n in letters:
        default = ", default" if n["default"] else ""
        lines.append(
            f"newsletter   {n['id']} ({n['name']}{default}): {n['subscribers']} subscriber(s),"
            f" {n['pending']} article(s) waiting, last digest {n['last_digest'] or 'none yet'},"
            f" schedule {n['schedule']!r} next {_when(n['next'])};"
            f" {'due now' if n['digest_due'] else n['digest_note']}"
        )
    for run in data["runs"]:
        summary = run["summary"] or {"state": "unfinished (crashed or still running)"}
        brief = ", ".join(f"{k} {v}" for k, v in summary.items() if v)
        lines.append(f"run #{run['id']:<6} {run['started'][:16]}  {run['trigger']:<11} {brief}")
    # What the latest finished run's report listed (its report shows at most 8 of each).
    latest = next((r for r in data["runs"] if r["summary"]), None)
    if latest:
        for label, items in latest["details"].items():
            for item in items:
                lines.append(f"  last run {label:<13} {short(item, 100)}")
    for r in data["rejected"]:
        lines.append(f"rejected     {r['source']}: {r['reason']}")
    return printable_lines(lines)


INBOX_LIST_LIMIT = 8


def _inbox_lines(inbox: dict[str, Any]) -> list[str]:
    """The files the next run will read, named (a few of each)."""
    if not inbox["unread"] and not inbox["changed"]:
        return [f"inbox        nothing new in {inbox['path']}"]
    lines = [
        f"inbox        {inbox['unread']} file(s) not read yet, {inbox['changed']} changed since"
        f" the last run, in {inbox['path']} (the next run reads them)"
    ]
    for label, key in (("not read", "unread"), ("changed", "changed")):
        names = inbox["files"][key]
        lines += [f"  {label:<10} {short(name, 100)}" for name in names[:INBOX_LIST_LIMIT]]
        if len(names) > INBOX_LIST_LIMIT:
            lines.append(f"  {label:<10} … and {len(names) - INBOX_LIST_LIMIT} more (--json)")
    return lines


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "never"
