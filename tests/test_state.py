"""Lost, replaced and restored state (SQLite): refuse, adopt, back up, restore — never resend,
never re-mint an id. Through the CLI, on real files, as an operator would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.run import pipeline
from syndicate.run.guard import STAMP, read_stamp
from syndicate.store.articles import all_articles
from syndicate.store.digests import undigested_articles
from syndicate.store.sqlite import open_store
from tests.conftest import write_config


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def messages(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "outbox" / "new").iterdir())


def feed_ids(site: Path) -> list[str]:
    doc = json.loads((site / "feeds" / "feed.json").read_text())
    return [item["id"] for item in doc["items"]]


def cli(site: Path, *args: str) -> int:
    return main([*args, "--config", str(site / "config.toml")])


def drop_state(site: Path) -> None:
    for path in (site / "state").glob("syndicate.db*"):
        path.unlink()


def add_article(site: Path, name: str, title: str, body: str = "", date: str = "") -> None:
    """A text article, or with `date` a Markdown one dated in its front matter."""
    body = body or (
        f"{title} is the subject of this story. It has enough sentences to be summarised."
        " A second sentence follows the first. A third one closes the paragraph."
    )
    front = f"---\ntitle: {title}\ndate: {date}\n---\n\n" if date else f"{title}\n\n"
    text = front + body + "\n"
    (site / "articles" / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- check 1: a lost state


def test_lost_state_refuses_then_adopt_gives_back_the_same_ids_and_sends_nothing(
    site: Path, capsys
):
    assert cli(site, "run") == 0
    feeds, sent, ids = tree(site / "feeds"), messages(site), feed_ids(site)
    assert len(sent) == 1 and STAMP in feeds

    drop_state(site)
    capsys.readouterr()
    assert cli(site, "run") == 74
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0  # one line
    assert str(site / "state" / "syndicate.db") in err and "syndicate state adopt" in err
    assert not (site / "state" / "syndicate.db").exists()  # refused before creating one
    assert messages(site) == sent and tree(site / "feeds") == feeds

    assert cli(site, "state", "adopt") == 0
    out = capsys.readouterr().out
    assert "byte-identical" in out and "1 deliveries marked sent" in out
    assert cli(site, "run") == 0
    assert messages(site) == sent
    assert tree(site / "feeds") == feeds  # the stamp included: the state took its identity
    assert feed_ids(site) == ids
    # …and the next digest gets a new id, never 001 again.
    add_article(site, "later.txt", "A later story")
    assert cli(site, "run", "--digest", "now") == 0
    assert messages(site) == sorted([*sent, sent[0].replace("-001.", "-002.")])


def test_every_command_that_publishes_or_sends_refuses_a_lost_state(site: Path, capsys):
    assert cli(site, "run") == 0
    drop_state(site)
    config = load_config(site / "config.toml")
    for args in (
        ("publish",),
        ("rebuild",),
        ("deliver",),
        ("digest", "skip"),
        ("digest", "resend", "2026-01-01-001", "--to", "one@example.org"),
        ("subscribers", "add", "new@example.org"),
    ):
        assert cli(site, *args) == 74, args
        assert "state adopt" in capsys.readouterr().err
    assert not config.db_path.exists()


def test_a_replaced_state_is_refused_by_its_id(site: Path, capsys):
    assert cli(site, "run") == 0
    other = site.parent / "other"
    other.mkdir()
    write_config(other)
    assert cli(other, "publish") == 0
    shutil.copy(other / "state" / "syndicate.db", site / "state" / "syndicate.db")
    for suffix in ("-wal", "-shm"):
        (site / "state" / f"syndicate.db{suffix}").unlink(missing_ok=True)
    capsys.readouterr()
    assert cli(site, "run") == 74
    assert "another state" in capsys.readouterr().err


def test_outputs_from_before_stamps_are_stamped_not_refused(site: Path):
    assert cli(site, "run") == 0
    (site / "feeds" / STAMP).unlink()
    (site / "outbox" / STAMP).unlink()
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    conn.execute("DELETE FROM meta WHERE key = 'generation'")
    conn.close()
    add_article(site, "new.txt", "A new story")
    assert cli(site, "publish") == 0
    stamp = read_stamp(site / "feeds")
    assert stamp is not None and stamp.generation == 1


# ---------------------------------------------------------------- check 2: backups


def test_backup_more_runs_restore_then_run_resends_nothing(site: Path, capsys):
    assert cli(site, "run") == 0
    backup = site.parent / "backups"
    backup.mkdir()
    assert cli(site, "state", "backup", str(backup)) == 0
    (copy,) = backup.iterdir()
    assert copy.stat().st_mode & 0o777 == 0o600

    add_article(site, "second.txt", "The second story")
    assert cli(site, "run", "--digest", "now") == 0
    add_article(site, "third.txt", "The third story")
    assert cli(site, "run", "--digest", "now") == 0
    assert cli(site, "subscribers", "add", "two@example.org") == 0
    sent, feeds, ids = messages(site), tree(site / "feeds"), feed_ids(site)
    assert len(sent) == 3

    # The operator copies the backup back by hand: the next run sees it is older.
    shutil.copy(copy, site / "state" / "syndicate.db")
    for suffix in ("-wal", "-shm"):
        (site / "state" / f"syndicate.db{suffix}").unlink(missing_ok=True)
    capsys.readouterr()
    assert cli(site, "run") == 74
    assert "older than the outputs" in capsys.readouterr().err
    assert messages(site) == sent

    # The README's way: `state restore` (restore + adopt) then run.
    assert cli(site, "state", "restore", str(copy)) == 0
    assert "byte-identical" in capsys.readouterr().out
    assert cli(site, "run") == 0
    assert messages(site) == sent and feed_ids(site) == ids and tree(site / "feeds") == feeds
    # Restored from before `two@` was added: the config's list and the outbox tell nothing of
    # it; the operator re-adds it. Digest ids continue after the newest one seen.
    add_article(site, "fourth.txt", "The fourth story")
    assert cli(site, "run", "--digest", "now") == 0
    new = sorted(set(messages(site)) - set(sent))
    assert [n.split(".")[0][-3:] for n in new] == ["004"]


def test_backup_is_consistent_while_another_connection_writes(site: Path, tmp_path: Path):
    config = load_config(site / "config.toml")
    pipeline.run(config)
    writer = open_store(config.db_path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO rejections VALUES ('x.txt', 'h', 'half-done', 'now')")
    from syndicate.ops.backup import backup

    target = backup(config, tmp_path / "b.db")
    writer.execute("ROLLBACK")
    writer.close()
    raw = sqlite3.connect(target)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert raw.execute("SELECT COUNT(*) FROM rejections").fetchone()[0] == 0
    assert raw.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
    raw.close()


def test_backup_of_a_postgresql_state_points_at_pg_dump(site: Path, capsys):
    cfg = site / "config.toml"
    cfg.write_text(cfg.read_text() + '\n[state]\nurl = "postgresql://u@127.0.0.1:1/db"\n')
    assert cli(site, "state", "backup", str(site / "b.db")) == 74
    assert "pg_dump" in capsys.readouterr().err


# ---------------------------------------------------------------- adopt: the hard cases


ARCHIVE = """
[feed]
entries = 3
archive_page_size = 3

