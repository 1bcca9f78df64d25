"""The state in PostgreSQL: a real server (tests/pg_cluster.py), the same code path as SQLite."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate import store
from syndicate.cli import main
from syndicate.config import load_config
from syndicate.run import guard as state
from syndicate.run import pipeline
from syndicate.run.lock import RunInProgress, run_lock
from syndicate.store.articles import count_articles
from syndicate.store.connection import connect, open_db
from syndicate.store.db import generation, schema_version, transaction
from syndicate.store.db import state_id as current_state_id
from syndicate.store.deliveries import (
    CLAIM_SQL,
    MAX_ATTEMPTS,
    claim_deliveries,
    delivery_counts,
)
from syndicate.store.digests import create_digest, digest_articles, undigested_articles
from syndicate.store.newsletters import count_pending, count_skipped
from syndicate.store.postgresql import RUN_LOCK, advisory_lock_held, try_advisory_lock
from syndicate.store.runs import start_run
from syndicate.store.subscribers import add_subscriber, subscriber_key, unsubscribe
from tests.conftest import SAMPLE, write_config


def pg_site(site: Path, url: str, extra: str = "") -> Path:
    cfg = site / "config.toml"
    cfg.write_text(cfg.read_text() + f'\n[state]\nurl = "{url}"\n{extra}')
    return cfg


def messages(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "outbox" / "new").iterdir())


def test_the_sample_run_on_postgresql_publishes_sends_once_and_then_nothing(site, pg_url):
    config = load_config(pg_site(site, pg_url))
    report = pipeline.run(config)
    assert len(report.new) == 1 and report.sent == 1 and report.failed == []
    assert len(messages(site)) == 1 and (site / "feeds" / "atom.xml").is_file()
    assert not config.db_path.exists()  # nothing of the state on disk
    again = pipeline.run(config, digest="now")
    assert again.new == [] and again.sent == 0 and again.digest_id is None
    conn = open_db(config)
    try:
        assert conn.dialect == "postgresql"
        assert delivery_counts(conn) == {"sent": 1}
        # The outbox's stamp moved with every delivery; the feeds' with the publishing.
        assert state.read_stamp(site / "outbox") == state.Stamp(
            current_state_id(conn), generation(conn)
        )
        feeds = state.read_stamp(site / "feeds")
        assert feeds.state_id == current_state_id(conn) and feeds.generation < generation(conn)
        assert [r["trigger"] for r in conn.execute("SELECT trigger FROM runs ORDER BY id")] == [
            "manual",
            "manual",
        ]
    finally:
        conn.close()


def test_postgresql_gets_the_same_tables_with_its_own_types(pg_url):
    conn = connect(pg_url, Path("unused"))
    try:
        types = {
            (r["table_name"], r["column_name"]): r["data_type"]
            for r in conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
            )
        }
        assert types[("deliveries", "lease_until")] == "double precision"
        assert types[("runs", "id")] == "integer"
        now = datetime.now(UTC)
        assert start_run(conn, "a", now) + 1 == start_run(conn, "b", now)
        # Epoch seconds keep their sub-second part (a 4-byte REAL would round to minutes).
        conn.execute("INSERT INTO digests VALUES ('d', 'now', '[]')")
        conn.execute("INSERT INTO deliveries (digest_id, email, status, lease_until)"
                     " VALUES ('d', 'a@example.org', 'pending', 1790000000.25)")  # fmt: skip
        row = conn.execute("SELECT lease_until FROM deliveries").fetchone()
        assert row["lease_until"] == 1790000000.25
        assert schema_version(conn) == store.schema.LATEST_VERSION
    finally:
        conn.close()


V4_POSTGRESQL = Path(__file__).parent / "samples" / "state" / "v4-postgresql.sql"
V6_POSTGRESQL = Path(__file__).parent / "samples" / "state" / "v6-postgresql.sql"
V4_STATE_ID = "abe940372cd026a24d30f7b1d9dd2b91"  # v4.sql's, and v6's: the same rows


def pg_v4_state(pg_url: str, *after: str, dump: Path = V4_POSTGRESQL) -> None:
    """The database as syndicate left it before #23 (schema 4, the rows of v4.sql; or
    schema 6 as main wrote it after #24, `dump` v6-postgresql.sql), then the statements
    `after`."""
    import psycopg

    from tests.pg_cluster import PASSWORD

    with psycopg.connect(pg_url, password=PASSWORD, autocommit=True) as raw:
        raw.execute(dump.read_text(encoding="utf-8"))
    with psycopg.connect(pg_url, password=PASSWORD, autocommit=True) as raw:
        for statement in after:
            raw.execute(statement)


def pg_shape(conn) -> tuple[dict, dict]:
    """Every index's definition and every table's columns (name, type), in order."""
    indexes = {
        r["indexname"]: r["indexdef"]
        for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        )
    }
    tables: dict[str, list] = {}
    rows = conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    for r in rows:
        tables.setdefault(r["table_name"], []).append((r["column_name"], r["data_type"]))
    return indexes, tables


@pytest.mark.parametrize("dump", [V4_POSTGRESQL, V6_POSTGRESQL], ids=["v4", "v6"])
def test_a_schema_4_or_6_postgresql_state_gains_newsletters_in_place(pg_url, pg_cluster, dump):
    # #23's step (schema 7) on PostgreSQL: the columns are dropped there (SQLite rebuilds the
    # table), and the result is a new state's tables and indexes, every fact kept: from 4
    # (the console's step 6 first), and from 6 as main wrote it (its account, session and
    # console run kept).
    other = pg_cluster.create_database()
    fresh = connect(other, Path("unused"))
    expected = pg_shape(fresh)
    fresh.close()
    pg_v4_state(pg_url, dump=dump)
    conn = connect(pg_url, Path("unused"))
    try:
        assert schema_version(conn) == store.schema.LATEST_VERSION == 7
        assert current_state_id(conn) == V4_STATE_ID
        assert pg_shape(conn) == expected
        console = [(r["name"], r["admin"]) for r in conn.execute(
            "SELECT s.name, r.admin FROM admin_sessions s, runs r ORDER BY r.id"
        )]  # fmt: skip
        assert console == ([("ada", "ada")] if dump == V6_POSTGRESQL else [])
        assert [a.title for a in undigested_articles(conn)] == ["Storm warning"]
        digest = digest_articles(conn, "2026-11-30-001")
        assert sorted(a.title for a in digest.articles) == ["Harbour reopens", "Pelabuhan dibuka"]
        assert count_skipped(conn) == 1 and count_pending(conn) == 1
        assert delivery_counts(conn) == {"sent": 1, "pending": 1}
    finally:
        conn.close()


def test_a_schema_2_postgresql_state_is_upgraded_in_place(pg_url, pg_cluster):
    # PostgreSQL states began at schema 2; every later step (3: the article rows' covering
    # index; 4: the partial indexes of pending and digested articles; 6: the console; 7:
    # newsletters) must reach them too, keeping the state's identity.
    other = pg_cluster.create_database()
    fresh = connect(other, Path("unused"))
    expected = pg_shape(fresh)
    fresh.close()
    pg_v4_state(
        pg_url,
        "DROP INDEX articles_rows",
        "DROP INDEX articles_pending",
        "DROP INDEX articles_digest",
        "CREATE INDEX articles_digest ON articles (digest_id)",
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
    )
    conn = connect(pg_url, Path("unused"))
    try:
        assert schema_version(conn) == store.schema.LATEST_VERSION == 7
        assert pg_shape(conn) == expected
        assert "WHERE (digest_id IS NOT NULL)" in expected[0]["newsletter_digests"]
        assert "articles_rows" in expected[0] and "newsletter_pending" in expected[0]
        assert [a.title for a in undigested_articles(conn)] == ["Storm warning"]
        assert current_state_id(conn) == V4_STATE_ID
    finally:
        conn.close()


def test_a_wrong_password_is_a_one_line_error_naming_the_server(site, pg_url, monkeypatch, capsys):
    pg_site(site, pg_url)
    monkeypatch.setenv("SYNDICATE_STATE_PASSWORD", "wrong")
    assert main(["run", "--config", str(site / "config.toml")]) == 74
    err = capsys.readouterr().err
    assert pg_url in err and "SYNDICATE_STATE_PASSWORD" in err and "wrong" not in err


def test_a_password_in_the_url_is_refused(site):
    cfg = site / "config.toml"
    cfg.write_text(cfg.read_text() + '\n[state]\nurl = "postgresql://u:secret@db/x"\n')
    assert main(["status", "--config", str(cfg)]) == 78


def test_the_run_lock_is_an_advisory_lock_on_the_server(site, pg_url):
    config = load_config(pg_site(site, pg_url))
    other = open_db(config)
    try:
        with run_lock(config):
            assert advisory_lock_held(other, RUN_LOCK)
            assert not try_advisory_lock(other, RUN_LOCK)
            with pytest.raises(RunInProgress, match="run lock"):
                pipeline.run(config)
        assert not advisory_lock_held(other, RUN_LOCK)
    finally:
        other.close()
    assert not (site / "state" / "run.lock").exists()


def test_claims_skip_rows_another_worker_has_locked(site, pg_url):
    config = load_config(pg_site(site, pg_url))
    pipeline.run(config, digest="never")
    a, b = open_db(config), open_db(config)
    try:
        for i in range(10):
            add_subscriber(a, f"r{i}@example.org", "", datetime.now(UTC), resubscribe=False)
        create_digest(a, undigested_articles(a), datetime.now(UTC), "2026-01-01")
        now = time.time()
        a.execute("BEGIN")
        locked = a.execute(
            "SELECT email FROM deliveries ORDER BY email LIMIT 4 FOR UPDATE"
        ).fetchall()
        claimed = claim_deliveries(b, "w-b", limit=20, now=now, lease=30)  # no waiting
        a.execute("ROLLBACK")
        assert {d.email for d in claimed}.isdisjoint({r["email"] for r in locked})
        assert len(claimed) == 11 - 4
        # Claimed and leased: nobody else gets them until the lease runs out.
        rest = claim_deliveries(a, "w-a", limit=20, now=now + 1, lease=30)
        assert {d.email for d in rest} == {r["email"] for r in locked}
        assert claim_deliveries(a, "w-a", limit=20, now=now + 2, lease=30) == []
        taken_over = claim_deliveries(a, "w-a", limit=20, now=now + 40, lease=30)
        assert len(taken_over) == 11
    finally:
        a.close()
        b.close()


def test_a_lost_postgresql_state_is_refused_and_adopted_without_resending(
    site, pg_cluster, pg_url, capsys
):
    cfg = pg_site(site, pg_url)
    assert main(["run", "--config", str(cfg)]) == 0
    sent = messages(site)
    fresh = pg_cluster.create_database()  # "a new server without the state"
    cfg.write_text(cfg.read_text().replace(pg_url, fresh))
    capsys.readouterr()
    assert main(["run", "--config", str(cfg)]) == 74
    assert "another state" in capsys.readouterr().err
    assert main(["state", "adopt", "--config", str(cfg)]) == 0
    assert "byte-identical" in capsys.readouterr().out
    assert main(["run", "--digest", "now", "--config", str(cfg)]) == 0
    assert messages(site) == sent


# ---------------------------------------------------------------- check 4: unsubscribes win


def _queue_digest(config, n: int) -> list[str]:
    pipeline.run(config, digest="never")
    conn = open_db(config)
    try:
        emails = [f"r{i:04d}@example.org" for i in range(n)]
        now = datetime.now(UTC)
        for email in emails:
            add_subscriber(conn, email, "", now, resubscribe=False)
        create_digest(conn, undigested_articles(conn), now, "2026-01-01")
    finally:
        conn.close()
    return emails


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_nothing_goes_to_an_address_after_its_unsubscribe_commits(engine, tmp_path, request):
    """Check 4: while a worker delivers (in address order), the test keeps unsubscribing the
    address right after the last one delivered — the one most likely being sent right now —
    and looks, the moment each unsubscribe has committed, whether that address's message is
    already there. A message that appears after its unsubscribe committed is a failure."""
    write_config(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "articles")
    cfg = tmp_path / "config.toml"
    if engine == "postgresql":
        pg_site(tmp_path, request.getfixturevalue("pg_url"))
    config = load_config(cfg)
    emails = sorted([*_queue_digest(config, 600), "one@example.org"])
    index = {subscriber_key(e): n for n, e in enumerate(emails)}
    new = tmp_path / "outbox" / "new"
    there_at_commit: dict[str, bool] = {}
    delivered = threading.Event()  # the worker is done: nothing left to race

    def message_of(email: str) -> Path:
        return new / f"2026-01-01-001.{subscriber_key(email)}.syndicate"

    def unsubscriber() -> None:
        conn = open_db(config)
        try:
            deadline = time.time() + 60
            while len(there_at_commit) < 80 and time.time() < deadline:
                if delivered.is_set():
                    break
                names = os.listdir(new) if new.is_dir() else []
                if len(names) < 30:
                    continue
                last = max(index[n.split(".")[1]] for n in names)
                if last + 1 >= len(emails):
                    break
                target = emails[last + 1]
                if target in there_at_commit:
                    continue
                unsubscribe(conn, datetime.now(UTC), email=target)
                there_at_commit[target] = message_of(target).exists()
        finally:
            conn.close()

    thread = threading.Thread(target=unsubscriber, daemon=True)
    thread.start()
    try:
        assert main(["deliver", "--quiet", "--batch", "20", "--config", str(cfg)]) == 0
    finally:
        delivered.set()
    thread.join(timeout=60)
    assert len(there_at_commit) >= 20
    late = [e for e, was in there_at_commit.items() if message_of(e).exists() and not was]
    assert late == []
    assert any(not message_of(e).exists() for e in there_at_commit)  # some got nothing
    stayed = set(emails) - set(there_at_commit)
    assert all(message_of(e).exists() for e in stayed)


def test_a_dry_run_on_postgresql_changes_nothing(site, pg_url):
    config = load_config(pg_site(site, pg_url))
    report = pipeline.run(config, dry_run=True)
    assert report.dry_run and len(report.new) == 1 and report.sent == 1  # "would"
    assert not (site / "feeds").exists() and not (site / "outbox").exists()
    conn = open_db(config)
    try:
        assert count_articles(conn) == 0 and generation(conn) == 0
        assert conn.execute("SELECT COUNT(*) AS n FROM runs").fetchone()["n"] == 0
    finally:
        conn.close()
    assert pipeline.run(config).sent == 1


def test_a_claim_walks_the_queue_index_once_a_digest_is_queued(site, pg_url):
    # Right after a digest fills the queue the planner had no statistics and planned every
    # claim as a walk over all active subscribers and a sort of the whole queue (16 ms a
    # claim of 25 at 500 subscribers, 65 ms at 20,000); create_digest refreshes them.
    config = load_config(pg_site(site, pg_url))
    pipeline.run(config, digest="never")
    conn = open_db(config)
    try:
        now = datetime.now(UTC)
        with transaction(conn):
            for i in range(300):
                add_subscriber(conn, f"r{i:03d}@example.org", "", now, resubscribe=False)
        create_digest(conn, undigested_articles(conn), now, "2026-01-01")
        at = time.time()
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN " + CLAIM_SQL + " FOR UPDATE OF d SKIP LOCKED", (MAX_ATTEMPTS, at, at, 25)
            )
        )
        assert "Index Scan using deliveries_queue on deliveries d" in plan, plan
        assert "Sort" not in plan, plan
        assert len(claim_deliveries(conn, "w", limit=25, now=at, lease=30)) == 25
    finally:
        conn.close()
