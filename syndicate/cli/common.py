"""What every command shares: messages, loading the state, delivery's exit status."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from syndicate.cli.exits import EXIT_DELIVERY_FAILED, EXIT_IOERR, EXIT_OK, CommandError
from syndicate.config.newsletters import chosen_newsletters
from syndicate.core.report import printable
from syndicate.run.guard import check_missing
from syndicate.store.connection import has_state, open_db

if TYPE_CHECKING:
    from syndicate.config import Config
    from syndicate.core.report import RunReport
    from syndicate.store.db import Database


def delivery_exit_code(report: RunReport) -> int:
    """`run`'s and `deliver`'s exit status for what delivery did: 4 when anything failed for
    good, the relay's circuit breaker stopped delivery, or the state holds failures the
    operator must act on; temporary failures are retried and exit 0."""
    if report.failed_for_good or report.delivery_stopped or report.unresolved:
        return EXIT_DELIVERY_FAILED
    return EXIT_OK


def say(text: object, keep: str = "") -> None:
    """Print one line for the operator, control characters escaped (report.printable):
    what is shown comes from file names, articles, mail and subscribers."""
    print(printable(str(text), keep))


def err(message: str) -> None:
    # Config errors list one problem per line: those line breaks are the message's own.
    print("syndicate: " + printable(message, keep="\n"), file=sys.stderr)


def progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {printable(message)}", file=sys.stderr)


def short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def newsletter_option(config: Config, ident: str | None) -> str | None:
    """`--newsletter ID`, checked against the config (exit 2 naming the ids there are)."""
    try:
        chosen_newsletters(config, ident)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return ident


def require_state(config: Config) -> None:
    check_missing(config)  # outputs but no state: `state adopt`, not a first run
    if not has_state(config):
        raise CommandError(
            f"no state yet at {config.db_path}: run `syndicate run` (or `publish`) first",
            EXIT_IOERR,
        )


@contextmanager
def state(config: Config) -> Iterator[Database]:
    """The state database for a command that reads or changes it outside a run."""
    check_missing(config)  # never create a fresh state beside outputs of a lost one
    conn = open_db(config)
    try:
        yield conn
    finally:
        conn.close()
