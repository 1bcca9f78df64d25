"""Subscribers: one address added, changed, removed or erased, and in bulk: the config's list, CSV
import and export. The CLI (`syndicate subscribers …`) and the console (/admin/subscribers)
both call these, so the two never disagree.

CSV is what every list tool exports (Mailchimp, Buttondown, a spreadsheet): a header row
with `email` and `name`, optionally `status` (`active` or `unsubscribed`), `language` and
`newsletters` (the ids of config/newsletters.py, separated by spaces; empty: the default
ones; a row that names one the config does not have is invalid). Import reports per row; a
row that fails does not stop the others; an import never re-activates someone who
unsubscribed, bounced or was erased (their choice beats any list).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from syndicate.config import Config
from syndicate.config.newsletters import newsletter_choice, newsletters_left
from syndicate.core.addresses import parse_mailbox, smtputf8_supported, split_mailbox
from syndicate.core.language import canonical_tag
from syndicate.core.model import Subscriber
from syndicate.store.db import Database
from syndicate.store.subscribers import (
    NewSubscriber,
    add_subscriber,
    add_subscribers,
    change_subscription,
    erase_subscriber,
    subscribers,
    unsubscribe,
)

IMPORT_STATUSES = ("active", "unsubscribed")
PROGRESS_EVERY = 500  # rows between two progress reports
EXPORT_FIELDS = ("email", "name", "status", "language", "newsletters")


class RosterError(Exception):
    """The file cannot be imported at all (missing, not CSV, no email column), or an address
    or language given for one subscriber cannot be used; the message says why."""


def checked_address(raw: str, *, smtputf8: bool) -> tuple[str, str]:
    """(name, address) as given by an operator, through the one address check
    (addresses.deliverable_address). Adding asks whether we can mail it; removing and
    erasing only look an address up, so they take any address (smtputf8=True), including
    one stored before the check refused it."""
    try:
        name, addr = parse_mailbox(raw, smtputf8=smtputf8)
    except ValueError as exc:
        raise RosterError(f"{raw!r} is not an address we can mail: {exc}") from None
    return name, addr.lower()  # stored lower-cased: one subscriber per mailbox


def language_tag(raw: str) -> str:
    """A subscriber's language as stored ("" = the site's), or RosterError."""
    if not raw.strip():
        return ""
    tag = canonical_tag(raw.strip())
    if tag is None:
        raise RosterError(f"language {raw!r} is not a BCP 47 tag such as 'en' or 'pt-BR'")
    return tag


def newsletter_ids(config: Config, raw: str | None) -> str | None:
    """A choice of newsletters as given ("daily,ports-weekly" or "daily ports-weekly") as it
    is stored ("" = the default ones; None: not given), or RosterError naming an unknown id."""
    if raw is None:
        return None
    try:
        return newsletter_choice(config, raw.replace(",", " ").split())
    except ValueError as exc:
        raise RosterError(f"newsletters: {exc}") from None


def add_address(
    conn: Database,
    config: Config,
    raw: str,
    name: str,
    language: str,
    now: datetime,
    newsletters: str | None = None,
) -> tuple[str, str]:
    """An operator adds (or re-activates) one address: (address, outcome). `newsletters`:
    as given (newsletter_ids; None: those it holds, the default ones for a new address)."""
    given, addr = checked_address(raw, smtputf8=smtputf8_supported(config.delivery.method))
    tag = language_tag(language)
    held = newsletter_ids(config, newsletters)
    outcome = add_subscriber(
        conn,
        addr,
        name or given,
        now,
        resubscribe=True,
        language=tag,
        newsletters=held,
        left=partial(newsletters_left, config),
    )
    return addr, outcome


def set_address(
    conn: Database,
    config: Config,
    raw: str,
    now: datetime,
    *,
    name: str | None = None,
    language: str | None = None,
    newsletters: str | None = None,
) -> Subscriber:
    """Change what a subscriber holds (None: as it is): their name, language ("" the
    site's) and newsletters; the newsletters they leave lose their queued deliveries in the
    same transaction (store/subscribers.change_subscription). RosterError for an unknown
    address, language or newsletter."""
    _, addr = checked_address(raw, smtputf8=True)
    tag = None if language is None else language_tag(language)
    held = newsletter_ids(config, newsletters)
    changed = change_subscription(
        conn,
        now,
        email=addr,
        name=name,
        language=tag,
        newsletters=held,
        left=partial(newsletters_left, config),
    )
    if changed is None:
        raise RosterError(f"{addr}: not a subscriber (`subscribers add` adds it)")
    return changed


def remove_address(conn: Database, raw: str, now: datetime) -> tuple[str, bool]:
    """Unsubscribe (kept, so no list re-adds it): (address, whether it was a subscriber)."""
    _, addr = checked_address(raw, smtputf8=True)
    return addr, unsubscribe(conn, now, email=addr) is not None


def erase_address(conn: Database, raw: str, now: datetime) -> tuple[str, bool]:
    """Delete the address and its personal data, keeping its hash: (address, found)."""
    _, addr = checked_address(raw, smtputf8=True)
    return addr, erase_subscriber(conn, addr, now)


@dataclass(frozen=True)
class ImportRow:
    line: int  # line number in the file (header = 1)
    email: str
    outcome: str  # added, updated, exists, unsubscribed, suppressed, bounced … or "invalid"
    detail: str = ""


def read_csv(path: Path) -> str:
    try:
        return decode_csv(path.read_bytes(), str(path))
    except FileNotFoundError:
        raise RosterError(f"{path}: no such file") from None


def decode_csv(data: bytes, name: str) -> str:
    """A CSV file's text (UTF-8, with or without a byte order mark), or RosterError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"{name}: not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None


def read_rows(text: str, name: str) -> tuple[list[dict[str, str]], int]:
    """The CSV's rows as dicts with lower-case keys, and the header's line number."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if "email" not in fields:
        raise RosterError(
            f"{name}: the first line must be a header naming an `email` column"
            " (and optionally `name`, `status`, `language`, `newsletters`)"
        )
    reader.fieldnames = fields
    return list(reader), 1


def import_csv(
    conn: Database,
    config: Config,
    text: str,
    name: str,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    *,
    smtputf8: bool = False,
) -> list[ImportRow]:
    """Every row's outcome, in the file's order (`text`: the file's, read_csv or
    decode_csv; `name`: the file's name, for messages). The rows are checked first, each address
    through the one address check (`smtputf8`: whether the delivery method can send to a
    non-ASCII local part; `progress` gets (rows checked, rows) every PROGRESS_EVERY), then
    the valid ones are added in one transaction (add_subscribers): all of them, or
    none after an I/O error."""
    rows, header_line = read_rows(text, name)
    out: list[ImportRow | None] = []
    valid: list[tuple[int, NewSubscriber]] = []  # (place in `out`, the entry)
    seen: set[str] = set()
    for done, row in enumerate(rows, 1):
        if progress is not None and done % PROGRESS_EVERY == 0 and done < len(rows):
            progress(done, len(rows))
        problem, entry = _checked_row(row, seen, smtputf8, config)
        if entry is None:
            out.append(ImportRow(header_line + done, *problem))
            continue
        seen.add(entry.email)
        valid.append((len(out), entry))
        out.append(None)
    if progress is not None:
        progress(len(rows), len(rows))
    outcomes = add_subscribers(
        conn,
        [e for _i, e in valid],
        now,
        resubscribe=False,
        left=partial(newsletters_left, config),
    )
    for (i, entry), outcome in zip(valid, outcomes, strict=True):
        out[i] = ImportRow(header_line + 1 + i, entry.email, outcome)
    return [row for row in out if row is not None]


def _checked_row(
    row: dict[str, str], seen: set[str], smtputf8: bool, config: Config
) -> tuple[tuple[str, str, str], NewSubscriber | None]:
    """The row as an entry to add, or ((email, "invalid", why), None)."""
    raw = (row.get("email") or "").strip()
    status = (row.get("status") or "active").strip().lower() or "active"
    language = (row.get("language") or "").strip()
    newsletters = row.get("newsletters")  # None: no such column, the row changes none
    try:
        name, addr = parse_mailbox(raw, smtputf8=smtputf8)
    except ValueError as exc:
        return (raw, "invalid", str(exc)), None
    addr = addr.lower()
    if status not in IMPORT_STATUSES:
        return (addr, "invalid", f"status must be active or unsubscribed, not {status!r}"), None
    try:
        language = language_tag(language)
        newsletters = newsletter_ids(config, newsletters)
    except RosterError as exc:
        return (addr, "invalid", str(exc)), None
    if addr in seen:
        return (addr, "invalid", "repeats an earlier row"), None
    name = (row.get("name") or "").strip() or name
    return ("", "", ""), NewSubscriber(addr, name, language, status, newsletters)


def import_summary(rows: list[ImportRow], name: str) -> str:
    """`list.csv: 20,000 rows: 19,990 added, 8 exists, 2 invalid`."""
    if not rows:
        return f"{name}: no rows after the header"
    counts = Counter(row.outcome for row in rows)
    return f"{name}: {len(rows):,} rows: " + ", ".join(
        f"{n:,} {k}" for k, n in sorted(counts.items())
    )


def export_csv(conn: Database) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for sub in subscribers(conn):
        writer.writerow((sub.email, sub.name, sub.status, sub.language, sub.newsletters))
    return buffer.getvalue()


def sync_config_subscribers(conn: Database, config: Config, now: datetime) -> None:
    """Add the config's `digest.subscribers` (someone who left stays out). The config's load
    put each through the one address check already (config/checks.py)."""
    pairs = map(split_mailbox, config.digest.subscribers)
    entries = [NewSubscriber(addr, name) for name, addr in pairs]
    if entries:
        add_subscribers(conn, entries, now, resubscribe=False)
