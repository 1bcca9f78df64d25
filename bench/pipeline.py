"""Time a whole `syndicate run` on a synthetic inbox, against baselines from the same run.

    python bench/pipeline.py [--articles 200]

Baselines (measured in the same process, so a noisy shared machine affects both alike):
  - read+hash: reading and sha256-hashing every inbox file: the floor of any ingest;
  - render feeds: feeds.render_feeds over the stored articles alone.
Rows: a first run (ingest + summarize + feeds + pages + digest + Maildir delivery to 3
subscribers) and a no-op rerun, which must stay close to the read+hash floor.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syndicate.config import load_config
from syndicate.run import pipeline
from syndicate.site.feeds.render import render_feeds
from syndicate.store.articles import all_articles
from syndicate.store.sqlite import open_store

SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"


def make_site(root: Path, n: int) -> Path:
    (root / "articles").mkdir(parents=True)
    text = SAMPLE.read_text(encoding="utf-8")
    title, rest = text.split("\n", 1)
    for i in range(n):
        (root / "articles" / f"artikel-{i:04d}.txt").write_text(
            f"{title} (bagian {i})\n{rest.replace('11.000', f'{11000 + i:,}'.replace(',', '.'))}",
            encoding="utf-8",
        )
    config = root / "config.toml"
    config.write_text(
        (REPO / "config.toml")
        .read_text(encoding="utf-8")
        .replace('templates = "templates"', f'templates = "{(REPO / "templates").as_posix()}"')
        .replace(
            'subscribers = ["Pembaca Contoh <reader@example.org>"]',
            'subscribers = ["a@example.org", "b@example.org", "c@example.org"]',
        ),
        encoding="utf-8",
    )
    return config


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    try:
        config = load_config(make_site(root, args.articles))
        inbox = config.path("inbox")

        def read_hash() -> None:
            for p in sorted(inbox.iterdir()):
                hashlib.sha256(p.read_bytes()).hexdigest()

        floor = min(timed(read_hash) for _ in range(3))
        first = timed(lambda: pipeline.run(config))
        rerun = min(timed(lambda: pipeline.run(config)) for _ in range(3))
        conn = open_store(config.db_path)
        articles = all_articles(conn)
        conn.close()
        feeds = min(timed(lambda: render_feeds(articles, config)) for _ in range(3))
    finally:
        shutil.rmtree(root)

    n = args.articles
    rows = [
        ("baseline: read+hash inbox", floor),
        ("baseline: render feeds", feeds),
        ("first run (everything)", first),
        ("no-op rerun", rerun),
    ]
    print(f"syndicate run, {n} articles, 3 subscribers (best of 3 where repeated)")
    print(f"{'step':<28}{'seconds':>10}{'ms/article':>12}{'× read+hash':>13}{'× feeds':>9}")
    for name, secs in rows:
        print(
            f"{name:<28}{secs:>10.3f}{secs * 1000 / n:>12.2f}{secs / floor:>13.1f}"
            f"{secs / feeds:>9.2f}"
        )


if __name__ == "__main__":
    main()
