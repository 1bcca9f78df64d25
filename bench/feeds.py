"""How long render_feeds takes, by number of stored articles and body size. Not a test.

    python bench/feeds.py

Every run re-renders every archive page (write_atomic then skips the unchanged ones), so the
cost grows with the whole archive, not just the window.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.core.model import Block
from syndicate.site.feeds.render import render_feeds
from tests.feeds_fixtures import feeds_article, feeds_config


def articles(count: int, words: int) -> list:
    body = " ".join(f"kata{i}" for i in range(words))
    paragraphs = tuple(Block("paragraph", body[i : i + 600]) for i in range(0, len(body), 600))
    return [feeds_article(n, blocks=paragraphs) for n in range(count)]


def main() -> None:
    print(f"{'articles':>8} {'words':>6} {'files':>5} {'MB out':>7} {'seconds':>8}")
    for count, words in ((10, 800), (50, 800), (50, 5000), (500, 800), (2000, 800)):
        batch = articles(count, words)
        config = feeds_config(entries=50, page=50)
        start = time.perf_counter()
        out = render_feeds(batch, config)
        took = time.perf_counter() - start
        size = sum(len(v) for v in out.values()) / 1e6
        print(f"{count:>8} {words:>6} {len(out):>5} {size:>7.2f} {took:>8.2f}")


if __name__ == "__main__":
    main()
