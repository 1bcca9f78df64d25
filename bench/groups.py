"""What the measurement groups of bench/run.py share: sizes, table lines, temp folders, and
the sites they deliver from. The groups themselves are in groups_mail.py (delivery, copies)
and groups_runs.py (history, start-up, PostgreSQL workers)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import internals, site
from bench.measure import Measured


@dataclass(frozen=True)
class Sizes:
    subscribers: int  # Maildir row
    subscribers_large: int  # the peak-RSS row
    rss2email: int  # rss2email's digests (it is ~100× slower: its rate, not its N, matters)
    smtp: int  # messages to the sink that answers at once
    smtp_relay: int  # messages to the sink that takes RELAY_DELAY per message
    copies: int
    history: tuple[int, int, int]  # stored articles
    ingest_new: int
    cur_files: int
    cur_messages: int
    workers: int  # subscribers of the optional PostgreSQL group
    repeats: int  # best of N for short commands
    roster: int  # rows of the CSV imported and exported (#20)


FULL = Sizes(
    10_000,
    100_000,
    2_000,
    1_000,
    500,
    5_000,
    (50, 1_000, 10_000),
    300,
    50_000,
    5_000,
    2_000,
    3,
    20_000,
)
QUICK = Sizes(1_000, 5_000, 200, 200, 100, 1_000, (50, 300, 1_000), 50, 50_000, 100, 300, 2, 2_000)
RELAY_DELAY = 0.01  # seconds a "real relay" spends per message


@dataclass(frozen=True)
class Line:
    work: str
    ours: str
    baseline: str
    ratio: float | None = None
    target: str = "—"
    ok: bool | None = None
    rss: str = ""


@dataclass
class Context:
    sizes: Sizes
    sample: Path  # one real digest message, the payload of every baseline
    sample_size: int
    results: dict
    notes: list[str]


DIGEST_NOW = ("--digest", "now")
CREATED: list[Path] = []


def temp_root(label: str) -> Path:
    """A fresh folder, removed at the end even if a group fails (a 100,000-message outbox
    is 6 GB)."""
    root = site.temp_root(label)
    CREATED.append(root)
    return root


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def mb(m: Measured) -> str:
    return f"{m.rss_mb:.0f} MB"


def delivery_site(label: str, subscribers: int, delivery: dict | None = None) -> Path:
    """A site with 15 ingested articles (pending for the digest) and N seeded subscribers."""
    config = site.make_site(temp_root(label), articles=15, delivery=delivery)
    site.syndicate(config, "run", "--no-digest", "--quiet")
    internals.seed_subscribers(config, subscribers)
    return config


def sample_message(work: Path) -> Path:
    """One subscriber's digest message as syndicate delivers it: the payload the baselines
    (floors, raw smtplib) write and send."""
    config = delivery_site("sample", 1)
    site.syndicate(config, "run", "--quiet", *DIGEST_NOW)
    [message] = site.outbox_messages(config)
    target = work / "digest.eml"
    target.write_bytes(message.read_bytes())
    site.remove(config.parent)
    return target
