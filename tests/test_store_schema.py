"""Schema versions: today's state upgrades in place; a newer state is refused, not written."""

import sqlite3
from pathlib import Path

import pytest

from syndicate import store
from syndicate.store.schema import LATEST_VERSION

V1_DUMP = Path(__file__).parent / "samples" / "state" / "v1.sql"


def v1_state(tmp_path: Path) -> Path:
    """A state database exactly as syndicate 0.1.0 (schema 1) left it after the sample run."""
    path = tmp_path / "state" / "syndicate.db"
    path.parent.mkdir()
    raw = sqlite3.connect(path)
    raw.executescript(V1_DUMP.read_text(encoding="utf-8"))
    raw.execute("PRAGMA user_version=1")
    raw.close()
    return path


def test_schema_1_state_is_upgraded_in_place_keeping_everything(tmp_path):
    path = v1_state(tmp_path)
    conn = store.open_store(path)
    try:
        assert store.schema_version(conn) == LATEST_VERSION
        assert len(store.state_id(conn)) == 32
        [article] = store.all_articles(conn)
        assert article.id == "tag:news.example.org,2026-11-30:000-6bd5c2adaf47451d"
        assert store.undigested_articles(conn) == []  # it was in digest 2026-11-30-001
        assert store.subscriber_statuses(conn) == {
            "reader@example.org": "active",
            "gone@example.org": "unsubscribed",
        }
        assert store.delivery_counts(conn) == {"sent": 1}
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    # Upgraded once: opening again changes nothing, the state id stays.
    first_id = store.state_id(store.open_store(path))
    assert store.state_id(store.open_store(path)) == first_id


def test_a_state_from_a_newer_syndicate_is_refused_with_its_path(tmp_path):
    path = tmp_path / "syndicate.db"
    store.open_store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(store.StateError, match=rf"{path}.*newer syndicate \(schema 99"):
        store.open_store(path)


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    path = tmp_path / "syndicate.db"
    path.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(store.StateError, match=rf"{path}: not a usable syndicate state"):
        store.open_store(path)
