"""What changed in the inbox since the last run, read from the listing (inbox/listing.py)
and the state's index, reading no file the state can vouch for.

- A run that finds the listing it recorded last time (LISTING_KEY) has nothing to read; one
  that finds another compares the two listings' records (`changes_since`) and looks up only
  the sources that changed (ingest.py).
- `inbox_changes` answers `status` and `preview` the same way without changing anything:
  files the state has never seen, and files whose bytes changed since they were read.
- A file's fingerprint is the sha256 of its bytes with its sidecar's folded in (an editor's
  NAME.meta.toml is part of the article), or a size/mtime stand-in for a file too big to
  read at all.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from syndicate.config import Config
from syndicate.inbox.sources import Listing, is_sidecar_name, records_of, scan_inbox, sidecar_names
from syndicate.store.db import Database
from syndicate.store.inbox_index import inbox_index, meta_value, stored_files

# The listing of the inbox a run left fully processed (every file unchanged, stored or
# rejected, every signature settled): the same listing next run means nothing to do, and a
# different one is compared with it (its wire, base64) to find the files that changed.
LISTING_KEY = "inbox_listing"
LISTING_WIRE = "inbox_listing_wire"


@dataclass(frozen=True)
class InboxChanges:
    """What the next run will read: inbox files (sources) the state has never seen, and
    those whose bytes changed since they were read (edits, sidecars included)."""

    unread: list[str]
    changed: list[str]


def inbox_changes(conn: Database, config: Config) -> InboxChanges:
    """The inbox compared with the state, reading nothing the state can vouch for (the
    signature recorded with a file's hash, as ingest trusts it) and changing nothing:
    `status` and `preview`. A file renamed or moved counts as unread here; the run
    recognises its bytes and keeps the article as it was."""
    files = scan_inbox(config.path("inbox")).files
    index = inbox_index(conn)
    known_files = stored_files(conn)
    unread, changed = [], []
    for f in files:
        known = known_files.get(f.source)
        if known is None:
            unread.append(f.source)
            continue
        cached = index.get(f.source)
        if f.signature and cached == (f.signature, known.file_hash):
            continue
        try:
            file_hash, _st = file_fingerprint(Path(f.location), config.limits.max_article_bytes)
        except OSError:  # vanished or unreadable since the listing: the run will say
            file_hash = ""
        if file_hash != known.file_hash:
            changed.append(f.source)
    return InboxChanges(unread, changed)


def inbox_files(inbox: Path) -> list[Path]:
    """Candidate files under the inbox, in a stable order; hidden folders are skipped."""
    return [Path(f.location) for f in scan_inbox(inbox).files]


def source_name(path: Path, inbox: Path) -> str:
    return path.relative_to(inbox).as_posix()


def file_fingerprint(path: Path, max_bytes: int) -> tuple[str, os.stat_result]:
    """sha256 of the file, or a size/mtime stand-in for files too big to read at all."""
    st = path.stat()
    if st.st_size > max_bytes:
        return f"oversize:{st.st_size}:{st.st_mtime_ns}", st
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sidecar = next(
        (c for c in (path.with_name(n) for n in sidecar_names(path.name)) if c.is_file()), None
    )
    if sidecar is not None:
        # An editor's NAME.meta.toml is part of the article: editing it is editing the article.
        # Files without one keep their plain sha256, so stored fingerprints stay valid.
        digest = hashlib.sha256(
            f"{digest}:{hashlib.sha256(sidecar.read_bytes()).hexdigest()}".encode()
        ).hexdigest()
    return digest, st


def changes_since(
    conn: Database, recorded: str | None, listing: Listing
) -> tuple[set[str], list[str]] | None:
    """(changed or new, gone) sources since the listing the previous run left fully
    processed; None when there is none, or a sidecar changed (then its article is found by
    comparing every file with the index)."""
    wire = meta_value(conn, LISTING_WIRE) if recorded else None
    if not wire:
        return None
    try:
        sources, stats = (base64.b64decode(part, validate=True) for part in wire.split("."))
        if hashlib.sha256(sources + stats).hexdigest() != recorded:
            return None
        before = records_of(sources, stats)
    except ValueError:  # not two base64 parts of whole records: compare with the index
        return None
    now = listing.records()
    changed = {source for source, record in now.items() if before.get(source) != record}
    gone = [source for source in before if source not in now]
    if any(is_sidecar_name(s) for s in (*changed, *gone)):
        return None
    return changed, gone
