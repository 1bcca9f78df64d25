"""`syndicate admin add|passwd|remove|list`: the console's accounts (ops/admins.py).

The password never appears on the command line (where `ps` and the shell's history would
show it): on a terminal it is asked twice without echo (getpass); otherwise it is the first
line of standard input, so a script or a secret manager can pipe it in.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate.cli.common import say, state
from syndicate.cli.exits import EXIT_OK, CommandError
from syndicate.ops.admins import AdminError, change_password, create_account, delete_account
from syndicate.store.admins import admins

if TYPE_CHECKING:
    from syndicate.config import Config


def read_password(name: str) -> str:
    """Twice on a terminal (they must match); one line of standard input otherwise."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("the same again: ") != first:
            raise CommandError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CommandError("no password on standard input (one line is read); nothing changed")
    return line.removesuffix("\n").removesuffix("\r")


def cmd_admin(args: argparse.Namespace, config: Config) -> int:
    now = datetime.now(config.site.tz)
    try:
        if args.action == "list":
            with state(config) as conn:
                rows = admins(conn, time.time())
            if not rows:
                say("no console accounts yet: `syndicate admin add NAME` makes one")
            for row in rows:
                say(
                    f"{row.name:<20} added {row.added[:16]}  password changed"
                    f" {row.changed[:16]}  {row.sessions} session(s) open"
                )
            return EXIT_OK
        if args.action == "remove":
            with state(config) as conn:
                name = delete_account(conn, args.name)
            say(f"{name}: removed; its sessions have ended")
            return EXIT_OK
        password = read_password(args.name)
        with state(config) as conn:
            if args.action == "add":
                name = create_account(conn, args.name, password, now)
                say(f"{name}: account made; log in at /admin/ of `syndicate serve`")
            else:
                name = change_password(conn, args.name, password, now)
                say(f"{name}: password changed; its sessions have ended")
    except AdminError as exc:
        raise CommandError(str(exc)) from None
    return EXIT_OK
