"""Schema versions: today's state upgrades in place; a newer state is refused, not written."""

import sqlite3
from pathlib import Path

import pytest

from syndicate.store.articles import all_articles
from syndicate.store.db import StateError, schema_version, state_id
from syndicate.store.deliveries import CLAIM_SQL, MAX_ATTEMPTS, delivery_counts
from syndicate.store.digests import digest_articles, last_digest, undigested_articles
from syndicate.store.newsletters import article_digests, count_pending
from syndicate.store.schema import LATEST_VERSION
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import subscriber_statuses

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


def test_a_claim_walks_the_queue_index_without_statistics(tmp_path):
    # SQLite picks the index walk with no ANALYZE (PostgreSQL needs its statistics:
    # tests/test_postgresql.py); a claim must never sort the whole queue.
    conn = open_store(tmp_path / "syndicate.db")
    try:
        found = plan(conn, CLAIM_SQL, MAX_ATTEMPTS, 0.0, 0.0, 25)
        assert "INDEX deliveries_queue" in found and "TEMP B-TREE" not in found, found
    finally:
        conn.close()


def test_the_article_rows_are_read_from_their_covering_index(tmp_path):
    # What every publishing run reads must not walk the articles' JSON (overflow pages):
    # pin the plan, since a column added to the query but not to the index would silently
    # fall back to a table scan and a sort.
    from syndicate.store.article_rows import ARTICLE_ROWS_SQL

    conn = open_store(tmp_path / "syndicate.db")
    try:
        found = plan(conn, ARTICLE_ROWS_SQL)
        assert "COVERING INDEX articles_rows" in found and "TEMP B-TREE" not in found
        assert "COVERING INDEX" in plan(conn, "SELECT id, source, file_hash FROM articles")
    finally:
        conn.close()


def test_pending_articles_and_a_digests_members_each_have_their_own_index(tmp_path):
    # Every `run` counts each newsletter's pending articles; with the planner free to pick
    # the primary key, a site that began with `digest skip` walked thousands of skipped rows.
    # The partial indexes only match the queries' exact words: pin the plans.
    from syndicate.store.newsletters import _PENDING, PENDING_SQL

    conn = open_store(tmp_path / "syndicate.db")
    try:
        assert "newsletter_pending" in plan(conn, "SELECT COUNT(*)" + _PENDING, "daily")
        assert "newsletter_pending" in plan(conn, PENDING_SQL, "daily")
        members = (
            "SELECT a.id, a.data FROM newsletter_articles n JOIN articles a ON a.id = n.article_id"
            " WHERE n.digest_id = ? AND a.retracted_at IS NULL"
        )
        assert "INDEX newsletter_digests (digest_id=?)" in plan(conn, members, "2026-11-30-1")
    finally:
        conn.close()


def test_pending_articles_are_the_same_through_the_index(tmp_path):
    from syndicate.store.newsletters import PENDING_SQL

    conn = open_store(tmp_path / "syndicate.db")
    try:
        rows = [  # id, newsletter, digest, skipped, retracted, published
            ("a", "", None, None, None, "2026-01-03"),
            ("b", "", "2026-01-01-1", None, None, "2026-01-02"),
            ("c", "", None, "2026-01-01", None, "2026-01-01"),
            ("d", "", None, None, "2026-01-01", "2026-01-04"),
            ("e", "", None, None, None, "2026-01-05"),
            ("f", "weekly", None, None, None, "2026-01-06"),
        ]
        for id_, newsletter, digest_id, skipped, retracted, published in rows:
            conn.execute(
                "INSERT INTO articles (id, source, slug, file_hash, content_hash, first_seen,"
                " published, updated, data, retracted_at) VALUES (?, ?, ?, '', '', ?, ?, ?, ?, ?)",
                (id_, id_, id_, published, published, published, id_, retracted),
            )
            conn.execute(
                "INSERT INTO newsletter_articles (newsletter, article_id, digest_id, skipped_at)"
                " VALUES (?, ?, ?, ?)",
                (newsletter, id_, digest_id, skipped),
            )
        indexed = conn.execute(PENDING_SQL, ("",)).fetchall()
        scanned = conn.execute(
            "SELECT a.data FROM newsletter_articles n NOT INDEXED JOIN articles a"
            " ON a.id = n.article_id WHERE n.newsletter = '' AND n.digest_id IS NULL"
            " AND n.skipped_at IS NULL AND a.retracted_at IS NULL ORDER BY a.published DESC, a.id"
        ).fetchall()
        assert [r["data"] for r in indexed] == [r["data"] for r in scanned] == ["e", "a"]
        assert count_pending(conn) == 2 and count_pending(conn, "weekly") == 1
    finally:
        conn.close()


