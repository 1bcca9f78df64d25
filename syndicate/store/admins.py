"""The console's accounts and sessions (#24): names, password hashes, and the sessions a
login opens. Hashing and checking passwords is ops/admins.py's; the cookie is web/console's.

A session row holds the SHA-256 of the cookie's value, never the value: whoever reads the
state (a backup, a replica) cannot log in with it. Changing a password or removing an
account ends its sessions in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from syndicate.store.db import Database, iso, transaction


class AdminRow(NamedTuple):
    name: str
    added: str
    changed: str
    sessions: int  # sessions open now


class SessionRow(NamedTuple):
    name: str
    csrf: str
    expires: float


def add_admin(conn: Database, name: str, password_hash: str, now: datetime) -> bool:
    """A new account; False when the name is taken (nothing changed)."""
    cur = conn.execute(
        "INSERT INTO admins (name, password, added, changed) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO NOTHING",
        (name, password_hash, iso(now), iso(now)),
    )
    return cur.rowcount > 0


def set_password(conn: Database, name: str, password_hash: str, now: datetime | None) -> bool:
    """Replace an account's hash; with `now` (a new password) its sessions end too. False
    when there is no such account."""
    with transaction(conn):
        if now is None:  # the same password, hashed again with newer parameters
            cur = conn.execute(
                "UPDATE admins SET password = ? WHERE name = ?", (password_hash, name)
            )
            return cur.rowcount > 0
        cur = conn.execute(
            "UPDATE admins SET password = ?, changed = ? WHERE name = ?",
            (password_hash, iso(now), name),
        )
        conn.execute("DELETE FROM admin_sessions WHERE name = ?", (name,))
    return cur.rowcount > 0


def remove_admin(conn: Database, name: str) -> bool:
    with transaction(conn):
        conn.execute("DELETE FROM admin_sessions WHERE name = ?", (name,))
        cur = conn.execute("DELETE FROM admins WHERE name = ?", (name,))
    return cur.rowcount > 0


def password_hash(conn: Database, name: str) -> str | None:
    row = conn.execute("SELECT password FROM admins WHERE name = ?", (name,)).fetchone()
    return row["password"] if row else None


def admins(conn: Database, now: float) -> list[AdminRow]:
    rows = conn.execute(
        "SELECT a.name, a.added, a.changed, (SELECT COUNT(*) FROM admin_sessions s"
        " WHERE s.name = a.name AND s.expires > ?) AS sessions FROM admins a ORDER BY a.name",
        (now,),
    ).fetchall()
    return [AdminRow(r["name"], r["added"], r["changed"], r["sessions"]) for r in rows]


def open_session(
    conn: Database, token_hash: str, name: str, csrf: str, now: float, expires: float
) -> None:
    """Record a session (and forget the expired ones of everybody: they are few)."""
    with transaction(conn):
        conn.execute("DELETE FROM admin_sessions WHERE expires <= ?", (now,))
        conn.execute(
            "INSERT INTO admin_sessions (token_hash, name, csrf, created, expires)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash, name, csrf, now, expires),
        )


def session_by_hash(conn: Database, token_hash: str, now: float) -> SessionRow | None:
    """The live session with this hash, or None (unknown, ended, or expired)."""
    row = conn.execute(
        "SELECT name, csrf, expires FROM admin_sessions WHERE token_hash = ? AND expires > ?",
        (token_hash, now),
    ).fetchone()
    return SessionRow(row["name"], row["csrf"], row["expires"]) if row else None


def end_session(conn: Database, token_hash: str) -> None:
    conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (token_hash,))
