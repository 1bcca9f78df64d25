"""The only places where the bench reaches into syndicate instead of driving its CLI, each a
small function over syndicate's own functions (the store's modules, `syndicate.ingest`,
`syndicate.delivery.copies`), so a move of modules is adjusted here and nowhere else:
- seeding subscribers and stored articles (adding 100,000 addresses one CLI call at a time,
  or summarizing 10,000 articles, would measure the seeding, not the engine);
- building one subscriber's copy of a digest the way the delivery engine does (no CLI does
  only that);
- counting the digest renderings a run makes (the newsletters group: one per newsletter and
  language with recipients), around the very `syndicate run` a user runs.

Each runs in a child process (`python -m bench.internals COMMAND …`): a child's peak RSS
includes its parent's at fork time (Linux folds the old memory's high-water mark into the
new program's at exec), so the bench's own process must never import syndicate's stack, or
every measured child would report at least that much.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench.measure import Measured, python_child

DIGEST_DATE = "2026-01-01"


def _fast_seed_connection(config):
    from syndicate.store.sqlite import open_store

    conn = open_store(config.db_path)
    # Seeding only: the engine's own connections keep synchronous=FULL. Without this, one
    # fsync per added row would make 100,000 subscribers take minutes before the real work.
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def _seed_subscribers(config_path: Path, count: int) -> None:
    """`count` active subscribers reader000000@example.org … through `add_subscriber`
    (each gets its own random token, as a real subscriber does)."""
    from syndicate.config import load_config
    from syndicate.store.subscribers import add_subscriber

    config = load_config(config_path)
    conn = _fast_seed_connection(config)
    now = datetime.now(config.site.tz)
    try:
        for i in range(count):
            add_subscriber(
                conn, f"reader{i:06d}@example.org", f"Pembaca {i}", now, resubscribe=True
            )
    finally:
        conn.close()


def _seed_subscriber_mix(config_path: Path, count: int) -> None:
    """`count` subscribers in one batch (store/subscribers.add_subscribers), as a list that
    has lived a while: 1 in 20 unsubscribed, 1 in 50 bounced (the console's pages filter
    on them)."""
    from syndicate.config import load_config
    from syndicate.store.subscribers import NewSubscriber, add_subscribers, unsubscribe

    config = load_config(config_path)
    conn = _fast_seed_connection(config)
    now = datetime.now(config.site.tz)
    try:
        entries = [
            NewSubscriber(f"reader{i:06d}@example.org", f"Pembaca {i}") for i in range(count)
        ]
        add_subscribers(conn, entries, now, resubscribe=True)
        for i in range(0, count, 20):
            unsubscribe(conn, now, email=f"reader{i:06d}@example.org")
        for i in range(7, count, 50):
            unsubscribe(conn, now, email=f"reader{i:06d}@example.org", status="bounced")
    finally:
        conn.close()


def _seed_articles(config_path: Path) -> None:
    """Store every inbox file as if an earlier run had read it and a digest had long since
    gone out: the file's real hash (so the next run sees it unchanged), one summarized
    article under each file's own title, a month old, and nothing waiting for a digest
    (`skip_pending`), so the runs measured after it re-render and send nothing
    they need not."""
    from syndicate.config import load_config
    from syndicate.inbox.changes import inbox_files, source_name
    from syndicate.ingest import understand
    from syndicate.store.articles import save_article
    from syndicate.store.newsletters import skip_pending

    config = load_config(config_path)
    inbox = config.path("inbox")
    files = inbox_files(inbox)
    template = understand(files[0], config)  # summarizing 10,000 is not the point
    conn = _fast_seed_connection(config)
    start = datetime.now(config.site.tz) - timedelta(days=30)
    try:
        for i, path in enumerate(files):
            data = path.read_bytes()
            title = data.split(b"\n", 1)[0].decode("utf-8")
            article = template.with_(source=source_name(path, inbox), title=title)
            save_article(
                conn,
                article,
                file_hash=hashlib.sha256(data).hexdigest(),
                now=start + timedelta(seconds=i),
                domain=config.site.domain,
            )
        skip_pending(conn, datetime.now(config.site.tz))
    finally:
        conn.close()


def _seed_spread(config_path: Path, count: int, newsletters: str, languages: str) -> None:
    """`count` active subscribers, subscriber i holding newsletter i mod N (of the ids in
    `newsletters`, separated by commas) in language (i div N) mod M (`languages`): every
    (newsletter, language) has about count / (N × M) recipients. One batch
    (`add_subscribers`), as a CSV import adds them."""
    from syndicate.config import load_config
    from syndicate.store.subscribers import NewSubscriber, add_subscribers

    config = load_config(config_path)
    ids, langs = newsletters.split(","), languages.split(",")
    conn = _fast_seed_connection(config)
    entries = [
        NewSubscriber(
            f"reader{i:06d}@example.org",
            f"Pembaca {i}",
            langs[(i // len(ids)) % len(langs)],
            "active",
            ids[i % len(ids)],
        )
        for i in range(count)
    ]
    try:
        add_subscribers(conn, entries, datetime.now(config.site.tz), resubscribe=True)
    finally:
        conn.close()


def _run_counting_renders(config_path: Path) -> list[list[str]]:
    """`syndicate run --digest now --quiet` in this process, as the console script runs it
    (`syndicate.cli.main`), counting the digest renderings (digest id, language; "" the
    site's) that the run and the delivery engine make (`delivery/copies.py`)."""
    from syndicate.cli import main as cli
    from syndicate.delivery import copies

    renders: list[list[str]] = []
    real = copies.render_digest

    def counting(digest, config, **kwargs):
        renders.append([digest.id, kwargs.get("lang", "")])
        return real(digest, config, **kwargs)

    copies.render_digest = counting
    code = cli(["run", "--digest", "now", "--quiet", "--config", str(config_path)])
    if code:
        raise SystemExit(f"syndicate run exited {code}")
    return renders


def copy_builder(config_path: Path, count: int) -> tuple[Callable[[int], bytes], list[bytes]]:
    """(build(i) → the bytes of subscriber i's copy, the per-recipient strings in copy 0).

    The site has pending articles and `count` + 1 seeded subscribers. The digest is made
    with `create_digest` and rendered with the engine's `render_stored_digest`; each
    copy is `CopyBuilder.copy` — what `delivery/engine.py` calls per claimed delivery: the
    Message-ID, the unsubscribe URL and token, the envelope and the file name around the
    digest's byte template (`mail.build_template`, made once, on the first copy). Built for
    a folder transport (not dot-stuffed), as the Maildir rows deliver.
    """
    from syndicate.config import load_config
    from syndicate.delivery.copies import CopyBuilder, render_stored_digest
    from syndicate.store.digests import create_digest, undigested_articles
    from syndicate.store.sqlite import open_store
    from syndicate.store.subscribers import subscribers as active_subscribers

    config = load_config(config_path)
    conn = open_store(config.db_path)
    now = datetime.now(config.site.tz)
    digest_id = create_digest(conn, undigested_articles(conn), now, DIGEST_DATE)
    rendered = render_stored_digest(conn, config, digest_id)
    subscribers = active_subscribers(conn, active_only=True)[: count + 1]
    builder = CopyBuilder(conn, config, {digest_id: rendered}, dot_stuffed=False)

    def build(i: int) -> bytes:
        return builder.copy(digest_id, subscribers[i]).data

    first = builder.copy(digest_id, subscribers[0])
    message_id = next(
        line.split(b":", 1)[1].strip()
        for line in first.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line.lower().startswith(b"message-id:")
    )
    tokens = [subscribers[0].email.encode(), message_id, subscribers[0].token.encode()]
    return build, tokens


# ---------------------------------------------------------------- the parent's side


def seed_subscribers(config_path: Path, count: int) -> None:
    python_child("internals", "seed-subscribers", config_path, count)


def seed_subscriber_mix(config_path: Path, count: int) -> None:
    python_child("internals", "seed-subscriber-mix", config_path, count)


def seed_articles(config_path: Path) -> None:
    """Every file in the site's inbox, stored as read and long since sent."""
    python_child("internals", "seed-articles", config_path)


def seed_spread(config_path: Path, count: int, newsletters: list[str], languages: list[str]):
    """Subscribers spread over newsletters and languages (`_seed_spread`)."""
    python_child(
        "internals", "seed-spread", config_path, count, ",".join(newsletters), ",".join(languages)
    )


def run_counting_renders(config_path: Path) -> Measured:
    """One measured run delivering the digests (`_run_counting_renders`); its JSON: the
    renderings made."""
    return python_child("internals", "run-counting-renders", config_path)


def main() -> None:
    command, config = sys.argv[1], Path(sys.argv[2])
    if command == "seed-subscribers":
        _seed_subscribers(config, int(sys.argv[3]))
    elif command == "seed-subscriber-mix":
        _seed_subscriber_mix(config, int(sys.argv[3]))
    elif command == "seed-articles":
        _seed_articles(config)
    elif command == "seed-spread":
        _seed_spread(config, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif command == "run-counting-renders":
        print(json.dumps(_run_counting_renders(config)))
        return
    else:
        sys.exit(f"unknown command {command}")
    print(json.dumps("ok"))


if __name__ == "__main__":
    main()
