"""Digest commands outside a run: skip the backlog, resend, send a test."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syndicate.cli.common import newsletter_option, require_state, say
from syndicate.cli.exits import EXIT_DELIVERY_FAILED, EXIT_OK, CommandError
from syndicate.delivery.handover import DeliveryError
from syndicate.ops.control import ActionError, resend, send_test, skip_backlog

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_skip(args: argparse.Namespace, config: Config) -> int:
    report = skip_backlog(config, newsletter_option(config, args.newsletter))
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
    require_state(config)
    newsletter = newsletter_option(config, args.newsletter)
    try:
        digest_id, where = resend(config, args.digest_id, args.to, newsletter)
    except ActionError as exc:
        raise CommandError(str(exc)) from None
    say(f"digest {digest_id} resent to {args.to}: {where}")
    return EXIT_OK


def cmd_send_test(args: argparse.Namespace, config: Config) -> int:
    newsletter = newsletter_option(config, args.newsletter)
    try:
        sent = send_test(config, args.to, args.digest, newsletter)
    except ActionError as exc:
        raise CommandError(str(exc)) from None
    except DeliveryError as exc:
        raise CommandError(f"{args.to}: {exc}", EXIT_DELIVERY_FAILED) from None
    for what, where in sent:
        say(f"test: {what} sent to {args.to} ([test] subject, recorded nowhere): {where}")
    return EXIT_OK
