"""`syndicate subscribers …`: list, add, set, remove, import, export, erase."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.cli.common import EXIT_DATAERR, EXIT_OK, CommandError, say, state
from syndicate.config.newsletters import newsletter_choice, newsletters_left
from syndicate.core.addresses import parse_mailbox, smtputf8_supported
from syndicate.core.files import write_atomic
from syndicate.core.language import canonical_tag
from syndicate.core.report import printable
from syndicate.delivery.handover import DeliveryError
from syndicate.delivery.welcome import send_welcome
from syndicate.ops.roster import RosterError, export_csv, import_csv
from syndicate.store.subscribers import (
    add_subscriber,
    change_subscription,
    erase_subscriber,
    get_subscriber,
    subscribers,
    unsubscribe,
)

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
    if action in ("add", "set"):  # checked before anything is stored
        language, held = _language(args.language), _newsletters(config, args.newsletters)
    with state(config) as conn:
        if action == "list":
            for sub in subscribers(conn):
                fields = (sub.email, sub.status, sub.name, sub.language, sub.newsletters)
                print("\t".join(printable(v) for v in fields))
            return EXIT_OK
        if action == "add":
            outcome = add_subscriber(
                conn,
                addr,
                args.name or name,
                now,
                resubscribe=True,
                language=language or "",
                newsletters=held,
                left=partial(newsletters_left, config),
            )
            say(f"{addr}: {outcome}")
            if args.welcome:
                _welcome(config, get_subscriber(conn, addr), now)
        elif action == "set":
            _, addr = _address(args.address, smtputf8=True)
            changed = change_subscription(
                conn,
                now,
                email=addr,
                name=args.name,
                language=language,
                newsletters=held,
                left=partial(newsletters_left, config),
            )
            if changed is None:
                raise CommandError(f"{addr}: not a subscriber (`subscribers add` adds it)")
            say(
                f"{addr}: {changed.status}, language {changed.language or 'the site'}'s,"
                f" newsletters {changed.newsletters or 'the default ones'}"
            )
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


def _language(raw: str | None) -> str | None:
    """`--language`: a BCP 47 tag in its canonical case, "" (the site's), None (not given)."""
    if not raw:
        return raw
    tag = canonical_tag(raw)
    if tag is None:
        raise CommandError(f"--language {raw!r} is not a BCP 47 tag such as 'en' or 'pt-BR'")
    return tag


def _newsletters(config: Config, raw: str | None) -> str | None:
    """`--newsletters daily,ports-weekly`: as stored ("" = the default ones; None: not given)."""
    if raw is None:
        return None
    try:
        return newsletter_choice(config, raw.replace(",", " ").split())
    except ValueError as exc:
        raise CommandError(f"--newsletters: {exc}") from None


def _welcome(config: Config, subscriber, now: datetime) -> None:
    if subscriber is None or subscriber.status != "active":
        say(f"no welcome message: {subscriber.email if subscriber else 'it'} is not active")
        return
    try:
        where = send_welcome(config, subscriber, now)
    except (DeliveryError, ValueError) as exc:
        raise CommandError(f"{subscriber.email}: the welcome message was not sent: {exc}") from None
    say(f"{subscriber.email}: welcome message sent ({where})")


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
            rows = import_csv(conn, config, path, now, progress, smtputf8=smtputf8)
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
