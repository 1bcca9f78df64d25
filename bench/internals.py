"""The only places where the bench reaches into syndicate instead of driving its CLI.

The delivery engine and the store are being rebuilt (`syndicate/store.py` becomes a package
re-exporting the same functions; delivery becomes batch-based), so every such call lives here,
in one small function each, to be adjusted in one place:
- seeding subscribers and stored articles (adding 100,000 addresses one CLI call at a time,
  or summarizing 10,000 articles, would measure the seeding, not the engine);
- whether `syndicate run` has `--digest now` yet, and whether a config key exists yet;
- building one subscriber's copy of a rendered digest (no CLI does only that).

Each runs in a child process (`python -m bench.internals COMMAND …`): a child's peak RSS
includes its parent's at fork time (Linux folds the old memory's high-water mark into the
new program's at exec), so the bench's own process must never import syndicate's stack, or
every measured child would report at least that much.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench.measure import python_child, run_child
from bench.site import syndicate_command


def _fast_seed_connection(db_path: Path):
    from syndicate import store

    conn = store.open_store(db_path)
    # Seeding only: the engine's own connections keep synchronous=FULL. Without this, one
    # fsync per added row would make 100,000 subscribers take minutes before the real work.
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def _seed_subscribers(config_path: Path, count: int) -> None:
    """`count` active subscribers reader000000@example.org … through the store's own API."""
    from syndicate import store
    from syndicate.config import load_config

    config = load_config(config_path)
    conn = _fast_seed_connection(config.db_path)
    now = datetime.now(config.site.tz)
    try:
        for i in range(count):
            store.add_subscriber(
                conn, f"reader{i:06d}@example.org", f"Pembaca {i}", now, resubscribe=True
            )
    finally:
        conn.close()


def _seed_articles(config_path: Path, files: list[Path]) -> None:
    """Store one article per inbox file as if a run had read it: the file's real hash (so the
    next run sees it unchanged), one summarized article under each file's own title."""
    from syndicate import ingest, store
    from syndicate.config import load_config

    config = load_config(config_path)
    template = ingest.understand(files[0], config)
    inbox = config.path("inbox")
    conn = _fast_seed_connection(config.db_path)
    start = datetime.now(config.site.tz) - timedelta(seconds=len(files))
    try:
        for i, path in enumerate(files):
            data = path.read_bytes()
            title = data.split(b"\n", 1)[0].decode("utf-8")
            article = template.with_(source=ingest.source_name(path, inbox), title=title)
            store.save_article(
                conn,
                article,
                file_hash=hashlib.sha256(data).hexdigest(),
                now=start + timedelta(seconds=i),
                domain=config.site.domain,
            )
    finally:
        conn.close()


def digest_now_args() -> list[str]:
    """Arguments that make `syndicate run` send the digest now. Today a run sends one whenever
    there are new articles; `--digest now` is coming (a digest keeps its cadence)."""
    help_text = run_child([*syndicate_command(), "run", "--help"]).stdout
    return ["--digest", "now"] if re.search(r"--digest\b", help_text) else []


def _config_key_supported(config_path: Path, section: str, line: str) -> bool:
    """Whether adding `line` to `[section]` of this site's config still loads (e.g. the
    coming `delivery.smtp_connections`). The copy is thrown away."""
    from syndicate.config import ConfigError, load_config

    probe = config_path.with_name("probe.toml")
    text = config_path.read_text(encoding="utf-8").replace(f"[{section}]", f"[{section}]\n{line}")
    probe.write_text(text, encoding="utf-8")
    try:
        load_config(probe)
        return True
    except ConfigError:
        return False
    finally:
        probe.unlink()


def copy_builder(config_path: Path) -> tuple[Callable[[int], bytes], list[bytes]]:
    """(build(i) → the bytes of subscriber i's copy, the per-recipient strings in copy 0).

    Renders the pending articles' digest once, as a run does, then builds copies the way
    the pipeline hands them to a transport today: a full EmailMessage, serialized.
    """
    from syndicate import pipeline
    from syndicate.config import load_config
    from syndicate.digest import render_digest
    from syndicate.mail import MAIL_POLICY, build_message, message_id_for
    from syndicate.model import Subscriber

    config = load_config(config_path)
    from syndicate import store

    conn = store.open_store(config.db_path)
    try:
        articles = store.undigested_articles(conn)
    finally:
        conn.close()
    digest_id = "2026-01-01-001"
    now = datetime.now(config.site.tz)
    digest = pipeline.capped_digest(config, digest_id, now, articles)
    rendered = render_digest(digest, config, web_url=pipeline.digest_web_url(config, digest_id))

    def subscriber(i: int) -> Subscriber:
        return Subscriber(f"reader{i:06d}@example.org", f"Pembaca {i}", f"tok{i:029d}")

    def build(i: int) -> bytes:
        sub = subscriber(i)
        message = build_message(
            rendered,
            sub,
            config,
            message_id=message_id_for(digest_id, sub.email, config),
            unsubscribe_url=pipeline.unsubscribe_url(config, sub.token),
        )
        return message.as_bytes(policy=MAIL_POLICY)

    first = subscriber(0)
    tokens = [
        first.email.encode(),
        message_id_for(digest_id, first.email, config).encode(),
        first.token.encode(),
    ]
    return build, tokens


# ---------------------------------------------------------------- the parent's side


def seed_subscribers(config_path: Path, count: int) -> None:
    python_child("internals", "seed-subscribers", config_path, count)


def seed_articles(config_path: Path) -> None:
    """Every file in the site's inbox, stored as read."""
    python_child("internals", "seed-articles", config_path)


def config_key_supported(config_path: Path, section: str, line: str) -> bool:
    return python_child("internals", "key-supported", config_path, section, line).json()


def main() -> None:
    command, config = sys.argv[1], Path(sys.argv[2])
    if command == "seed-subscribers":
        _seed_subscribers(config, int(sys.argv[3]))
    elif command == "seed-articles":
        _seed_articles(config, sorted((config.parent / "articles").iterdir()))
    elif command == "key-supported":
        print(json.dumps(_config_key_supported(config, sys.argv[3], sys.argv[4])))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
