"""`syndicate subscribers …`: list, add, set, remove, import, export, erase (ops/roster.py:
the console's subscriber actions call the same functions)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import say, state
from syndicate.cli.exits import EXIT_DATAERR, EXIT_OK, EXIT_USAGE, CommandError
from syndicate.core.addresses import smtputf8_supported
from syndicate.core.files import write_atomic
from syndicate.core.model import Subscriber
from syndicate.core.report import printable
from syndicate.delivery.handover import DeliveryError
from syndicate.delivery.welcome import send_welcome
from syndicate.ops.roster import (
    RosterError,
    add_address,
    checked_address,
    erase_address,
    export_csv,
    import_csv,
    import_summary,
    language_tag,
    newsletter_ids,
    read_csv,
    remove_address,
    set_address,
)
from syndicate.store.subscribers import get_subscriber, subscribers

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_subscribers(args: argparse.Namespace, config: Config) -> int:
    now = datetime.now(config.site.tz)
    action = args.action
    try:
        if action == "export":
            return _export(config, args.file)
        if action == "import":
            return _import(config, Path(args.file), now, verbose=args.verbose)
        if action == "add":  # refused up front: never stored, never failing every run
            checked_address(args.address, smtputf8=smtputf8_supported(config.delivery.method))
        if action in ("add", "set"):  # checked before anything is stored
            language_tag(args.language or "")
            newsletter_ids(config, args.newsletters)
        with state(config) as conn:
            if action == "list":
                for sub in subscribers(conn):
                    fields = (sub.email, sub.status, sub.name, sub.language, sub.newsletters)
                    print("\t".join(printable(v) for v in fields))
            elif action == "add":
                addr, outcome = add_address(
                    conn,
                    config,
                    args.address,
                    args.name,
                    args.language or "",
                    now,
                    args.newsletters,
                )
                say(f"{addr}: {outcome}")
                if args.welcome:
                    _welcome(config, get_subscriber(conn, addr), addr, now)
            elif action == "set":
                changed = set_address(
                    conn,
                    config,
                    args.address,
                    now,
                    name=args.name,
                    language=args.language,
                    newsletters=args.newsletters,
                )
                language = changed.language or "the site's"
                held = changed.newsletters or "the default ones"
                say(f"{changed.email}: {changed.status}, language {language}, newsletters {held}")
            elif action == "remove":
                addr, found = remove_address(conn, args.address, now)
                say(
                    f"{addr}: unsubscribed (kept as unsubscribed so no list re-adds it;"
                    " `syndicate subscribers erase` deletes it)"
                    if found
                    else f"{addr}: not a subscriber; nothing changed"
                )
            else:  # erase
                addr, found = erase_address(conn, args.address, now)
                say(
                    f"{addr}: erased; only a hash is kept, so no list or import re-adds it"
                    if found
                    else f"{addr}: not a subscriber; its hash is kept so no list or import adds it"
                )
    except RosterError as exc:
        raise CommandError(str(exc), EXIT_DATAERR if action == "import" else EXIT_USAGE) from None
    return EXIT_OK


def _welcome(config: Config, subscriber: Subscriber | None, addr: str, now: datetime) -> None:
    """`subscribers add --welcome`: the welcome message, to an active subscriber only."""
    if subscriber is None or subscriber.status != "active":
        say(f"no welcome message: {addr} is not active")
        return
    try:
        where = send_welcome(config, subscriber, now)
    except (DeliveryError, ValueError) as exc:
        raise CommandError(f"{addr}: the welcome message was not sent: {exc}") from None
    say(f"{addr}: welcome message sent ({where})")


INVALID_SHOWN = 20  # invalid rows named without --verbose: they are the ones to fix


def _import(config: Config, path: Path, now: datetime, *, verbose: bool) -> int:
    on_terminal = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:  # one line, rewritten in place
        if on_terminal:
            end = "\n" if done == total else ""
            print(f"\r  … {path.name}: {done:,}/{total:,} rows checked", end=end, file=sys.stderr)

    text = read_csv(path)
    with state(config) as conn:
        smtputf8 = smtputf8_supported(config.delivery.method)
        rows = import_csv(conn, config, text, str(path), now, progress, smtputf8=smtputf8)
    invalid = [row for row in rows if row.outcome == "invalid"]
    shown = rows if verbose else invalid[:INVALID_SHOWN]
    for row in shown:
        detail = f": {row.detail}" if row.detail else ""
        say(f"{path.name}:{row.line}: {row.email or '(empty)'}: {row.outcome}{detail}")
    if not verbose and len(invalid) > INVALID_SHOWN:
        say(f"{path.name}: … and {len(invalid) - INVALID_SHOWN:,} more invalid rows (--verbose)")
    say(import_summary(rows, path.name if rows else str(path)))
    return EXIT_DATAERR if invalid else EXIT_OK


def _export(config: Config, target: str | None) -> int:
    with state(config) as conn:
        text = export_csv(conn)
    if target is None:
        sys.stdout.write(text)
    else:
        write_atomic(Path(target), text.encode("utf-8"), mode=0o600)  # personal data
        say(f"{text.count(chr(10)) - 1} subscriber(s) written to {target}")
    return EXIT_OK
