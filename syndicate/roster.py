"""Subscribers in bulk: the config's list, CSV import and export, and erasure.

CSV is what every list tool exports (Mailchimp, Buttondown, a spreadsheet): a header row with
`email` and `name`, optionally `status` (`active` or `unsubscribed`) and `language`. Import
reports per row; a row that fails does not stop the others; an import never re-activates
someone who unsubscribed, bounced or was erased (their choice beats any list).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from syndicate import store
from syndicate.addresses import (
    deliverable_address,
    parse_mailbox,
    smtputf8_supported,
    split_mailbox,
)
from syndicate.config import Config, ConfigError

IMPORT_STATUSES = ("active", "unsubscribed")
EXPORT_FIELDS = ("email", "name", "status", "language")


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
            " (and optionally `name`, `status`, `language`)"
        )
    reader.fieldnames = fields
    return list(reader), 1


def import_csv(
    conn: store.Database, path: Path, now: datetime, *, smtputf8: bool = False
) -> list[ImportRow]:
    """Every row added (or reported); each address through the one address check
    (`smtputf8`: whether the delivery method can send to a non-ASCII local part)."""
    rows, header_line = read_rows(path)
    out: list[ImportRow] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, header_line + 1):
        raw = (row.get("email") or "").strip()
        status = (row.get("status") or "active").strip().lower() or "active"
        language = (row.get("language") or "").strip()
        try:
            name, addr = parse_mailbox(raw, smtputf8=smtputf8)
        except ValueError as exc:
            out.append(ImportRow(n, raw, "invalid", str(exc)))
            continue
        addr = addr.lower()
        if status not in IMPORT_STATUSES:
            out.append(
                ImportRow(
                    n, addr, "invalid", f"status must be active or unsubscribed, not {status!r}"
                )
            )
            continue
        if language and not _is_language_tag(language):
            out.append(ImportRow(n, addr, "invalid", f"language {language!r} is not a BCP 47 tag"))
            continue
        if addr in seen:
            out.append(ImportRow(n, addr, "invalid", "repeats an earlier row"))
            continue
        seen.add(addr)
        name = (row.get("name") or "").strip() or name
        outcome = store.add_subscriber(
            conn, addr, name, now, resubscribe=False, language=language, status=status
        )
        out.append(ImportRow(n, addr, outcome))
    return out


def _is_language_tag(tag: str) -> bool:
    from syndicate.language import canonical_tag

    return canonical_tag(tag) is not None


def export_csv(conn: store.Database) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for sub in store.subscribers(conn):
        writer.writerow((sub.email, sub.name, sub.status, sub.language))
    return buffer.getvalue()


def sync_config_subscribers(conn: store.Database, config: Config, now: datetime) -> None:
    """Add the config's `digest.subscribers` (someone who left stays out). The config's load
    checked their shape; an address not stored yet also goes through the one address check
    (addresses.deliverable_address) before it is, so email-validator is imported only when
    the list has something new."""
    smtputf8 = smtputf8_supported(config.delivery.method)
    for mailbox in config.digest.subscribers:
        name, addr = split_mailbox(mailbox)
        if store.subscriber_status(conn, addr.lower()) is None:
            try:
                deliverable_address(addr, smtputf8=smtputf8)
            except ValueError as exc:
                raise ConfigError(f"digest.subscribers: {addr!r}: {exc}") from None
        store.add_subscriber(conn, addr, name, now, resubscribe=False)
