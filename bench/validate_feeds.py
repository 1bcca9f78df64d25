"""Render feeds from realistic and hostile articles and run the W3C Feed Validation Service on
every XML document (main feeds, archive pages, and the topic and language feeds of #23). Not
part of the test run: it needs the validator's source, which a clone of this repository does
not have.

    FEEDVALIDATOR_DIR=/path/to/w3c-feedvalidator \\
        python bench/validate_feeds.py /path/to/feedcheck.py [--atom-rng /path/to/atom_rng_check.py]

feedcheck.py is the team's wrapper around the W3C validator (not shipped with syndicate). It is
run with --fail-on-warning; the script prints one line per document and a total, and exits 1 on
any error or warning. The validator is given the feed's own rel="self" URL as the served
location, as it would be when fetching https://news.example.org/atom.xml.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.core.model import Article, Author, Block
from syndicate.core.report import RunReport
from syndicate.site.feeds.render import render_feeds
from syndicate.site.outputs import Outputs
from syndicate.site.publish import publish
from syndicate.store.db import transaction
from syndicate.store.recovery import adopt_article
from syndicate.store.sqlite import open_store
from tests.feeds_fixtures import (
    FEEDS_BASE,
    feeds_article,
    feeds_config,
    feeds_hostile_articles,
)


def sample_article() -> Article:
    """The shipped sample inbox article, read the simple way (the readers are issue #3)."""
    path = next((ROOT / "articles").glob("*.txt"))
    chunks = [c.strip() for c in path.read_text(encoding="utf-8").split("\n\n") if c.strip()]
    blocks = []
    for chunk in chunks[1:]:
        if chunk.startswith("•"):
            blocks.append(Block("item", chunk.lstrip("• ").strip(), marker="•"))
        else:
            blocks.append(Block("paragraph", chunk))
    seen = datetime(2026, 11, 26, 23, 5, tzinfo=UTC)
    return Article(
        source=path.name,
        title=chunks[0],
        blocks=tuple(blocks),
        language="id",
        summary=" ".join(chunks[1:3]),
        key_bullets=tuple(b.text for b in blocks if b.kind == "item"),
        id="tag:news.example.org,2026-11-26:000_6bd5c2adaf47451d",
        slug="000-6bd5c2adaf47451d",
        first_seen=seen,
    )


def unseen_articles() -> list[Article]:
    """Odd-but-plausible input the tests do not use."""
    jakarta = timezone(timedelta(hours=7))
    return [
        feeds_article(
            40,
            title="  Tabel &amp; kode: <code>x &lt; y</code>  ",
            body_html=(
                "<h1>Judul</h1><table><tr><th>A</th><td>1</td></tr></table>"
                "<pre>if a < b:\n    pass</pre><ol><li>satu<ul><li>dua</li></ul></li></ol>"
                '<p><a href="#catatan">catatan</a> <a href="mailto:redaksi@example.org">surat</a>'
                ' <a href="//cdn.example.net/x">cdn</a> <a href="ftp://x.example/y">ftp</a></p>'
                '<p style="color:red" class="x" id="y">gaya</p><form><input></form>'
                "<svg><script>alert(1)</script></svg><math></math>"
            ),
            url="https://news.example.org/berita/ñandú-ünïcode?q=a b&x=1#frag",
            published=datetime(2026, 11, 24, 21, 0, tzinfo=jakarta),
            updated=datetime(2026, 11, 25, 1, 0),  # naive: taken as UTC
            language="id-ID",
            tags=("Jakarta Selatan", "ekonomi/keuangan", "🚀", "x" * 300),
            image="/images/missing.png",
            author=Author(name="Redaksi", url="https://news.example.org/redaksi"),
        ),
        feeds_article(
            41,
            title="中文标题：测试",
            language="zh-Hant",
            summary="第一句。\n第二句。",
            author=Author(name="王小明 <wang@example.org>", email="wang@example.org"),
            image="https://cdn.example.net/中文.jpg?w=600&h=400",
        ),
        feeds_article(
            42,
            title="A" * 2000,
            summary="",
            blocks=(Block("heading", "Only a heading"),),
            key_bullets=(),
            author=Author(name=""),
        ),
        feeds_article(
            43,
            title="Future dated",
            published=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
            updated=datetime(2026, 11, 26, 11, 0, tzinfo=UTC),  # before published
            language="EN-gb",
        ),
        feeds_article(
            44,
            title="Bidi \u202eoverride\u202c and zero\u200bwidth and BOM \ufeff",
            summary="\u2028line\u2029separators",
            author=Author(name="\u200f\u05d0\u05d1\u05d2"),
        ),
    ]


def build(folder: Path) -> list[Path]:
    """Write several feed sets under folder; return every XML document written."""
    (folder / "plain" / "feeds" / "images").mkdir(parents=True)
    (folder / "plain" / "feeds" / "images" / "lead.png").write_bytes(b"\x89PNG" + b"0" * 2044)
    local_image = feeds_article(45, image=f"{FEEDS_BASE}images/lead.png", title="Local image")
    everything = [
        sample_article(),
        *[feeds_article(n) for n in range(6)],
        *feeds_hostile_articles(),
        *unseen_articles(),
        local_image,
    ]
    sets = {
        "plain": (everything, feeds_config(folder / "plain")),
        "sample-only": ([sample_article()], feeds_config()),
        "empty": ([], feeds_config()),
        "archives-hub-icons": (
            everything,
            feeds_config(
                entries=5,
                page=4,
                hub="https://pubsubhubbub.appspot.com/",
                icon="https://news.example.org/icon.png",
                logo="https://news.example.org/logo.png",
            ),
        ),
        "english-site": (everything, feeds_config(language="en", title="Daily <b>News</b>")),
        # Exactly one archive page: it is both the oldest and the newest, so RFC 5005 gives it
        # neither prev-archive nor next-archive, and the validator's ArchiveIncomplete
        # heuristic fires (see EXPECTED).
        "one-archive-page": ([feeds_article(n) for n in range(8)], feeds_config(entries=4, page=4)),
    }
    written = topic_feeds(folder / "topics", everything)
    for name, (articles, config) in sets.items():
        for rel, data in render_feeds(articles, config).items():
            path = folder / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            if rel.endswith(".xml"):
                written.append(path)
            else:
                json.loads(data)
    return written


def topic_feeds(folder: Path, articles: list[Article]) -> list[Path]:
    """The topic and language feeds (feeds/tags/…, feeds/lang/…) of `articles`, written as a
    run writes them: stored with the ids the other sets render them under (as `state adopt`
    stores an article the feeds show), then published; every XML document among them."""
    config = feeds_config(folder)
    conn = open_store(folder / "syndicate.db")
    try:
        with transaction(conn):
            for n, article in enumerate(articles):
                if "\ud800" in article.title:
                    continue  # a lone surrogate never leaves the readers: not storable
                published = article.published or article.first_seen
                stored = article.with_(published=published, updated=article.updated or published)
                adopt_article(conn, stored, file_hash=f"h{n}", content_hash=f"c{n}")
        publish(conn, config, RunReport(), Outputs(folder / "feeds"))
    finally:
        conn.close()
    return sorted(p for kind in ("tags", "lang") for p in (folder / "feeds" / kind).rglob("*.xml"))


# Warnings that are right by the spec and documented in the report; everything else fails.
EXPECTED = {("one-archive-page/archive/atom-1.xml", "ArchiveIncomplete")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("feedcheck", help="path to feedcheck.py")
    ap.add_argument("--atom-rng", help="path to atom_rng_check.py (optional)")
    ap.add_argument("--keep", help="write the feeds here instead of a temp folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        files = build(folder)
        run = subprocess.run(
            [sys.executable, args.feedcheck, "--fail-on-warning", *map(str, files)],
            capture_output=True,
            text=True,
        )
        if run.returncode == 2 or not run.stdout:
            print(run.stderr, file=sys.stderr)
            return 2
        bad = 0
        for line in run.stdout.splitlines():
            res = json.loads(line)
            name = Path(res["file"]).relative_to(folder)
            errors, warnings = res["errors"], res["warnings"]
            expected = [w for w in warnings if (name.as_posix(), w["type"]) in EXPECTED]
            bad += bool(errors or len(warnings) > len(expected))
            print(f"{name}: {res['feed_type']}: {len(errors)} errors, {len(warnings)} warnings")
            for event in errors + warnings:
                note = " (expected, see EXPECTED)" if event in expected else ""
                print(f"    {event['type']} line {event['line']}: {event['message']}{note}")
        if args.atom_rng:
            atoms = [str(f) for f in files if "atom" in f.name]
            rng = subprocess.run(
                [sys.executable, args.atom_rng, *atoms], capture_output=True, text=True
            )
            invalid = [json.loads(x) for x in rng.stdout.splitlines() if '"valid": false' in x]
            print(f"RELAX NG: {len(atoms) - len(invalid)}/{len(atoms)} Atom documents valid")
            for res in invalid:
                print(f"    {res['file']}: {res['errors'][:3]}")
            bad += len(invalid)
        print(f"{len(files)} documents, {bad} with errors or warnings")
        return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
