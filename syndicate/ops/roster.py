"""Subscribers in bulk: the config's list, CSV import and export, and erasure.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from syndicate.config import Config
from syndicate.config.newsletters import newsletter_choice, newsletters_left
from syndicate.core.addresses import parse_mailbox, split_mailbox
from syndicate.core.language import canonical_tag
from syndicate.store.db import Database
from syndicate.store.subscribers import NewSubscriber, add_subscribers, subscribers

IMPORT_STATUSES = ("active", "unsubscribed")
PROGRESS_EVERY = 500  # rows between two progress reports
EXPORT_FIELDS = ("email", "name", "status", "language", "newsletters")


class RosterError(Exception):
    """The file cannot be imported at all (missing, not CSV, no email column)."""


@dataclass(frozen=True)
class ImportRow:
    line: int  # line number in the file (header = 1)
    email: str
    outcome: str  # added, updated, exists, unsubscribed, suppressed, bounced … or "invalid"
    detail: str = ""


def read_rows(path: Path) -> tuple[list[dict[str, str]], int]:
    """The CSV's rows as dicts with lower-case keys, and the header's line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if "email" not in fields:
        raise RosterError(
            f"{path}: the first line must be a header naming an `email` column"
            " (and optionally `name`, `status`, `language`, `newsletters`)"
        )
    reader.fieldnames = fields
    return list(reader), 1


def import_csv(
    conn: Database,
    config: Config,
    path: Path,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    *,
    smtputf8: bool = False,
) -> list[ImportRow]:
    """Every row's outcome, in the file's order. The rows are checked first, each address
    through the one address check (`smtputf8`: whether the delivery method can send to a
    non-ASCII local part; `progress` gets (rows checked, rows) every PROGRESS_EVERY), then
    the valid ones are added in one transaction (add_subscribers): all of them, or
    none after an I/O error."""
    rows, header_line = read_rows(path)
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
    if language and canonical_tag(language) is None:
        return (addr, "invalid", f"language {language!r} is not a BCP 47 tag"), None
    if language:
        language = canonical_tag(language) or language
    if newsletters is not None:
        try:
            newsletters = newsletter_choice(config, newsletters.replace(",", " ").split())
        except ValueError as exc:
            return (addr, "invalid", f"newsletters: {exc}"), None
    if addr in seen:
        return (addr, "invalid", "repeats an earlier row"), None
    name = (row.get("name") or "").strip() or name
    return ("", "", ""), NewSubscriber(addr, name, language, status, newsletters)


def export_csv(conn: Database) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for sub in subscribers(conn):
        writer.writerow((sub.email, sub.name, sub.status, sub.language, sub.newsletters))
    return buffer.getvalue()


def sync_config_subscribers(conn: Database, config: Config, now: datetime) -> None:
    """Add the config's `digest.subscribers` (someone who left stays out). The config's load
    put each through the one address check already (checks.py)."""
    pairs = map(split_mailbox, config.digest.subscribers)
    entries = [NewSubscriber(addr, name) for name, addr in pairs]
    if entries:
        add_subscribers(conn, entries, now, resubscribe=False)
