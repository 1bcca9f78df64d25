"""`syndicate subscribers …`: list, add, remove, import, export, erase."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import say, state
from syndicate.cli.exits import EXIT_DATAERR, EXIT_OK, CommandError
from syndicate.core.addresses import parse_mailbox, smtputf8_supported
from syndicate.core.files import write_atomic
from syndicate.core.language import canonical_tag
from syndicate.core.report import printable
from syndicate.ops.roster import RosterError, export_csv, import_csv
from syndicate.store.subscribers import add_subscriber, erase_subscriber, subscribers, unsubscribe

if TYPE_CHECKING:
    from syndicate.config import Config


def _address(raw: str, *, smtputf8: bool) -> tuple[str, str]:
    """(name, address) from the command line, checked with the one address check
    (addresses.deliverable_address). `add` asks whether we can mail it; `remove` and
    `erase` only look an address up, so they take any address (smtputf8=True), including
    one stored before the check refused it."""
    try:
        name, addr = parse_mailbox(raw, smtputf8=smtputf8)
    except ValueError as exc:
        raise CommandError(f"{raw!r} is not an address we can mail: {exc}") from None
    return name, addr.lower()  # stored lower-cased: one subscriber per mailbox


def cmd_subscribers(args: argparse.Namespace, config: Config) -> int:
    now = datetime.now(config.site.tz)
    action = args.action
    if action == "export":
        return _export(config, args.file)
    if action == "import":
        return _import(config, Path(args.file), now, verbose=args.verbose)
    if action == "add":  # refused up front: never stored, never failing every run
        name, addr = _address(args.address, smtputf8=smtputf8_supported(config.delivery.method))
    with state(config) as conn:
        if action == "list":
            for sub in subscribers(conn):
                print("\t".join(printable(v) for v in (sub.email, sub.status, sub.name)))
            return EXIT_OK
        if action == "add":
            language = _language(args.language)
            outcome = add_subscriber(
                conn, addr, args.name or name, now, resubscribe=True, language=language
            )
            say(f"{addr}: {outcome}")
        elif action == "remove":
            _, addr = _address(args.address, smtputf8=True)
            found = unsubscribe(conn, now, email=addr)
            say(
                f"{addr}: unsubscribed (kept as unsubscribed so no list re-adds it;"
                " `syndicate subscribers erase` deletes it)"
                if found
                else f"{addr}: not a subscriber; nothing changed"
            )
        else:  # erase
            _, addr = _address(args.address, smtputf8=True)
            found = erase_subscriber(conn, addr, now)
            say(
                f"{addr}: erased; only a hash is kept, so no list or import re-adds it"
                if found
                else f"{addr}: not a subscriber; its hash is kept so no list or import adds it"
            )
    return EXIT_OK


def _language(raw: str) -> str:
    if not raw:
        return ""

    tag = canonical_tag(raw)
    if tag is None:
        raise CommandError(f"--language {raw!r} is not a BCP 47 tag such as 'en' or 'pt-BR'")
    return tag


INVALID_SHOWN = 20  # invalid rows named without --verbose: they are the ones to fix


def _import(config: Config, path: Path, now: datetime, *, verbose: bool) -> int:
    on_terminal = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:  # one line, rewritten in place
        if on_terminal:
            end = "\n" if done == total else ""
            print(f"\r  … {path.name}: {done:,}/{total:,} rows checked", end=end, file=sys.stderr)

    with state(config) as conn:
        try:
            smtputf8 = smtputf8_supported(config.delivery.method)
            rows = import_csv(conn, path, now, progress, smtputf8=smtputf8)
        except RosterError as exc:
            raise CommandError(str(exc), EXIT_DATAERR) from None
    invalid = [row for row in rows if row.outcome == "invalid"]
    shown = rows if verbose else invalid[:INVALID_SHOWN]
    for row in shown:
        detail = f": {row.detail}" if row.detail else ""
        say(f"{path.name}:{row.line}: {row.email or '(empty)'}: {row.outcome}{detail}")
    if not verbose and len(invalid) > INVALID_SHOWN:
        say(f"{path.name}: … and {len(invalid) - INVALID_SHOWN:,} more invalid rows (--verbose)")
    counts = Counter(row.outcome for row in rows)
    say(
        f"{path.name}: {len(rows):,} rows: "
        + ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items()))
        if rows
        else f"{path}: no rows after the header"
    )
    return EXIT_DATAERR if counts["invalid"] else EXIT_OK


def _export(config: Config, target: str | None) -> int:
    with state(config) as conn:
        text = export_csv(conn)
    if target is None:
        sys.stdout.write(text)
    else:
        write_atomic(Path(target), text.encode("utf-8"), mode=0o600)  # personal data
        say(f"{text.count(chr(10)) - 1} subscriber(s) written to {target}")
    return EXIT_OK
