"""Console accounts (#24): `syndicate admin add|passwd|remove|list` from standard input and
from a terminal, argon2id hashes in the state, and the state of a syndicate before the
console (schema 4, tests/samples/state) upgraded in place (to schema 6, then #23's 7) on SQLite
and PostgreSQL."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syndicate.config import load_config
from syndicate.ops.admins import password_matches
from syndicate.run import pipeline
from syndicate.store.admins import admins
from syndicate.store.connection import connect, open_db
from syndicate.store.db import schema_version
from syndicate.store.runs import recent_runs
from syndicate.store.schema import LATEST_VERSION
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import subscriber_counts
from tests.conftest import write_config


def admin(site: Path, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "admin", *args, "--config", str(site / "config.toml")],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_accounts_from_standard_input(site, config):
    made = admin(site, "add", "Ana", stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    assert "ana: account made" in made.stdout
    with open_db(config) as conn:
        [row] = admins(conn, time.time())
        assert row.name == "ana"
        stored = conn.execute("SELECT password FROM admins").fetchone()["password"]
        assert stored.startswith("$argon2id$") and "correct" not in stored
        assert password_matches(conn, "ANA", "correct horse battery") == "ana"
        assert password_matches(conn, "ana", "correct horse batterY") is None
        assert password_matches(conn, "nobody", "correct horse battery") is None
    again = admin(site, "add", "ana", stdin="another long password\n")
    assert again.returncode == 2 and "exists" in again.stderr
    short = admin(site, "passwd", "ana", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    nothing = admin(site, "passwd", "ana", stdin="")
    assert nothing.returncode == 2 and "no password on standard input" in nothing.stderr
    assert admin(site, "passwd", "ana", stdin="another long password\n").returncode == 0
    listed = admin(site, "list")
    assert listed.returncode == 0 and listed.stdout.startswith("ana ")
    bad = admin(site, "add", "no spaces allowed", stdin="correct horse battery\n")
    assert bad.returncode == 2 and "not an account name" in bad.stderr
    assert admin(site, "remove", "ana").returncode == 0
    assert "no console accounts yet" in admin(site, "list").stdout
    assert admin(site, "remove", "ana").returncode == 2


def test_on_a_terminal_the_password_is_asked_twice(site, config):
    def on_terminal(*answers: str) -> tuple[int, str]:
        pid, fd = pty.fork()
        if pid == 0:  # the child: syndicate on a terminal
            os.execv(
                sys.executable,
                [sys.executable, "-m", "syndicate", "admin", "add", "ben",
                 "--config", str(site / "config.toml")],
            )  # fmt: skip
        seen = b""
        for answer in answers:
            while b": " not in seen.rsplit(b"\n", 1)[-1]:
                seen += os.read(fd, 1024)
            os.write(fd, answer.encode() + b"\n")
            seen += b"\n"
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        _, code = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(code), seen.decode(errors="replace")

    code, shown = on_terminal("correct horse battery", "correct horse batterY")
    assert code == 2 and "differ" in shown and "correct horse" not in shown  # no echo
    code, shown = on_terminal("correct horse battery", "correct horse battery")
    assert code == 0 and "ben: account made" in shown
    with open_db(config) as conn:
        assert password_matches(conn, "ben", "correct horse battery") == "ben"


# A state as syndicate before the console left it (schema 4): its articles, digests and
# subscribers (two active), and a run, which gains the console's column.
V4_STATE = Path(__file__).parent / "samples" / "state"
V4_RUN = "INSERT INTO runs (started, trigger) VALUES ('2026-12-01T07:00:00+07:00', 'cli')"


def check_upgraded(conn) -> None:
    assert schema_version(conn) == LATEST_VERSION == 7
    [run] = recent_runs(conn)
    assert run["trigger"] == "cli" and run["admin"] is None  # kept, and the new column
    assert subscriber_counts(conn)["active"] == 2
    assert admins(conn, time.time()) == []


def test_a_schema_4_sqlite_state_is_upgraded_in_place(tmp_path):
    path = tmp_path / "syndicate.db"
    raw = sqlite3.connect(path)
    raw.executescript((V4_STATE / "v4.sql").read_text(encoding="utf-8"))
    raw.execute(V4_RUN)
    raw.execute("PRAGMA user_version=4")
    raw.commit()
    assert "admins" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    conn = open_store(path)
    try:
        check_upgraded(conn)
        indexes = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"admins", "admin_sessions", "subscribers_status"} <= indexes
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_a_schema_4_postgresql_state_is_upgraded_in_place(pg_url, tmp_path):
    import psycopg

    from tests.pg_cluster import PASSWORD

    with psycopg.connect(pg_url, password=PASSWORD, autocommit=True) as raw:
        raw.execute((V4_STATE / "v4-postgresql.sql").read_text(encoding="utf-8"))
        raw.execute(V4_RUN)
    conn = connect(pg_url, Path("unused"))
    try:
        check_upgraded(conn)
    finally:
        conn.close()
    # The console's accounts and runs work on PostgreSQL as on SQLite.
    write_config(tmp_path, f'\n[state]\nurl = "{pg_url}"\n')
    made = admin(tmp_path, "add", "ana", stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    conn = connect(pg_url, Path("unused"))
    try:
        assert password_matches(conn, "ana", "correct horse battery") == "ana"
    finally:
        conn.close()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_run_records_who_started_it(store, request, tmp_path):
    extra = ""
    if store == "postgresql":
        extra = f'\n[state]\nurl = "{request.getfixturevalue("pg_url")}"\n'
    write_config(tmp_path, extra)
    config = load_config(tmp_path / "config.toml")
    report = pipeline.run(config, digest="never", admin="ana", trigger="console:never")
    with open_db(config) as conn:
        [run] = recent_runs(conn)
    assert run["id"] == report.run_id and run["admin"] == "ana"
    assert run["trigger"] == "console:never" and report.stage == ""
