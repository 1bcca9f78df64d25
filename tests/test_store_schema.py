"""Schema versions: today's state upgrades in place; a newer state is refused, not written."""

import sqlite3
from pathlib import Path

import pytest

from syndicate.store.articles import all_articles
from syndicate.store.db import StateError, schema_version, state_id
from syndicate.store.deliveries import delivery_counts
from syndicate.store.digests import count_pending, undigested_articles
from syndicate.store.schema import LATEST_VERSION
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import subscriber_statuses
from tests.factories import UNDO_SCHEMA_6

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
    conn = open_store(path)
    try:
        assert schema_version(conn) == LATEST_VERSION
        assert len(state_id(conn)) == 32
        [article] = all_articles(conn)
        assert article.id == "tag:news.example.org,2026-11-30:000-6bd5c2adaf47451d"
        assert undigested_articles(conn) == []  # it was in digest 2026-11-30-001
        assert subscriber_statuses(conn) == {
            "reader@example.org": "active",
            "gone@example.org": "unsubscribed",
        }
        assert delivery_counts(conn) == {"sent": 1}
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    # Upgraded once: opening again changes nothing, the state id stays.
    first_id = state_id(open_store(path))
    assert state_id(open_store(path)) == first_id


def test_a_state_from_a_newer_syndicate_is_refused_with_its_path(tmp_path):
    path = tmp_path / "syndicate.db"
    open_store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(StateError, match=rf"{path}.*newer syndicate \(schema 99"):
        open_store(path)


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    path = tmp_path / "syndicate.db"
    path.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(StateError, match=rf"{path}: not a usable syndicate state"):
        open_store(path)


def index_sql(conn) -> dict[str, str]:
    """Every index and its definition, whitespace folded (a migration writes the same words)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name: " ".join(sql.split()) for name, sql in rows if sql is not None}


def plan(conn, sql: str, *args) -> str:
    return " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


def test_the_article_rows_are_read_from_their_covering_index(tmp_path):
    # What every publishing run reads must not walk the articles' JSON (overflow pages):
    # pin the plan, since a column added to the query but not to the index would silently
    # fall back to a table scan and a sort.
    from syndicate.store.articles import ARTICLE_ROWS_SQL

    conn = open_store(tmp_path / "syndicate.db")
    try:
        found = plan(conn, ARTICLE_ROWS_SQL)
        assert "COVERING INDEX articles_rows" in found and "TEMP B-TREE" not in found
        assert "COVERING INDEX" in plan(conn, "SELECT id, source, file_hash FROM articles")
    finally:
        conn.close()


def test_pending_articles_and_a_digests_members_each_have_their_own_index(tmp_path):
    # Every `run` counts the pending articles; with the planner free to pick the index of
    # all rows without a digest, a site that began with `digest skip` walked thousands of
    # skipped rows. The partial indexes only match the queries' exact words: pin the plans.
    from syndicate.store.digests import _PENDING

    conn = open_store(tmp_path / "syndicate.db")
    try:
        count = plan(conn, f"SELECT COUNT(*) FROM articles WHERE {_PENDING}")
        assert "articles_pending" in count
        listed = plan(
            conn, f"SELECT data FROM articles WHERE {_PENDING} ORDER BY published DESC, id"
        )
        assert "articles_pending" in listed and "TEMP B-TREE" not in listed
        members = "SELECT id, data FROM articles WHERE digest_id = ? AND retracted_at IS NULL"
        assert "INDEX articles_digest (digest_id=?)" in plan(conn, members, "2026-11-30-1")
    finally:
        conn.close()


def test_pending_articles_are_the_same_through_the_index(tmp_path):
    from syndicate.store.digests import _PENDING

    conn = open_store(tmp_path / "syndicate.db")
    try:
        rows = [
            ("a", None, None, None, "2026-01-03"),
            ("b", "2026-01-01-1", None, None, "2026-01-02"),
            ("c", None, "2026-01-01", None, "2026-01-01"),
            ("d", None, None, "2026-01-01", "2026-01-04"),
            ("e", None, None, None, "2026-01-05"),
        ]
        for id_, digest_id, skipped, retracted, published in rows:
            conn.execute(
                "INSERT INTO articles (id, source, slug, file_hash, content_hash, first_seen,"
                " published, updated, data, digest_id, skipped_at, retracted_at)"
                " VALUES (?, ?, ?, '', '', ?, ?, ?, '{}', ?, ?, ?)",
                (id_, id_, id_, published, published, published, digest_id, skipped, retracted),
            )
        indexed = conn.execute(
            f"SELECT id FROM articles WHERE {_PENDING} ORDER BY published DESC, id"
        ).fetchall()
        scanned = conn.execute(
            "SELECT id FROM articles NOT INDEXED"
            " WHERE digest_id IS NULL AND skipped_at IS NULL AND retracted_at IS NULL"
            " ORDER BY published DESC, id"
        ).fetchall()
        assert [r["id"] for r in indexed] == [r["id"] for r in scanned] == ["e", "a"]
        assert count_pending(conn) == 2
    finally:
        conn.close()


def as_schema_2(path: Path) -> None:
    """Turn a new state's indexes back into what schema 2 had."""
    raw = sqlite3.connect(path)
    raw.executescript(
        UNDO_SCHEMA_6
        + """
        DROP INDEX articles_rows;
        DROP INDEX articles_pending;
        DROP INDEX articles_digest;
        CREATE INDEX articles_digest ON articles (digest_id);
        UPDATE meta SET value = '2' WHERE key = 'schema_version';
        """
    )
    raw.commit()
    raw.close()


def test_a_schema_2_state_gains_the_indexes_and_equals_a_new_one(tmp_path):
    fresh = open_store(tmp_path / "fresh.db")
    expected = index_sql(fresh)
    fresh.close()
    path = tmp_path / "syndicate.db"
    open_store(path).close()
    as_schema_2(path)
    assert "articles_pending" not in index_sql(sqlite3.connect(path))
    conn = open_store(path)
    try:
        assert schema_version(conn) == LATEST_VERSION == 6
        assert index_sql(conn) == expected
        assert {"articles_rows", "articles_pending"} <= set(expected)
        assert "WHERE digest_id IS NOT NULL" in expected["articles_digest"]
    finally:
        conn.close()
