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


def index_names(conn) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {r["name"] for r in rows if not r["name"].startswith("sqlite_autoindex")}


def test_the_article_rows_are_read_from_their_covering_index(tmp_path):
    # What every publishing run reads must not walk the articles' JSON (overflow pages):
    # pin the plan, since a column added to the query but not to the index would silently
    # fall back to a table scan and a sort.
    from syndicate.store.articles import ARTICLE_ROWS_SQL

    conn = store.open_store(tmp_path / "syndicate.db")
    try:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + ARTICLE_ROWS_SQL))
        assert "COVERING INDEX articles_rows" in plan and "TEMP B-TREE" not in plan
        plan = " ".join(
            r[3]
            for r in conn.execute("EXPLAIN QUERY PLAN SELECT id, source, file_hash FROM articles")
        )
        assert "COVERING INDEX" in plan
    finally:
        conn.close()


def test_a_schema_2_state_gains_the_index_and_equals_a_new_one(tmp_path):
    fresh = store.open_store(tmp_path / "fresh.db")
    expected = index_names(fresh)
    fresh.close()
    path = tmp_path / "syndicate.db"
    store.open_store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("DROP INDEX articles_rows")
    raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    conn = store.open_store(path)
    try:
        assert store.schema_version(conn) == LATEST_VERSION == 3
        assert index_names(conn) == expected and "articles_rows" in expected
    finally:
        conn.close()
