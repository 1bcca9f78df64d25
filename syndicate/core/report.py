"""What one run did: the operator's one-screen report, the runs table and the HTTP API;
and `printable`, which every line shown to the operator goes through.

File names come from whoever drops files in the inbox, bounce diagnostics and Maildir keys
from whoever sends mail: a newline in one would split a report line (a forged "rejected"
line), an escape sequence would drive the terminal, a bidi override would reorder what the
operator reads, and a name that is not UTF-8 (kept by Python as lone surrogates) would
crash the print. The reports escape them as Python does (`\\n`, `\\x1b`, `\\u202e`); the
stored values are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate.core.model import Article

Progress = Callable[[str], None]

# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates,
# and the surrogates that stand for undecodable bytes in file names (surrogateescape).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str, keep: str = "") -> str:
    """`text` safe to show on one terminal line: each character above escaped (a byte that
    was not UTF-8 as `\\xNN`), except those in `keep` (e.g. "\\n" for a multi-line block)."""

    def escape(found: re.Match[str]) -> str:
        ch = found.group(0)
        if ch in keep:
            return ch
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"
        return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")

    return _UNPRINTABLE.sub(escape, text)


def printable_lines(lines: list[str]) -> str:
    """Report lines joined by newlines, each made printable: a newline inside a file name
    stays inside its line."""
    return "\n".join(printable(line) for line in lines)


@dataclass(frozen=True)
class Rejection:
    """An inbox file we could not use, and why (shown to the operator, stored in state)."""

    source: str
    reason: str


@dataclass(frozen=True)
class MadeDigest:
    """A digest a run made: one per newsletter that was due (config/newsletters.py)."""

    id: str
    newsletter: str  # its id; "" for the one digest of a config without [[newsletters]]
    articles: int  # all of them, shown or counted
    recipients: int  # deliveries queued


@dataclass
class RunReport:
    """What one run did, for the operator's one-screen report and the runs table."""

    run_id: int | None = None  # its row in the runs table (none for a dry run)
    new: list[Article] = field(default_factory=list)
    updated: list[Article] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)  # newly rejected this run
    still_rejected: list[Rejection] = field(default_factory=list)  # unchanged since rejected
    waiting: list[Rejection] = field(default_factory=list)  # being written; next run
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old, new) file names
    feeds_written: list[str] = field(default_factory=list)
    pages_written: list[str] = field(default_factory=list)  # article pages, digest web versions
    digests: list[MadeDigest] = field(default_factory=list)
    # Why a newsletter made no digest, or when its next is due ("daily: none now: …"; the one
    # digest of a config without [[newsletters]] without the name).
    digest_notes: list[str] = field(default_factory=list)
    skipped_articles: int = 0  # `digest skip`: marked as digested without a digest
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # temporary: retried after a backoff
    # refused for good (5xx), out of attempts, or in doubt and held: this run's
    failed_for_good: list[str] = field(default_factory=list)
    delivery_stopped: str = ""  # why delivery stopped early (the relay's circuit breaker)
    unresolved: int = 0  # deliveries to active subscribers failed for good, in the state
    warnings: list[str] = field(default_factory=list)  # trouble: shown even with --quiet
    config_problem: str = ""  # a setting kept the digest from being made (exit 78)
    notes: list[str] = field(default_factory=list)  # advice: part of the report, not trouble
    dry_run: bool = False
    # Where the run is, as it goes (the console follows a run by reading its report live):
    # its step, the files the inbox step reads and the copies the delivery step claims.
    stage: str = ""  # reading → publishing → digest → delivering → "" once done
    to_read: int = 0
    to_send: int = 0

    @property
    def digest_id(self) -> str | None:
        """The digest this run made (the first, when several newsletters were due)."""
        return self.digests[0].id if self.digests else None

    @property
    def digest_articles(self) -> int:
        return self.digests[0].articles if self.digests else 0

    @property
    def digest_note(self) -> str:
        return "; ".join(self.digest_notes)

    def counts(self) -> dict[str, int | str | None]:
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "moved": len(self.moved),
            "rejected": len(self.rejected),
            "still_rejected": len(self.still_rejected),
            "waiting": len(self.waiting),
            "feeds_written": len(self.feeds_written),
            "pages_written": len(self.pages_written),
            "digest": ", ".join(d.id for d in self.digests) or None,
            "sent": self.sent,
            "failed": len(self.failed),
            "failed_for_good": len(self.failed_for_good),
            "unresolved": self.unresolved,
        }

    def details(self) -> dict[str, list[str]]:
        """The lists behind the counts: `syndicate status` shows what a report cut short."""
        return {
            "new": [f"{a.source}  {a.title}" for a in self.new],
            "updated": [f"{a.source}  {a.title}" for a in self.updated],
            "moved": [f"{old} → {new}" for old, new in self.moved],
            "rejected": [f"{r.source}: {r.reason}" for r in self.rejected],
            "waiting": [f"{r.source}: {r.reason}" for r in self.waiting],
            "feeds_written": list(self.feeds_written),
            "failed": list(self.failed),
            "failed_for_good": list(self.failed_for_good),
            "delivery_stopped": [self.delivery_stopped] if self.delivery_stopped else [],
            "warnings": list(self.warnings),
            # Why there was no digest (or when the next is due), as the CLI's report says.
            "digest_note": list(self.digest_notes),
            "notes": list(self.notes),
        }
