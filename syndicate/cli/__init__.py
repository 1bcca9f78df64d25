"""Operator commands. Thin: parse arguments, call the run, the operator actions and the
store, print.

parsers.py holds every command's options and names its handler ("module:function");
command.py runs the command argparse found (loads the config, calls the handler, reports
the operator's errors); one module per group of commands holds the handlers. Exit codes are
in cli/exits.py and the README.

Decision: `main` imports argparse and the parsers only. The command — command.py and, through
it, the config, the store and the handler's module — is imported once argparse has found
one (`importlib`, as pip and Mercurial resolve theirs), so `syndicate --help`, `--version` and
a usage error cost argparse alone: the config's models are the heaviest import every command
shares.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from syndicate.cli.exits import EXIT_OK
from syndicate.cli.parsers import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: `argv`, or sys.argv's."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(arguments)
        return importlib.import_module("syndicate.cli.command").run_command(args)
    except BrokenPipeError:
        # `syndicate subscribers list | head -1`: the reader is done, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