V4_DUMP = Path(__file__).parent / "samples" / "state" / "v4.sql"


V6_DUMP = Path(__file__).parent / "samples" / "state" / "v6.sql"


def v4_state(tmp_path: Path, dump: Path = V4_DUMP, version: int = 4) -> Path:
    """A state as syndicate left it before #23: schema 4 (tests/samples/state/v4.sql), or
    schema 6 as main wrote it after #24 (v6.sql, the same rows and the console's)."""
    path = tmp_path / "state" / "syndicate.db"
    path.parent.mkdir(exist_ok=True)
    raw = sqlite3.connect(path)
    raw.executescript(dump.read_text(encoding="utf-8"))
    raw.execute(f"PRAGMA user_version={version}")
    raw.close()
    return path


def columns(conn) -> dict[str, list[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in sorted(tables)}


@pytest.mark.parametrize(("dump", "version"), [(V4_DUMP, 4), (V6_DUMP, 6)], ids=["v4", "v6"])
def test_a_schema_4_or_6_state_gains_newsletters_keeping_every_fact(tmp_path, dump, version):
    # #23 (schema 7): the one digest's pending set, skips and members move to
    # newsletter_articles (newsletter ""), digests and subscribers gain their newsletter
    # columns, articles their topics; the result has the very tables and indexes of a new
    # state. From 4 the console's step (6) comes first; a state main wrote at 6 takes 7 only.
    fresh = open_store(tmp_path / "fresh.db")
    expected = (index_sql(fresh), columns(fresh))
    fresh.close()
    conn = open_store(v4_state(tmp_path, dump, version))
    try:
        assert schema_version(conn) == LATEST_VERSION == 7
        assert state_id(conn) == "abe940372cd026a24d30f7b1d9dd2b91"
        assert (index_sql(conn), columns(conn)) == expected
        assert [a.title for a in undigested_articles(conn)] == ["Storm warning"]
        digest = digest_articles(conn, "2026-11-30-001")
        assert sorted(a.title for a in digest.articles) == ["Harbour reopens", "Pelabuhan dibuka"]
        assert digest.newsletter == "" and last_digest(conn)[0] == "2026-11-30-001"
        done = article_digests(conn)
        assert sorted(done.values(), key=str) == sorted(
            [{"": "skipped"}, {"": "2026-11-30-001"}, {"": "2026-11-30-001"}, {"": ""}, {"": ""}],
            key=str,
        )
        assert count_pending(conn) == 1  # the retracted one waits for nothing
        assert subscriber_statuses(conn) == {
            "reader@example.org": "active",
            "leser@example.org": "active",
            "gone@example.org": "unsubscribed",
        }
        assert delivery_counts(conn) == {"sent": 1, "pending": 1}
        assert {r["newsletters"] for r in conn.execute("SELECT newsletters FROM subscribers")} == {
            ""
        }
        assert [r["topics"] for r in conn.execute("SELECT topics FROM articles")] == [None] * 5
        console = [(r["name"], r["admin"]) for r in conn.execute(
            "SELECT s.name, r.admin FROM admin_sessions s, runs r ORDER BY r.id"
        )]  # fmt: skip
        assert console == ([("ada", "ada")] if version == 6 else [])  # 6's rows kept
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def as_schema_2(path: Path) -> None:
    """Turn a schema-4 state's indexes back into what schema 2 had."""
    raw = sqlite3.connect(path)
    raw.executescript(
        """
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
    path = v4_state(tmp_path)
    as_schema_2(path)
    assert "articles_pending" not in index_sql(sqlite3.connect(path))
    conn = open_store(path)
    try:
        assert schema_version(conn) == LATEST_VERSION == 7
        assert index_sql(conn) == expected
        assert {"articles_rows", "newsletter_pending", "newsletter_digests"} <= set(expected)
        assert "WHERE digest_id IS NOT NULL" in expected["newsletter_digests"]
        assert [a.title for a in undigested_articles(conn)] == ["Storm warning"]
    finally:
        conn.close()
