"""Who holds a claim, whether it is still alive, and whether a claimed delivery is still
wanted right before its copy goes to a relay: what the engine asks about its claims.

A worker's id names its role, host and process (`run:mail1:4242:9f3a1c`): the next worker on
the same host releases the claims of one whose process is gone at once, instead of waiting
for its lease; a worker on another host cannot tell, and waits for the lease.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from syndicate.delivery.folders import process_alive
from syndicate.store.db import Database
from syndicate.store.deliveries import still_wanted

_HOST = os.uname().nodename


def worker_id(role: str = "run") -> str:
    """Who holds a claim: its role, host and process, and a random part (pids repeat)."""
    return f"{role}:{_HOST}:{os.getpid()}:{os.urandom(3).hex()}"


def worker_alive(worker: str) -> bool:
    """False only for a worker of this host whose process is gone."""
    parts = worker.split(":")
    if len(parts) != 4 or parts[1] != _HOST or not parts[2].isdigit():
        return True
    return process_alive(int(parts[2]))


class AudienceGate:
    """Is a claimed delivery still wanted, right before its copy goes to a relay? The engine
    asks inside a transaction that lasts until the copy's first bytes are on their way, so
    no unsubscribe commits between the answer and the send: on SQLite the transaction holds
    the write lock; on PostgreSQL the answer locks the subscriber's row (FOR SHARE), which
    every unsubscribe updates."""

    def __init__(self, conn: Database) -> None:
        self.conn = conn
        self.sqlite = conn.dialect == "sqlite"
        self.version: int | None = None
        self.withdrawn: set[tuple[str, str]] = set()

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def before_claim(self) -> None:
        """Called right before a claim, which itself reads the subscribers' status: any
        change committed after this point is seen by `wanted`."""
        if self.sqlite:
            self.version = self._data_version()
            self.withdrawn.clear()

    def wanted(self, key: tuple[str, str], unsent: Callable[[], Sequence[tuple[str, str]]]) -> bool:
        """`unsent()`: every key claimed and not handed over yet, `key` included: what a
        change since the last look may have withdrawn."""
        if not self.sqlite:
            return bool(still_wanted(self.conn, [key], hold=True))
        version = self._data_version()
        if version != self.version:
            self.version = version  # read before the lookup: a commit during it is seen next
            keys = list(unsent())
            self.withdrawn.update(set(keys) - still_wanted(self.conn, keys))
        return key not in self.withdrawn
