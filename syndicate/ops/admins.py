"""The console's accounts (#24): `syndicate admin add|passwd|remove|list` and the console's
login check the same way, here.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher: RFC 9106's second
recommended parameters, 64 MiB and 3 passes, ~50 ms on the 2-core developer machine, a
salt per hash, the parameters inside the PHC string). A hash made with older parameters is
made again at the next good login (`check_needs_rehash`). An unknown name is checked
against a dummy hash, so the answer takes as long as for a real account and says nothing
about which names exist. argon2 is imported where a password is hashed or checked: no
other command pays for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from syndicate.store.admins import add_admin, password_hash, remove_admin, set_password
from syndicate.store.db import Database

if TYPE_CHECKING:
    from argon2 import PasswordHasher

NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD = 10  # characters; NIST SP 800-63B asks for at least 8
MAX_PASSWORD = 1024  # a password is hashed whole: no megabyte "passwords"


class AdminError(Exception):
    """The account action cannot be done as asked; the message says why."""


def account_name(raw: str) -> str:
    """A login name as stored (lower case), or AdminError."""
    name = raw.strip().lower()
    if not NAME.fullmatch(name):
        raise AdminError(
            f"{raw!r} is not an account name: 1-64 letters, digits, '.', '_', '@' or '-',"
            " starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AdminError(f"the password must have at most {MAX_PASSWORD} characters")
    if password != password.strip() or any(ch in password for ch in "\r\n\x00"):
        raise AdminError("the password must not start or end with spaces or hold line breaks")
    return password


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # the heavy edge: only where passwords are handled

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("an account that does not exist")


def create_account(conn: Database, raw_name: str, password: str, now: datetime) -> str:
    name = account_name(raw_name)
    hashed = _hasher().hash(check_password(password))
    if not add_admin(conn, name, hashed, now):
        raise AdminError(f"{name}: the account exists; `syndicate admin passwd {name}` changes it")
    return name


def change_password(conn: Database, raw_name: str, password: str, now: datetime) -> str:
    """A new password; the account's sessions end (logged out everywhere)."""
    name = account_name(raw_name)
    if not set_password(conn, name, _hasher().hash(check_password(password)), now):
        raise AdminError(f"{name}: no such account (`syndicate admin list`)")
    return name


def delete_account(conn: Database, raw_name: str) -> str:
    name = account_name(raw_name)
    if not remove_admin(conn, name):
        raise AdminError(f"{name}: no such account (`syndicate admin list`)")
    return name


def password_matches(conn: Database, raw_name: str, password: str) -> str | None:
    """The account's name when `password` is its password, else None (an unknown or
    malformed name costs the same hashing time as a wrong password)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    try:
        name = account_name(raw_name)
    except AdminError:
        name = ""
    stored = password_hash(conn, name) if name else None
    try:
        hasher.verify(stored or _dummy_hash(), password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if stored is None:
        return None
    if hasher.check_needs_rehash(stored):
        set_password(conn, name, hasher.hash(password), None)
    return name
