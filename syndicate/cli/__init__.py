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
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from syndicate.config import Config

GROUPS = (init, run, serve, deliver, articles, digest, status, subscribers, bounces, state)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
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
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: `argv`, or sys.argv's."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(arguments)
        explicit = hasattr(args, "config")
        path = args.config if explicit else DEFAULT_CONFIG_NAME
        return _dispatch(args, path, explicit)
    except BrokenPipeError:
        # `syndicate subscribers list | head -1`: the reader is done, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


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
    from syndicate.run.pipeline import RunInProgress
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
