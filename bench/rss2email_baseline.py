"""rss2email, in its own virtualenv, delivering digests of similar size to a Maildir.

The venv lives outside the repository, in ~/.cache/syndicate-bench/ (or
$SYNDICATE_BENCH_CACHE), and is made on first use with pip from PyPI.

How it is set up to do the same work as a syndicate digest run: rss2email has no list of
subscribers; it sends each configured feed's new entries to that feed's `to` address. So
each subscriber is one `[feed.N]` section pointing at the same local feed file of 15
entries, with `digest = True` (one message per feed and run: the 15 entries as one
multipart/digest message, like syndicate's one digest per subscriber), `html-mail = True`
(entries stay HTML, no html2text pass) and `email-protocol = maildir` (Python's
mailbox.Maildir, which fsyncs each file but not the directory). Entry bodies are sized so
that one message is about as large as syndicate's. rss2email parses the feed once per
section: that is part of what it costs to mail N people with it.

Measured with 69 KB messages it runs ~30 messages/s here; #11 quoted 251/s, which this
setup (or one message per entry from a large feed, ~40/s) does not reproduce.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

from bench.measure import Measured, run_child
from bench.site import SAMPLE

VERSION = "3.14"
ENTRIES = 15


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "syndicate-bench"
    return Path(os.environ.get("SYNDICATE_BENCH_CACHE", default))


def ensure_venv() -> Path:
    """The r2e executable of rss2email==VERSION in its own venv, created on first use."""
    venv = cache_dir() / f"rss2email-{VERSION}"
    r2e = venv / "bin" / "r2e"
    if not r2e.exists():
        print(f"  (first use: installing rss2email {VERSION} into {venv})", file=sys.stderr)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", f"rss2email=={VERSION}"],
            check=True,
        )
    return r2e


def _entry_html(number: int, size: int) -> str:
    paragraphs = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n") if p.strip()]
    text = ""
    while len(text) < size:
        text += "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"<p>Kabar {number}</p>" + text[:size]


def prepare(root: Path, messages: int, message_bytes: int) -> Path:
    """Feed file, config and Maildir under root for `messages` subscribers; returns the config.

    Each entry becomes a message/rfc822 part holding text/html, base64-encoded (4/3), with
    ~1,300 bytes of headers (measured).
    """
    root.mkdir(parents=True, exist_ok=True)
    entry_size = max(500, (message_bytes // ENTRIES - 1300) * 3 // 4)
    items = "".join(
        f"<item><title>Kabar {i}</title><link>https://news.example.org/a/{i}</link>"
        f"<guid>https://news.example.org/a/{i}</guid>"
        f"<pubDate>Mon, 05 Jan 2026 07:{i:02d}:00 +0000</pubDate>"
        f"<description>{html.escape(_entry_html(i, entry_size))}</description></item>"
        for i in range(ENTRIES)
    )
    feed = root / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Kabar Bench</title><link>https://news.example.org/</link>"
        f"<description>bench</description>{items}</channel></rss>",
        encoding="utf-8",
    )
    lines = [
        "[DEFAULT]",
        "from = digest@news.example.org",
        "email-protocol = maildir",
        f"maildir-path = {root}",
        "maildir-mailbox = Maildir",
        "html-mail = True",
        "digest = True",
        "same-server-fetch-interval = 0",
        "verbose = error",
    ]
    for n in range(messages):
        lines += [f"[feed.s{n}]", f"url = {feed}", f"to = reader{n:06d}@example.org"]
    config = root / "rss2email.cfg"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def deliver(r2e: Path, config: Path) -> tuple[Measured, int, int]:
    """(measured `r2e run`, messages in the Maildir, average message size)."""
    root = config.parent
    env = {"XDG_CONFIG_HOME": str(root), "XDG_DATA_HOME": str(root)}
    measured = run_child(
        [str(r2e), "-c", str(config), "-d", str(root / "rss2email.json"), "run"],
        cwd=root,
        env=env,
    )
    new = sorted((root / "Maildir" / "new").iterdir())
    sample = new[: min(50, len(new))]
    size = sum(p.stat().st_size for p in sample) // max(1, len(sample))
    return measured, len(new), size
