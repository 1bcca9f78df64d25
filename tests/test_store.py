"""The state database: identity, change detection, digests and deliveries (real SQLite files)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.core.model import Article, Author, Block
from syndicate.store.articles import (
    all_articles,
    article_from_json,
    article_to_json,
    count_articles,
    record_rejection,
    rejections,
    save_article,
    stored_file,
)
from syndicate.store.deliveries import (
    Outcome,
    claim_deliveries,
    count_due,
    delivery_counts,
    record_outcomes,
)
from syndicate.store.digests import create_digest, digest_articles, undigested_articles
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber, get_subscriber, subscribers, unsubscribe

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
    c = open_store(tmp_path / "state" / "syndicate.db")
    yield c
    c.close()


def test_new_article_gets_tag_id_slug_and_first_seen(conn):
    outcome, stored = save_article(
        conn, article("Berita Utama.txt"), file_hash="h1", now=T0, domain="news.example.org"
    )
    assert outcome == "new"
    assert stored.id == "tag:news.example.org,2026-11-27:berita-utama"
    assert stored.slug == "berita-utama"
    assert stored.first_seen == stored.published == stored.updated == T0
    assert all_articles(conn) == [stored]


def test_article_round_trips_through_json(conn):
    _, stored = save_article(conn, article(tags=("a", "b")), file_hash="h", now=T0, domain="x.org")
    again = article_from_json(article_to_json(stored))
    assert again == stored
    assert again.blocks[1].marker == "•"


def test_edit_keeps_id_and_moves_updated_only_when_content_changes(conn):
    _, first = save_article(conn, article(), file_hash="h1", now=T0, domain="x.org")
    later = T0 + timedelta(hours=2)
    outcome, same = save_article(conn, article(), file_hash="h2", now=later, domain="x.org")
    assert outcome == "unchanged"
    assert same.updated == T0
    outcome, edited = save_article(
        conn, article(title="Judul baru"), file_hash="h3", now=later, domain="x.org"
    )
    assert outcome == "updated"
    assert edited.id == first.id and edited.slug == first.slug
    assert edited.published == T0 and edited.updated == later


def test_canonical_url_is_the_id_and_survives_a_rename(conn):
    url = "https://publisher.example/berita/1"
    _, first = save_article(
        conn, article("old.txt", url=url), file_hash="h1", now=T0, domain="x.org"
    )
    assert first.id == url
    outcome, moved = save_article(
        conn, article("new-name.txt", url=url), file_hash="h1", now=T0, domain="x.org"
    )
    assert outcome == "unchanged"
    assert moved.id == url and moved.source == "new-name.txt"
    assert count_articles(conn) == 1


def test_slugs_stay_unique(conn):
    _, a = save_article(conn, article("x/Berita.txt"), file_hash="1", now=T0, domain="d")
    _, b = save_article(conn, article("y/berita.md"), file_hash="2", now=T0, domain="d")
    assert (a.slug, b.slug) == ("berita", "berita-2")
    assert a.id != b.id


def test_rejection_is_remembered_until_the_file_changes(conn):
    record_rejection(conn, "bad.txt", "h1", "empty file", T0)
    known = stored_file(conn, "bad.txt")
    assert known is not None and known.rejected_reason == "empty file"
    assert known.file_hash == "h1"
    save_article(conn, article("bad.txt"), file_hash="h2", now=T0, domain="d")
    assert rejections(conn) == []


def test_digest_claims_articles_and_queues_active_subscribers(conn):
    add_subscriber(conn, "One@Example.org", "One", T0, resubscribe=False)
    add_subscriber(conn, "two@example.org", "", T0, resubscribe=False)
    unsubscribe(conn, T0, email="two@example.org")
    _, a = save_article(conn, article("a.txt"), file_hash="1", now=T0, domain="d")
    digest_id = create_digest(conn, [a], T0, "2026-11-27")
    assert digest_id == "2026-11-27-001"
    assert undigested_articles(conn) == []
    now = T0.timestamp()
    pending = claim_deliveries(conn, "w", limit=10, now=now, lease=60)
    assert [(d.digest_id, d.email, d.status) for d in pending] == [
        ("2026-11-27-001", "one@example.org", "pending")
    ]
    created, articles, newsletter = digest_articles(conn, digest_id)
    assert created == T0 and [x.id for x in articles] == [a.id] and newsletter == ""

    failed = Outcome(digest_id, "one@example.org", "failed", "down", next_attempt=now + 60)
    record_outcomes(conn, [failed], T0)
    assert count_due(conn, now) == 0 and count_due(conn, now + 61) == 1
    (again,) = claim_deliveries(conn, "w", limit=10, now=now + 61, lease=60)
    assert again.attempts == 1
    record_outcomes(conn, [Outcome(digest_id, "one@example.org", "sent")], T0)
    assert count_due(conn, now + 3600) == 0
    assert delivery_counts(conn) == {"sent": 1}
    _, b = save_article(conn, article("b.txt"), file_hash="2", now=T0, domain="d")
    assert create_digest(conn, [b], T0, "2026-11-27") == "2026-11-27-002"


def test_config_list_never_resubscribes_but_the_operator_can(conn):
    assert add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == "added"
    assert add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == "exists"
    token = get_subscriber(conn, "a@example.org").token
    assert unsubscribe(conn, T0, token=token) == "a@example.org"
    assert add_subscriber(conn, "a@example.org", "", T0, resubscribe=False) == ("unsubscribed")
    assert subscribers(conn, active_only=True) == []
    assert add_subscriber(conn, "a@example.org", "", T0, resubscribe=True) == ("resubscribed")
    assert unsubscribe(conn, T0, token="wrong") is None
