"""One run at a time: manual, scheduled and HTTP-triggered runs and the operator commands
that write share one lock; a second is refused with RunInProgress (CLI exit 75, HTTP 409),
never queued silently and never run twice.

SQLite: an flock on `state/run.lock`, released by the kernel however the process ends.
PostgreSQL: a session-level advisory lock on the state's server, held by a connection of the
run's own, released by the server when that connection ends (kill -9, a lost host), so runs
on several hosts exclude each other the same way. Delivery workers do not take it: they
share the queue through claims (delivery/engine.py).
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from syndicate.config import Config
from syndicate.core.files import naming
from syndicate.store.connection import open_db
from syndicate.store.postgresql import (
    RUN_LOCK,
    advisory_lock_held,
    advisory_unlock,
    try_advisory_lock,
)


class RunInProgress(Exception):
    """Another run (manual or scheduled) holds the lock."""


@contextmanager
def run_lock(config: Config, *, wait: float = 0, dry_run: bool = False) -> Iterator[None]:
    """One run at a time across processes (CLI, service, HTTP trigger): an flock on a file in
    the state folder, released by the kernel even if the process dies.

    `wait` > 0 polls for that many seconds first. Only the scheduler uses it: its publish and
    digest jobs often fall on the same minute (07:00), and the digest must not be skipped for
    a day because the 15-minute publish got there first. People and HTTP get a refusal now.
    A dry run takes the lock too (so it reads a state no run is changing) but writes nothing:
    not even the lock file when there is none yet. With the state in PostgreSQL the lock is
    an advisory lock on its server instead (`_postgresql_run_lock`): runs on several hosts
    exclude each other the same way.
    """
    if config.state.url:
        with _postgresql_run_lock(config, wait=wait):
            yield
        return
    state_dir = config.path("state")
    lock_path = state_dir / "run.lock"
    if dry_run and not lock_path.exists():
        yield
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise RunInProgress(
                        f"another syndicate run holds {lock_path}; try again when it ends"
                    ) from None
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        if not dry_run:
            with naming(lock_path):  # a full disk fails here first: say which one
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


@contextmanager
def _postgresql_run_lock(config: Config, *, wait: float = 0) -> Iterator[None]:
    """One run at a time across hosts: a session-level advisory lock on the state's server,
    held by a connection of its own for as long as the run lasts. The server releases it when
    that connection ends, however the process ends (kill -9, a lost host)."""
    conn = open_db(config)
    try:
        deadline = time.monotonic() + wait
        while not try_advisory_lock(conn, RUN_LOCK):
            if time.monotonic() >= deadline:
                raise RunInProgress(
                    f"another syndicate run holds the run lock of {conn.where};"
                    " try again when it ends"
                )
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        try:
            yield
        finally:
            advisory_unlock(conn, RUN_LOCK)
    finally:
        conn.close()


def run_lock_held(config: Config) -> bool:
    """Whether a run holds the lock right now, asked without waiting (the service answers
    409 at once instead of accepting a run that would be refused a moment later; a
    `deliver` worker waits for a run that may still queue a digest)."""
    if config.state.url:
        conn = open_db(config)
        try:
            return advisory_lock_held(conn, RUN_LOCK)
        finally:
            conn.close()
    lock_path = config.path("state") / "run.lock"
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)  # releases the probe's own shared lock
    return False