[delivery]
method = "eml"
"""


def test_adopt_rebuilds_archives_dated_and_undated_articles_retractions_and_digests(
    tmp_path: Path, capsys
):
    site = tmp_path
    write_config(site, ARCHIVE)
    cfg = site / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]\n", "[digest]\nmax_articles = 2\n", 1))
    config = load_config(cfg)
    t0 = datetime(2026, 3, 2, 7, 0, tzinfo=config.site.tz)
    for i in range(4):  # dated by their front matter, days before they reach the inbox
        add_article(site, f"old-{i}.md", f"Old story number {i}", date=f"2024-03-01T0{i}:00:00Z")
    pipeline.run(config, digest="now", now=t0)
    for i in range(5):  # undated: dated by when the store first saw them
        add_article(site, f"new {i}.txt", f"Fresh story {i}")
        pipeline.run(config, digest="never", now=t0 + timedelta(minutes=15 * (i + 1)))
    add_article(site, "old-1.md", "Old story number 1", "Edited. " * 8, "2024-03-01T01:00:00Z")
    pipeline.run(config, digest="never", now=t0 + timedelta(hours=2))
    conn = open_store(config.db_path)
    victim = next(a for a in all_articles(conn) if a.title == "Old story number 2")
    conn.close()
    assert cli(site, "retract", victim.id, "--reason", "legal") == 0
    pipeline.run(config, digest="now", now=t0 + timedelta(days=1))
    (site / "articles" / "new 0.txt").unlink()  # published, then removed from the inbox
    add_article(site, "new 5.txt", "Fresh story 5")
    pipeline.run(config, digest="never", now=t0 + timedelta(days=1, hours=1))
    add_article(site, "waiting.txt", "Not published yet")
    feeds, sent = tree(site / "feeds"), sorted(p.name for p in (site / "outbox").glob("*.eml"))
    assert any(n.startswith("archive/") for n in feeds) and len(sent) == 2
    conn = open_store(config.db_path)
    ids = {a.source: a.id for a in all_articles(conn)}
    conn.close()

    drop_state(site)
    capsys.readouterr()
    assert cli(site, "state", "adopt") == 0
    out = capsys.readouterr().out
    assert "1 from the feeds alone" in out  # new 0.txt, gone from the inbox
    # Everything renders as before but the page of the article whose file is gone.
    assert "the next run will rewrite: articles/new-0.html\n" in out, out
    conn = open_store(config.db_path)
    adopted = {a.source: a.id for a in all_articles(conn)}
    pending = [a.title for a in undigested_articles(conn)]
    conn.close()
    assert {s: i for s, i in adopted.items() if not s.startswith(".adopted/")} == {
        s: i for s, i in ids.items() if s != "new 0.txt"
    }
    assert adopted[".adopted/new-0"] == ids["new 0.txt"]
    assert pending == ["Fresh story 5"]  # published after the last digest: still to announce

    assert cli(site, "publish") == 0
    after = tree(site / "feeds")
    # The waiting article is new (so are the feeds, its language's feeds and the lists that
    # show it); nothing else changed.
    listing = ("index.html", "articles/index.html")
    listing += tuple(f"lang/en/{n}" for n in ("rss.xml", "atom.xml", "feed.json", "index.html"))
    for name, data in feeds.items():
        if name not in ("rss.xml", "atom.xml", "feed.json", "articles/new-0.html", STAMP, *listing):
            assert after[name] == data, name
    assert sorted(p.name for p in (site / "outbox").glob("*.eml")) == sent
    # The next digest announces exactly what no digest announced before.
    report = pipeline.run(config, digest="now")
    assert report.digest_articles == 2 and report.sent == 1


def test_adopt_keeps_back_dated_articles_that_came_after_a_digest_waiting(tmp_path: Path, capsys):
    # Articles dated days back but dropped in after the last digest: their first sight is
    # not in the outputs and is guessed from their dates, which fall before the digest.
    # They must stay waiting (not be taken as announced, never to be mailed), and the
    # digest's web version must not be rewritten to list them.
    site = tmp_path
    write_config(site)
    cfg = site / "config.toml"
    cfg.write_text(cfg.read_text().replace("[digest]\n", "[digest]\nmax_articles = 3\n", 1))
    config = load_config(cfg)
    t0 = datetime(2026, 3, 2, 7, 0, tzinfo=config.site.tz)
    for i in range(5):  # a capped digest: 3 shown, 2 counted but not shown
        add_article(site, f"first-{i}.md", f"First batch {i}", date=f"2026-02-0{i + 1}T08:00:00Z")
    pipeline.run(config, digest="now", now=t0)
    for i in range(4):
        add_article(site, f"later-{i}.md", f"Later story {i}", date=f"2026-02-2{i}T08:00:00Z")
    pipeline.run(config, digest="never", now=t0 + timedelta(hours=1))
    feeds = tree(site / "feeds")
    [digest_page] = [n for n in feeds if n.startswith("digests/2026")]
    assert b'<meta name="syndicate-digest-articles" content="5">' in feeds[digest_page]

    drop_state(site)
    assert cli(site, "state", "adopt") == 0
    assert "byte-identical" in capsys.readouterr().out
    conn = open_store(config.db_path)
    pending = sorted(a.title for a in undigested_articles(conn))
    conn.close()
    assert pending == [f"Later story {i}" for i in range(4)]
    assert cli(site, "publish") == 0
    assert tree(site / "feeds")[digest_page] == feeds[digest_page]
    report = pipeline.run(config, digest="now", now=t0 + timedelta(days=1))
    assert report.digest_articles == 4 and report.sent == 1


def test_smtp_a_restored_state_holds_what_the_relay_may_have_taken(site: Path, smtp_server, capsys):
    """With SMTP nothing local shows what was sent: the outbox folder keeps only the stamp,
    which tells that a restored state is older; adopt then holds its queued deliveries."""
    handler, port = smtp_server
    from tests.conftest import free_port

    cfg = site / "config.toml"
    base = cfg.read_text()
    cfg.write_text(base + f'\n[delivery]\nmethod = "smtp"\nsmtp_port = {free_port()}\n')
    assert cli(site, "subscribers", "add", "two@example.org") == 0
    assert cli(site, "run", "--digest", "now") == 4  # the relay is down: queued, not sent
    assert cli(site, "state", "backup", str(site / "b.db")) == 0
    cfg.write_text(base + f'\n[delivery]\nmethod = "smtp"\nsmtp_port = {port}\n')
    assert cli(site, "run") == 0
    assert len(handler.messages) == 2
    assert (site / "outbox" / STAMP).is_file()

    shutil.copy(site / "b.db", site / "state" / "syndicate.db")
    for suffix in ("-wal", "-shm"):
        (site / "state" / f"syndicate.db{suffix}").unlink(missing_ok=True)
    capsys.readouterr()
    assert cli(site, "run") == 74
    assert str(site / "outbox") in capsys.readouterr().err
    assert cli(site, "state", "adopt") == 0
    assert "2 queued deliveries held as in_doubt" in capsys.readouterr().out
    # Held for the operator: a run sends nothing and says so (exit 4). `run --retry-failed`
    # would send them again, with their Message-IDs, which is the operator's call.
    assert cli(site, "run") == 4
    assert len(handler.messages) == 2  # nothing sent twice
