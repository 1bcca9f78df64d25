"""Which state a command opens: PostgreSQL when the config's `state.url` names one (its
password from $SYNDICATE_STATE_PASSWORD, never from the file), else the SQLite file in
`paths.state`.
"""

from __future__ import annotations

import os
from pathlib import Path

from syndicate.config import Config
from syndicate.store.db import Database
from syndicate.store.postgresql import open_postgresql, url_without_password
from syndicate.store.sqlite import open_store


def connect(url: str, path: Path) -> Database:
    """The state: PostgreSQL when `url` is set (config `state.url`), else SQLite at `path`."""
    if url:
        return open_postgresql(url, os.environ.get("SYNDICATE_STATE_PASSWORD", ""))
    return open_store(path)


def open_db(config: Config) -> Database:
    """The state database the config names (PostgreSQL `state.url`, else SQLite)."""
    return connect(config.state.url, config.db_path)


def has_state(config: Config) -> bool:
    """Is there a state to read? (PostgreSQL: the server holds it; connecting will tell.)"""
    return bool(config.state.url) or config.db_path.exists()


def state_where(config: Config) -> str:
    if config.state.url:
        return url_without_password(config.state.url)
    return str(config.db_path)
