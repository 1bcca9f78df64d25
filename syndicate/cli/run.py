"""`syndicate run` and `syndicate publish`: one run, and its one-screen report."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.cli.common import delivery_exit_code, err, newsletter_option, progress, short
from syndicate.cli.exits import EXIT_CONFIG, EXIT_OK, EXIT_REJECTED
from syndicate.core.report import printable_lines
from syndicate.run import pipeline

if TYPE_CHECKING:
    from syndicate.config import Config
    from syndicate.core.report import RunReport

REPORT_LIST_LIMIT = 8  # per category: the report must fit one screen after a big first run


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    started = datetime.now(config.site.tz)
    report = pipeline.run(
        config,
        digest=args.digest,
        newsletter=newsletter_option(config, args.newsletter),
        trigger="cli" if args.command == "run" else "cli:publish",
        progress=progress,
        retry_failed=args.retry_failed,
        dry_run=args.dry_run,
    )
    if not args.quiet or _trouble(report) or args.dry_run:
        print(format_report(report, config, started, command=args.command))
    if report.dry_run:
        return EXIT_OK
    if report.config_problem:
        err(report.config_problem)
        return EXIT_CONFIG
    if report.rejected:
        return EXIT_REJECTED
    return delivery_exit_code(report)


def _trouble(report: RunReport) -> bool:
    """Anything the operator must hear about, even with --quiet."""
    return bool(
        report.config_problem
        or report.rejected
        or report.failed
        or report.failed_for_good
        or report.delivery_stopped
        or report.unresolved
        or report.warnings
    )


def _listed(items: list[str]) -> list[str]:
    shown = [f"      {item}" for item in items[:REPORT_LIST_LIMIT]]
    if len(items) > REPORT_LIST_LIMIT:
        shown.append(f"      … and {len(items) - REPORT_LIST_LIMIT} more (`syndicate status`)")
    return shown


def format_report(
    report: RunReport, config: Config, started: datetime, *, command: str = "run"
) -> str:
    would = "would be " if report.dry_run else ""
    title = f"syndicate {command}{' --dry-run' if report.dry_run else ''}"
    if report.run_id is not None:
        title += f" · run #{report.run_id}"
    lines = [f"{title} · {started:%Y-%m-%d %H:%M %Z} · inbox {config.path('inbox')}"]
    if report.dry_run:
        lines.append("  (dry run: nothing below was written, stored or sent)")
    for label, articles in (("new", report.new), ("updated", report.updated)):
        lines.append(f"  {label:<10}{len(articles):>4}")
        lines += _listed([f"{a.source}  “{short(a.title)}”" for a in articles])
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
        main = [n for n in report.feeds_written if "/" not in n]
        archive = sum(n.startswith("archive/") for n in report.feeds_written)
        topics = len(report.feeds_written) - len(main) - archive
        extra = ", ".join(
            [f"+{archive} archive page(s)"] * bool(archive)
            + [f"+{topics} topic feed(s)"] * bool(topics)
        )
        extra = f" ({extra})" if extra else ""
        names = ", ".join(main) or ("archive pages" if archive else "topic feeds")
        lines.append(f"  feeds      {would}written to {feeds_dir}: {names}{extra}")
    else:
        lines.append(f"  feeds      unchanged in {feeds_dir}")
    if report.pages_written:
        lines.append(f"  pages      {len(report.pages_written)} {would}written (articles, digests)")
    if command == "run":
        lines += _digest_lines(report, config)
    lines += [f"  warning    {w}" for w in report.warnings]
    lines += [f"  note       {n}" for n in report.notes]
    return printable_lines(lines)


def _digest_lines(report: RunReport, config: Config) -> list[str]:
    lines = []
    would = "would be " if report.dry_run else ""
    for made in report.digests:
        shown = min(made.articles, config.digest.max_articles)
        counted = f" ({shown} shown)" if shown < made.articles else ""
        web = config.path("feeds") / "digests" / f"{made.id}.html"
        lines.append(
            f"  digest     {made.id} {would}made: {made.articles}"
            f" article(s){counted} for {made.recipients} recipient(s), web version {web}"
        )
    lines += [f"  digest     {note}" for note in report.digest_notes]
    if not report.digests and not report.digest_notes:
        lines.append("  digest     none")
    if report.sent or report.failed or report.failed_for_good or report.delivery_stopped:
        method = config.delivery.method
        if method == "smtp":
            where = f"sent to {config.delivery.smtp_host}:{config.delivery.smtp_port}"
        elif method == "sendmail":
            where = f"handed to {config.delivery.sendmail_path}"
        elif method == "eml":
            where = f"written as .eml files to {config.path('outbox')}"
        else:
            where = f"written to the Maildir {config.path('outbox')}"
        verb = f"would be {where}" if report.dry_run else where
        lines.append(
            f"  delivery   {report.sent} {verb}, {len(report.failed)} failed (retried later),"
            f" {len(report.failed_for_good)} failed for good"
        )
        lines += _listed(report.failed_for_good + report.failed)
    if report.delivery_stopped:
        lines.append(f"  stopped    {report.delivery_stopped}")
    if report.unresolved:
        lines.append(
            f"  attention  {report.unresolved} delivery(ies) to active subscribers failed for"
            " good (`syndicate status` lists them): remove or fix the address, or"
            " `syndicate run --retry-failed` to send those out of attempts or in doubt again"
        )
    return lines
