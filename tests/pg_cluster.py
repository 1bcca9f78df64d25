"""A throwaway PostgreSQL server for the tests, from the distribution's `postgresql` package.

`initdb` and `postgres` refuse to run as root, and CI runs as root: then the cluster belongs
to the unprivileged `nobody` and its programs are started with `runuser`. The server listens
on 127.0.0.1 on a free port, with password (SCRAM) authentication, so the tests go through
the same door as an operator: `state.url` plus $SYNDICATE_STATE_PASSWORD.

A missing server is a failure with the hint to install it, unless SYNDICATE_SKIP_POSTGRESQL=1
(which CI never sets) says to skip these tests on purpose.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

SKIP_ENV = "SYNDICATE_SKIP_POSTGRESQL"
USER = "syndicate"
PASSWORD = "test-" + uuid.uuid4().hex[:12]


def find_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps it off PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.as_other = os.geteuid() == 0
        self.durable = durable  # fsync on (benchmarks) or off (tests: faster, same logic)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_other:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.base)

    def start(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_other:
            shutil.chown(self.base, "nobody")
            shutil.chown(pwfile, "nobody")
        done = self._run(
            "initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale",
        )  # fmt: skip
        pwfile.unlink()
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.base} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-o", options, "-w",
            "start",
        )  # fmt: skip
        if done.returncode:
            log = (self.base / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"postgres did not start: {done.stderr}\n{log}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL (without the password)."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), password=PASSWORD, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)
