"""`syndicate state adopt`: rebuild the state from the outputs it wrote, so that a lost or
old state costs nothing: same ids, nothing resent, unsubscribe links still working.

Into whatever state there is (a new, empty one; a restored backup; a state that was
replaced), under the run lock and in one transaction, it adds what the outputs show and the
state lacks — never removing or re-minting anything it already knows:

1. Articles, from the inbox files and the feeds (adopt/articles.py).
2. Digests, from their web versions and messages (adopt/digests.py, as are 3 and 4).
3. Deliveries, from the outbox. With a relay (SMTP, sendmail) nothing local tells what it
   took: a restored (older) state's queued deliveries are held as `in_doubt` for the
   operator instead of being sent again. The delivery engine advances the outbox's stamp
   while it sends, so a backup taken at any moment of a delivery counts as older.
4. Unsubscribes: a subscriber the state knows keeps its status (a restored backup keeps
   every unsubscribe up to the backup); `--subscribers FILE.csv` applies a
   `subscribers export`.
5. The stamp: the state takes on the outputs' identity and a generation no lower than
   theirs, so the stamps stay byte-identical like every other output.

Finally every output is rendered from the adopted state and compared with the files (nothing
is written): the report lists any that the next run would change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from syndicate.config import Config
from syndicate.core.report import RunReport
from syndicate.delivery.transports import RELAY_METHODS
from syndicate.ops.adopt_articles import adopt_articles, first_seen, match_inbox
from syndicate.ops.adopt_digests import adopt_digests, adopt_outbox, apply_roster
from syndicate.ops.evidence import read_feed_entries
from syndicate.run import guard as state
from syndicate.run.lock import run_lock
from syndicate.site.outputs import Outputs
from syndicate.site.publish import publish
from syndicate.store.connection import open_db
from syndicate.store.db import Database, StateError, bump_generation, set_identity, transaction
from syndicate.store.db import generation as state_generation
from syndicate.store.db import state_id as current_state_id
from syndicate.store.recovery import hold_open_deliveries, stored_identities
from syndicate.store.renders import forget_render_keys


@dataclass
class AdoptReport:
    articles: int = 0  # adopted from inbox files
    stubs: int = 0  # adopted from the feeds alone (their inbox file is gone)
    known: int = 0  # already in the state
    digests: int = 0
    deliveries: int = 0
    subscribers: int = 0
    resends: int = 0
    held: int = 0
    state_id: str = ""
    generation: int = 0
    would_change: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def adopt(config: Config, now: datetime, *, subscribers_csv: Path | None = None) -> AdoptReport:
    report = AdoptReport()
    with run_lock(config):
        conn = open_db(config)
        try:
            stamps = _stamps(config)
            older = any(s.generation > state_generation(conn) for s in stamps.values())
            with transaction(conn):
                _adopt_all(conn, config, now, report, older=older)
                if subscribers_csv is not None:
                    apply_roster(conn, config, subscribers_csv, now, report)
                _take_identity(conn, config, stamps, report)
            _verify(conn, config, report)
        finally:
            conn.close()
    return report


def _stamps(config: Config) -> dict[str, state.Stamp]:
    found = {n: state.read_stamp(f) for n, f in state.targets(config).items()}
    stamps = {n: s for n, s in found.items() if s is not None}
    if len({s.state_id for s in stamps.values()}) > 1:
        where = ", ".join(
            f"{state.targets(config)[n]}: {s.state_id[:8]}" for n, s in stamps.items()
        )
        raise StateError(
            f"the outputs come from two different states ({where}); point paths.feeds and"
            " paths.outbox at the outputs of one site"
        )
    return stamps


def _adopt_all(
    conn: Database, config: Config, now: datetime, report: AdoptReport, *, older: bool
) -> None:
    entries = read_feed_entries(config.path("feeds"))
    known = stored_identities(conn)
    report.known = sum(1 for i in entries if i in known)
    matches, slugs = match_inbox(conn, config, entries, known)
    exact = {m.entry.id for m in matches if m.article.published is None}
    seen = first_seen(conn, entries, exact)
    adopt_articles(conn, config, entries, known, slugs, matches, seen, report)
    adopt_digests(conn, config, entries, seen, report)
    adopt_outbox(conn, config, now, report)
    if older and config.delivery.method in RELAY_METHODS:
        report.held = hold_open_deliveries(
            conn,
            "restored state: may have been sent after the backup; check the relay's log,"
            " then `syndicate digest resend` where needed",
        )


# ---------------------------------------------------------------- identity and the check


def _take_identity(
    conn: Database, config: Config, stamps: dict[str, state.Stamp], report: AdoptReport
) -> None:
    if stamps:
        stamp = max(stamps.values(), key=lambda s: s.generation)
        set_identity(conn, stamp.state_id, stamp.generation)
    else:  # outputs from before stamps, or none: this state's own identity
        bump_generation(conn)
    report.state_id = current_state_id(conn)
    report.generation = state_generation(conn)
    current = state.Stamp(report.state_id, report.generation)
    for name, folder in state.targets(config).items():
        kept = stamps.get(name)
        if kept is not None and kept.state_id == current.state_id:
            continue  # names this state at a generation it has reached: left byte-identical
        if kept is not None or state.has_outputs(name, folder):
            state.write_stamp(folder, current)


def _verify(conn: Database, config: Config, report: AdoptReport) -> None:
    """Render every output from the adopted state and compare, writing nothing; then forget
    the render keys that comparison recorded, so the next run renders (and writes) for real
    whatever differs."""
    outputs = Outputs(config.path("feeds"), dry_run=True)
    publish(conn, config, RunReport(dry_run=True), outputs)
    forget_render_keys(conn)
    report.would_change = sorted(set(outputs.changed))
