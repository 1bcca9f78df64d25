"""Digest commands outside a run: skip the backlog, resend, send a test."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syndicate.cli.common import EXIT_DELIVERY_FAILED, EXIT_OK, CommandError, require_state, say

if TYPE_CHECKING:
    from syndicate.config import Config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("digest", parents=[common], help="skip the backlog, resend a digest")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser(
        "skip",
        parents=[common],
        help="read the inbox, then mark every pending article as digested; sends nothing",
    )
    a.set_defaults(func=cmd_skip)
    a = actions.add_parser(
        "resend", parents=[common], help="send an existing digest to one subscriber again"
    )
    a.add_argument("digest_id", metavar="ID")
    a.add_argument("--to", required=True, metavar="ADDR", help="a subscriber's address")
    a.set_defaults(func=cmd_resend)

    p = sub.add_parser(
        "send-test",
        parents=[common],
        help="send the next (or a given) digest to one address, recorded nowhere",
    )
    p.add_argument("--to", required=True, metavar="ADDR")
    p.add_argument(
        "--digest",
        metavar="ID",
        help="an existing digest (default: the pending articles, else the latest digest)",
    )
    p.set_defaults(func=cmd_send_test)


def cmd_skip(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ops.control import skip_backlog

    report = skip_backlog(config)
    n = report.skipped_articles
    read = f" ({len(report.new)} read from the inbox just now)" if report.new else ""
    say(
        f"{n} pending article(s){read} marked as digested; nothing was sent"
        if n
        else "nothing pending: every article is in a digest already"
    )
    for rejection in report.rejected:
        say(f"rejected {rejection.source}: {rejection.reason}")
    return EXIT_OK


def cmd_resend(args: argparse.Namespace, config: Config) -> int:
    from syndicate.ops.control import ActionError, resend

    require_state(config)
    try:
        where = resend(config, args.digest_id, args.to)
    except ActionError as exc:
        raise CommandError(str(exc)) from None
    say(f"digest {args.digest_id} resent to {args.to}: {where}")
    return EXIT_OK


def cmd_send_test(args: argparse.Namespace, config: Config) -> int:
    from syndicate.delivery.transports import DeliveryError
    from syndicate.ops.control import ActionError, send_test

    try:
        what, where = send_test(config, args.to, args.digest)
    except ActionError as exc:
        raise CommandError(str(exc)) from None
    except DeliveryError as exc:
        raise CommandError(f"{args.to}: {exc}", EXIT_DELIVERY_FAILED) from None
    say(f"test: {what} sent to {args.to} ([test] subject, recorded nowhere): {where}")
    return EXIT_OK
