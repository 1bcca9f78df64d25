"""Operator commands. Thin: parse arguments, call pipeline/control/store, print.

One module per group of commands, each with a `register(subparsers, common)`; heavy
libraries are imported inside the commands, so `syndicate --help` starts fast.
Exit codes are in cli/common.py and the README.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from syndicate import DEFAULT_CONFIG_NAME, __version__
from syndicate.cli import (
    articles,
    bounces,
    deliver,
    digest,
    init,
    run,
    serve,
    state,
    status,
    subscribers,
)
from syndicate.cli.common import (
    EXIT_CODES,
    EXIT_CONFIG,
    EXIT_DATAERR,
    EXIT_IOERR,
    EXIT_LOCKED,
    EXIT_OK,
    CommandError,
    err,
)
from syndicate.early_listing import command_named, start

if TYPE_CHECKING:
    from syndicate.config import Config
    from syndicate.early_listing import EarlyListing

GROUPS = (init, run, serve, deliver, articles, digest, status, subscribers, bounces, state)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given the arguments) one with only the named command in it.

    argparse builds every parser it is given, and each help text goes through gettext's
    catalog lookup: all 26 commands cost ~10 ms, a tenth of a no-op run. A command that
    is not found (a typo, `--help`) gets the whole parser, with the full list of choices."""
    wanted = command_named(sys.argv[1:] if argv is None else argv)
    parser, found = _parser(wanted)
    if wanted is not None and not found:
        parser, _found = _parser(None)
    return parser


def _parser(wanted: str | None) -> tuple[argparse.ArgumentParser, bool]:
    common = argparse.ArgumentParser(add_help=False, formatter_class=_formatter)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help=f"config file (default: ./{DEFAULT_CONFIG_NAME})",
    )
    parser = argparse.ArgumentParser(
        prog="syndicate",
        description="Publish an inbox of articles as RSS/Atom/JSON feeds and an email digest.",
        parents=[common],
        epilog=EXIT_CODES,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    only = _Commands(sub, wanted)
    for group in GROUPS:
        group.register(only, common)  # type: ignore[arg-type]
    return parser, only.found


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse makes a formatter for every add_argument (only to check its nargs), and one
    not told its width imports shutil to ask the terminal (~3 ms of every command's start).
    This tells it the width shutil.get_terminal_size would find: $COLUMNS, else the
    terminal's, else 80 (less 2, as argparse takes)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return argparse.HelpFormatter(prog, width=(columns if columns > 0 else 80) - 2)


class _Commands:
    """`add_subparsers()`'s action as the commands' `register` sees it: every command's
    parser gets `_formatter`, and with a `wanted` command only that one is added (the others
    get a stand-in that takes every call and keeps nothing)."""

    def __init__(self, sub: argparse._SubParsersAction, wanted: str | None) -> None:
        self.sub, self.wanted, self.found = sub, wanted, wanted is None

    def add_parser(self, name: str, **kwargs: Any) -> object:
        if self.wanted is not None:
            if name != self.wanted and self.wanted not in kwargs.get("aliases", ()):
                return _UNUSED
            self.found = True
        return self.sub.add_parser(name, formatter_class=_formatter, **kwargs)


class _Unused:
    def __getattr__(self, _name: str) -> object:
        return self._take

    def _take(self, *_args: object, **_kwargs: object) -> _Unused:
        return self


_UNUSED = _Unused()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, `argv` or sys.argv's. The `syndicate` script starts the early
    listing before it imports this module (__main__.py), then calls `run_command`."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    return run_command(arguments, start(arguments))


def run_command(arguments: list[str], early: EarlyListing | None) -> int:
    """One command; `early`: the inbox being listed since the command started, for `run`
    and `publish` (early_listing.py)."""
    try:
        args = build_parser(arguments).parse_args(arguments)
        args.early_listing = early
        explicit = hasattr(args, "config")
        path = args.config if explicit else DEFAULT_CONFIG_NAME
        return _dispatch(args, path, explicit)
    except BrokenPipeError:
        # `syndicate subscribers list | head -1`: the reader is done, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        if early is not None:
            early.close()  # when the command ended before it read the listing (--help…)


def _dispatch(args: argparse.Namespace, path: str, explicit: bool) -> int:
    from syndicate.config import ConfigError, load_config

    config = None
    try:
        if not getattr(args, "needs_config", True):  # `init` writes one
            return args.func(args, None)
        config = load_config(
            path, missing_ok=not explicit and getattr(args, "config_optional", False)
        )
        return args.func(args, config)
    except CommandError as exc:
        err(str(exc))
        return exc.code
    except ConfigError as exc:  # also raised late, e.g. an unusable $SYNDICATE_DKIM_KEY
        err(str(exc))
        return EXIT_CONFIG
    except BrokenPipeError:
        raise
    except Exception as exc:
        code = _known_failure(exc, config)
        if code is None:
            raise
        return code


def _known_failure(exc: Exception, config: Config | None) -> int | None:
    """Report the failures that are the operator's to fix in one line; None for bugs."""
    from syndicate.pipeline import RunInProgress
    from syndicate.store import StateError

    if isinstance(exc, RunInProgress):
        err(str(exc))
        return EXIT_LOCKED
    jinja2 = sys.modules.get("jinja2")
    if jinja2 is not None and isinstance(exc, jinja2.TemplateError):
        where = f"{exc.filename}:{exc.lineno}: " if getattr(exc, "lineno", None) else ""
        err(f"template error: {where}{exc.message}; fix the template (paths.templates)")
        return EXIT_CONFIG
    sqlite3 = sys.modules.get("sqlite3")
    if isinstance(exc, (OSError, StateError)) or (
        sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError)
    ):
        # Permissions, a full disk, a damaged state file: say what and where instead of a
        # traceback. Nothing half-written was published (atomic writes, per-step
        # transactions); the next run picks up where this one stopped. Writes name their
        # path (files.naming); SQLite's errors are about the state file; anything else
        # still names where the site writes, so "No space left on device" is never alone.
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if getattr(exc, "filename", None):
            err(f"{exc.filename}: {text}")
        elif isinstance(exc, StateError):
            err(text)
        elif config is not None and not isinstance(exc, OSError) and not config.state.url:
            err(f"{config.db_path}: {text}")
        elif config is not None:
            folders = ", ".join(str(config.path(n)) for n in ("feeds", "outbox", "state"))
            err(f"{text} (in one of the site's folders: {folders})")
        else:
            err(text)
        return EXIT_IOERR
    from syndicate.readers import ArticleError

    if isinstance(exc, ArticleError):
        err(str(exc))
        return EXIT_DATAERR
    return None
