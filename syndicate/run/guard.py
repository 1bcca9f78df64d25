"""The state and the outputs written from it: stamps, the guard, backups, the PostgreSQL lock.

Lost state is never a fresh start. Every output folder a run writes to (`paths.feeds`, and
the outbox: Maildir, .eml, or with SMTP a folder holding only the stamp) carries a stamp,
`.syndicate-state`, naming the state it was written from (`meta.state_id`, minted when the
state is created) and that state's *generation*, a counter every run or command bumps
(committed) right before its first write to an output or its first message. Before
publishing or sending anything, the guard compares:

- no state file, but stamped (or unstamped but non-empty) outputs → the state is missing;
- another state id in the stamp → the state was replaced (a new server, a wrong file);
- a higher generation in the stamp → the state is older than the outputs (a restored
  backup): it does not know articles, digests or deliveries the outputs already show;
- an empty state beside outputs without a stamp → the same as missing.

Each refuses with StateMismatch (exit 74, one line: the path, and `syndicate state adopt`
or restoring a backup), before anything is written. Outputs without a stamp beside a state
that has content are those of a syndicate from before stamps: they are stamped, not refused.

Decisions:
- The generation is bumped once per command when it publishes, and whenever the delivery
  engine is about to hand over a claim's first message and once more when it ends
  (`Guard.advance`), and only when it really writes or sends (a run that changes nothing
  writes no byte, the stamp included). So a backup taken at any moment during a delivery is
  older than the outbox's stamp once that delivery went on: restoring it never resends.
  The state commits the new generation before the stamp is written, and the guard reads
  stamps before the state, so concurrent workers never see a stamp ahead of the state they
  read.
- Stamps only ever move forward: concurrent writers (delivery workers on one outbox) take
  an flock on the folder and keep the higher generation.
- `state adopt` (adopt/) takes on the stamp's identity and generation, so after a rebuild
  the stamp, like every other output, is byte-identical.
- `state backup` uses SQLite's online backup API: a consistent copy while `serve` runs,
  which writes nothing to the live state. A PostgreSQL state is backed up with the server's
  own tools (pg_dump).
- The one case the stamps cannot tell: a backup taken in the middle of a claim, a crash that
  ends that claim, and the backup restored before any later delivery (which would advance
  the stamp first). Messages of that claim sent between the backup and the crash are then
  unknown to both; the claim size bounds them (25 per SMTP connection by default).
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.config import Config
from syndicate.core.files import write_atomic
from syndicate.delivery.folders import TEST_MESSAGE_PREFIX
from syndicate.site.outputs import Outputs
from syndicate.store.db import Database, StateError, bump_generation, is_empty
from syndicate.store.db import generation as state_generation
from syndicate.store.db import state_id as current_state_id

STAMP = ".syndicate-state"


class StateMismatch(StateError):
    """The state does not match the outputs it would write to; nothing was done."""


@dataclass(frozen=True)
class Stamp:
    state_id: str
    generation: int

    def text(self) -> str:
        return (
            "# syndicate: the outputs in this folder were written from this state.\n"
            "# Keep this file; see `syndicate state adopt` in README.md.\n"
            f'state_id = "{self.state_id}"\n'
            f"generation = {self.generation}\n"
        )


# ---------------------------------------------------------------- stamps


def targets(config: Config) -> dict[str, Path]:
    """The output folders that carry a stamp: feeds, and the outbox. With SMTP the outbox
    folder holds nothing but the stamp: still the evidence that messages went out from a
    later state than a restored backup (the feeds' stamp moves only when a feed changes)."""
    return {"feeds": config.path("feeds"), "outbox": config.path("outbox")}


def read_stamp(folder: Path) -> Stamp | None:
    import tomllib

    try:
        data = tomllib.loads((folder / STAMP).read_text(encoding="utf-8"))
        return Stamp(str(data["state_id"]), int(data["generation"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise StateMismatch(
            f"{folder / STAMP}: unreadable state stamp ({exc}); it names the state these"
            " outputs came from: restore it, or run `syndicate state adopt`"
        ) from None


def write_stamp(folder: Path, stamp: Stamp) -> None:
    """Write the stamp unless it already names this state at this generation or later."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        current = read_stamp(folder)
        if (
            current
            and current.state_id == stamp.state_id
            and current.generation >= stamp.generation
        ):
            return
        write_atomic(folder / STAMP, stamp.text().encode())
    finally:
        os.close(fd)  # releases the lock


def has_outputs(name: str, folder: Path) -> bool:
    """Anything a reader or subscriber may already have: feeds and pages, or messages
    (but `send-test`'s, which are written from no state)."""
    if not folder.is_dir():
        return False
    if name == "feeds":
        if any((folder / n).exists() for n in ("rss.xml", "atom.xml", "feed.json")):
            return True
        return any(any((folder / d).glob("*.html")) for d in ("articles", "digests"))
    messages = [*folder.glob("*.eml")]
    for box in ("new", "cur"):
        if (folder / box).is_dir():
            messages += (folder / box).iterdir()
    return any(not m.name.startswith(TEST_MESSAGE_PREFIX) for m in messages)


_WHAT_TO_DO = (
    "nothing was published or sent; run `syndicate state adopt` to rebuild the state from"
    " the outputs, or restore a backup of the state (README: Backups and restore)"
)


def check_missing(config: Config) -> None:
    """Before a SQLite state is created: refuse if outputs show that one existed."""
    if config.state.url or config.db_path.exists():
        return
    for name, folder in targets(config).items():
        stamp = read_stamp(folder)
        if stamp is not None or has_outputs(name, folder):
            raise StateMismatch(
                f"{config.db_path}: no state, but {folder} holds outputs written from one;"
                f" {_WHAT_TO_DO}"
            )


def check(conn: Database, config: Config) -> dict[str, Stamp | None]:
    """Refuse (StateMismatch) if this state is not the one the outputs were written from, or
    older than they are. Returns the stamps found."""
    stamps = {name: read_stamp(folder) for name, folder in targets(config).items()}
    own_id = current_state_id(conn)
    own_generation = state_generation(conn)  # read after the stamps: see module docstring
    empty: bool | None = None
    for name, folder in targets(config).items():
        stamp = stamps[name]
        if stamp is None:
            if empty is None:
                empty = is_empty(conn)
            if empty and has_outputs(name, folder):
                raise StateMismatch(
                    f"{conn.where}: a new, empty state, but {folder} already holds outputs"
                    f" (written from a state that is gone); {_WHAT_TO_DO}"
                )
        elif stamp.state_id != own_id:
            raise StateMismatch(
                f"{conn.where}: {folder} was written from another state ({stamp.state_id[:8]},"
                f" this one is {own_id[:8]}): the state was lost or replaced; {_WHAT_TO_DO}"
            )
        elif stamp.generation > own_generation:
            raise StateMismatch(
                f"{conn.where}: this state (generation {own_generation}) is older than the"
                f" outputs in {folder} (generation {stamp.generation}), e.g. a restored backup;"
                f" {_WHAT_TO_DO}"
            )
    return stamps


@dataclass
class Guard:
    """Checks the state against the outputs once, then stamps each output folder right
    before the command first writes to it (bumping the generation once per command)."""

    conn: Database
    config: Config
    dry_run: bool = False
    generation: int = 0
    stamped: set[str] = field(default_factory=set)

    @classmethod
    def checked(cls, conn: Database, config: Config, *, dry_run: bool = False) -> Guard:
        check(conn, config)
        return cls(conn, config, dry_run=dry_run)

    def touch(self, name: str) -> None:
        """About to write to output folder `name` ("feeds" or "outbox")."""
        if self.dry_run or name in self.stamped:
            return
        folder = targets(self.config).get(name)
        if not self.generation:
            self.generation = bump_generation(self.conn)
        if folder is not None:
            write_stamp(folder, Stamp(current_state_id(self.conn), self.generation))
        self.stamped.add(name)

    def advance(self, name: str) -> None:
        """Move the generation forward and stamp folder `name` with it, however often this
        command did so before: the delivery engine calls it before each claim's first
        message and once at the end, so a backup taken while messages went out is always
        older than the outbox (and a run or `state adopt` treats it as such)."""
        if self.dry_run:
            return
        self.generation = bump_generation(self.conn)
        folder = targets(self.config).get(name)
        if folder is not None:
            write_stamp(folder, Stamp(current_state_id(self.conn), self.generation))
        self.stamped.add(name)

    def outputs(self, root: Path, *, dry_run: bool = False) -> Outputs:
        return StampedOutputs(root, dry_run=dry_run, guard=self)


@dataclass
class StampedOutputs(Outputs):
    """The feeds folder, stamped before the first byte that changes in it."""

    guard: Guard | None = None

    def _before_change(self, name: str, data: bytes | None) -> None:
        if self.dry_run or self.guard is None or "feeds" in self.guard.stamped:
            return
        if data is not None:
            try:
                if (self.root / name).read_bytes() == data:
                    return
            except OSError:
                pass
        self.guard.touch("feeds")

    def write(self, name: str, data: bytes) -> bool:
        self._before_change(name, data)
        return super().write(name, data)

    def remove(self, name: str) -> None:
        self._before_change(name, None)
        super().remove(name)
