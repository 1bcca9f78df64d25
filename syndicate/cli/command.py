"""A command, once argparse has found one: the config loaded, the handler called, the
operator's errors reported in one line with their exit code."""

from __future__ import annotations

import argparse
import importlib
import sys

from syndicate import DEFAULT_CONFIG_NAME
from syndicate.cli.common import err
from syndicate.cli.exits import EXIT_CONFIG, EXIT_DATAERR, EXIT_IOERR, EXIT_LOCKED, CommandError
from syndicate.config import Config, ConfigError, load_config
from syndicate.readers.errors import ArticleError
from syndicate.run.lock import RunInProgress
from syndicate.store.db import StateError


def run_command(args: argparse.Namespace) -> int:
    """Run the command argparse found: load the config (unless the command writes one),
    call its handler, and turn the failures that are the operator's to fix into one line
    and an exit code (README, CLI reference); a bug still raises."""
    explicit = hasattr(args, "config")
    path = args.config if explicit else DEFAULT_CONFIG_NAME
    module, _colon, name = args.handler.partition(":")
    config = None
    try:
        handler = getattr(importlib.import_module(module), name)
        if not getattr(args, "needs_config", True):  # `init` writes one
            return handler(args, None)
        config = load_config(
            path, missing_ok=not explicit and getattr(args, "config_optional", False)
        )
        return handler(args, config)
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
        # What to do (a state error or a damaged state file says its own).
        todo = "; fix that (space, permissions) and run again: nothing is lost"
        todo = todo if isinstance(exc, OSError) else ""
        if getattr(exc, "filename", None):
            err(f"{exc.filename}: {text}{todo}")
        elif isinstance(exc, StateError):
            err(text)
        elif config is not None and not isinstance(exc, OSError) and not config.state.url:
            err(f"{config.db_path}: {text}")
        elif config is not None:
            folders = ", ".join(str(config.path(n)) for n in ("feeds", "outbox", "state"))
            err(f"{text} (in one of the site's folders: {folders}){todo}")
        else:
            err(f"{text}{todo}")
        return EXIT_IOERR

    if isinstance(exc, ArticleError):
        err(str(exc))
        return EXIT_DATAERR
    return None
