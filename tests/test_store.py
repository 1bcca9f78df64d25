"""The state database: identity, change detection, digests and deliveries (real SQLite files)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate import store
from syndicate.core.model import Article, Author, Block

T0 = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


def article(source: str = "a.txt", title: str = "Judul", body: str = "Isi.", **kw) -> Article:
    return Article(
        source=source,
        title=title,
        blocks=(Block("paragraph", body), Block("heading", "Poin", marker="•")),
        author=Author("Alexander Rossi", "Alexander Rossi is an editor."),
        language="id",
        **kw,
    )


@pytest.fixture
def conn(tmp_path: Path):
    c = store.open_store(tmp_path / "state" / "syndicate.db")
    yield c
    c.close()


def test_new_article_gets_tag_id_slug_and_first_seen(conn):
    outcome, stored = store.save_article(
        conn, article("Berita Utama.txt"), file_hash="h1", now=T0, domain="news.example.org"
    )
    assert outcome == "new"
    assert stored.id == "tag:news.example.org,2026-11-27:berita-utama"
    assert stored.slug == "berita-utama"
    assert stored.first_seen == stored.published == stored.updated == T0
    assert store.all_articles(conn) == [stored]


def test_article_round_trips_through_json(conn):
    _, stored = store.save_article(
        conn, article(tags=("a", "b")), file_hash="h", now=T0, domain="x.org"
    )
    again = store.article_from_json(store.article_to_json(stored))
    assert again == stored
    assert again.blocks[1].marker == "•"


def test_edit_keeps_id_and_moves_updated_only_when_content_changes(conn):
    _, first = store.save_article(conn, article(), file_hash="h1", now=T0, domain="x.org")
    later = T0 + timedelta(hours=2)
    outcome, same = store.save_article(conn, article(), file_hash="h2", now=later, domain="x.org")
    assert outcome == "unchanged"
    assert same.updated == T0
    outcome, edited = store.save_article(
        conn, article(title="Judul baru"), file_hash="h3", now=later, domain="x.org"
    )
    assert outcome == "updated"
    assert edited.id == first.id and edited.slug == first.slug
    assert edited.published == T0 and edited.updated == later


def test_canonical_url_is_the_id_and_survives_a_rename(conn):
    url = "https://publisher.example/berita/1"
    _, first = store.save_article(
        conn, article("old.txt", url=url), file_hash="h1", now=T0, domain="x.org"
    )
    assert first.id == url
    outcome, moved = store.save_article(
        conn, article("new-name.txt", url=url), file_hash="h1", now=T0, domain="x.org"
    )
    assert outcome == "unchanged"
    assert moved.id == url and moved.source == "new-name.txt"
    assert store.count_articles(conn) == 1


def test_slugs_stay_unique(conn):
    _, a = store.save_article(conn, article("x/Berita.txt"), file_hash="1", now=T0, domain="d")
    _, b = store.save_article(conn, article("y/berita.md"), file_hash="2", now=T0, domain="d")
    assert (a.slug, b.slug) == ("berita", "berita-2")
    assert a.id != b.id


def test_rejection_is_remembered_until_the_file_changes(conn):
    store.record_rejection(conn, "bad.txt", "h1", "empty file", T0)
    known = store.stored_file(conn, "bad.txt")
    assert known is not None and known.rejected_reason == "empty file"
    assert known.file_hash == "h1"
    store.save_article(conn, article("bad.txt"), file_hash="h2", now=T0, domain="d")
    assert store.rejections(conn) == []


def test_digest_claims_articles_and_queues_active_subscribers(conn):
    store.add_subscriber(conn, "One@Example.org", "One", T0, resubscribe=False)
    store.add_subscriber(conn, "two@example.org", "", T0, resubscribe=False)
    store.unsubscribe(conn, T0, email="two@example.org")
    _, a = store.save_article(conn, article("a.txt"), file_hash="1", now=T0, domain="d")
    digest_id = store.create_digest(conn, [a], T0, "2026-11-27")
    assert digest_id == "2026-11-27-001"
    assert store.undigested_articles(conn) == []
    now = T0.timestamp()
    pending = store.claim_deliveries(conn, "w", limit=10, now=now, lease=60)
    assert [(d.digest_id, d.email, d.status) for d in pending] == [
        ("2026-11-27-001", "one@example.org", "pending")
    ]
    created, articles = store.digest_articles(conn, digest_id)
    assert created == T0 and [x.id for x in articles] == [a.id]

    failed = store.Outcome(digest_id, "one@example.org", "failed", "down", next_attempt=now + 60)
    store.record_outcomes(conn, [failed], T0)
    assert store.count_due(conn, now) == 0 and store.count_due(conn, now + 61) == 1
    (again,) = store.claim_deliveries(conn, "w", limit=10, now=now + 61, lease=60)
    assert again.attempts == 1
    store.record_outcomes(conn, [store.Outcome(digest_id, "one@example.org", "sent")], T0)
    assert store.count_due(conn, now + 3600) == 0
    assert store.delivery_counts(conn) == {"sent": 1}
    _, b = store.save_article(conn, article("b.txt"), file_hash="2", now=T0, domain="d")
    assert store.create_digest(conn, [b], T0, "2026-11-27") == "2026-11-27-002"


def test_config_list_never_resubscribes_but_the_operator_can(conn):
    assert store.add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == "added"
    assert store.add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == "exists"
    token = store.get_subscriber(conn, "a@example.org").token
    assert store.unsubscribe(conn, T0, token=token) == "a@example.org"
    assert store.add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == (
        "unsubscribed"
    )
    assert store.subscribers(conn, active_only=True) == []
    assert store.add_subscriber(conn, "a@example.org", "", T0, resubscribe=True) == ("resubscribed")
    assert store.unsubscribe(conn, T0, token="wrong") is None
