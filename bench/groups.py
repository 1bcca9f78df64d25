"""The measurement groups of bench/run.py: each builds what it needs in a temp folder, runs
syndicate and its baselines as child processes, and returns table lines."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import internals, rss2email_baseline, site
from bench.measure import REPO, Measured, best_of, python_child


@dataclass(frozen=True)
class Sizes:
    subscribers: int
    subscribers_large: int
    rss2email: int
    smtp: int
    copies: int
    history: tuple[int, int, int]
    ingest_new: int
    cur_files: int
    cur_messages: int
    repeats: int


FULL = Sizes(10_000, 100_000, 2_000, 1_000, 300, (50, 1_000, 10_000), 300, 50_000, 1_000, 3)
QUICK = Sizes(1_000, 5_000, 200, 200, 100, (50, 300, 1_000), 50, 50_000, 100, 2)


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
    digest_args: list[str]
    sample: Path  # one real digest message, the payload of every baseline
    sample_size: int
    results: dict
    notes: list[str]


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


# ---------------------------------------------------------------- helpers


def delivery_site(label: str, subscribers: int, delivery: dict | None = None) -> Path:
    """A site with 15 ingested articles (pending for the digest) and N seeded subscribers."""
    config = site.make_site(temp_root(label), articles=15, delivery=delivery)
    site.syndicate(config, "run", "--no-digest", "--quiet")
    internals.seed_subscribers(config, subscribers)
    return config


def sample_message(work: Path) -> Path:
    config = delivery_site("sample", 1)
    site.syndicate(config, "run", "--quiet", *internals.digest_now_args())
    [message] = site.outbox_messages(config)
    target = work / "digest.eml"
    target.write_bytes(message.read_bytes())
    site.remove(config.parent)
    return target


def syndicate_maildir(ctx: Context, n: int) -> tuple[Measured, int]:
    key = f"maildir-{n}"
    if key not in ctx.results:
        say(f"syndicate: Maildir delivery to {n:,} subscribers")
        config = delivery_site(f"maildir{n}", n)
        measured = site.syndicate(config, "run", "--quiet", *ctx.digest_args)
        delivered = len(site.outbox_messages(config))
        site.remove(config.parent)
        if delivered != n:
            ctx.notes.append(f"Maildir {n:,}: only {delivered:,} messages were delivered")
        ctx.results[key] = (measured, delivered)
    return ctx.results[key]


# ---------------------------------------------------------------- groups


def group_maildir(ctx: Context) -> list[Line]:
    n = ctx.sizes.subscribers
    ours, delivered = syndicate_maildir(ctx, n)
    ours_rate = delivered / ours.seconds
    cpu_ms = ours.cpu * 1000 / max(1, delivered)
    say(f"rss2email: {ctx.sizes.rss2email:,} digests")
    r2e = rss2email_baseline.ensure_venv()
    root = temp_root("rss2email")
    cfg = rss2email_baseline.prepare(root, ctx.sizes.rss2email, ctx.sample.stat().st_size)
    r2e_run, r2e_count, r2e_size = rss2email_baseline.deliver(r2e, cfg)
    site.remove(root)
    r2e_rate = r2e_count / r2e_run.seconds
    ctx.notes.append(
        f"rss2email {rss2email_baseline.VERSION}: {r2e_count:,} digest messages of"
        f" {r2e_size / 1000:.0f} KB (syndicate's: {ctx.sample.stat().st_size / 1000:.0f} KB)"
    )
    lines = [
        Line(
            f"Maildir delivery, {n:,} subscribers",
            f"{ours_rate:,.0f} msg/s ({cpu_ms:.1f} ms CPU/msg)",
            f"rss2email {r2e_rate:,.0f} msg/s",
            ours_rate / r2e_rate,
            "≥ 10×",
            ours_rate / r2e_rate >= 10,
            f"{mb(ours)} (rss2email {mb(r2e_run)})",
        )
    ]
    floors = {
        "serial": "floor: fsync + link per file",
        "threads8": "floor: 8 threads fsyncing",
        "syncfs": "floor: one syncfs per 2,000",
    }
    for mode, label in floors.items():
        say(f"{label}: {n:,} files")
        root = temp_root(mode)
        floor = python_child("floors", mode, root, n, ctx.sample).json()
        site.remove(root)
        floor_rate = floor["count"] / floor["seconds"]
        lines.append(
            Line(f"  … against the {label}", "", f"{floor_rate:,.0f} msg/s", ours_rate / floor_rate)
        )
    return lines


def group_maildir_large(ctx: Context) -> list[Line]:
    small, small_count = syndicate_maildir(ctx, ctx.sizes.subscribers)
    big, big_count = syndicate_maildir(ctx, ctx.sizes.subscribers_large)
    per_small = small.seconds * 1000 / small_count
    per_big = big.seconds * 1000 / big_count
    return [
        Line(
            f"Maildir delivery, {big_count:,} subscribers: peak RSS",
            mb(big),
            "—",
            None,
            "≤ 150 MB",
            big.rss_mb <= 150,
            mb(big),
        ),
        Line(
            f"  … time per message, {big_count:,} vs {small_count:,}",
            f"{per_big:.2f} ms/msg",
            f"{per_small:.2f} ms/msg at {small_count:,}",
            per_big / per_small,
            "≤ 1.2×",
            per_big / per_small <= 1.2,
        ),
    ]


def group_smtp(ctx: Context) -> list[Line]:
    n = ctx.sizes.smtp
    sink = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "smtp_sink.py"), "0", "--workers", "2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(sink.stdout.readline())  # type: ignore[union-attr]

        def raw(mode: str, conns: int) -> float:
            say(f"raw {mode}, {conns} connection(s): {n:,} messages")
            result = python_child("smtp_clients", mode, port, n, conns, ctx.sample).json()
            return result["count"] / result["seconds"]

        sink_rate = raw("pipelined", 4)
        raw1 = raw("smtplib", 1)
        raw4 = raw("smtplib", 4)
        smtp = {"method": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
        say(f"syndicate: SMTP, {n:,} subscribers")
        config = delivery_site("smtp", n, smtp)
        ours = site.syndicate(config, "run", "--quiet", *ctx.digest_args)
        parallel_ok = internals.config_key_supported(config, "delivery", "smtp_connections = 4")
        site.remove(config.parent)
        ours4 = None
        if parallel_ok:
            say(f"syndicate: SMTP over 4 connections, {n:,} subscribers")
            config = delivery_site("smtp4", n, {**smtp, "smtp_connections": 4})
            ours4 = site.syndicate(config, "run", "--quiet", *ctx.digest_args)
            site.remove(config.parent)
    finally:
        sink.terminate()
        sink.wait()
    ctx.notes.append(
        f"SMTP sink (bench/smtp_sink.py, 2 processes) alone, fed by 4 pipelining raw clients:"
        f" {sink_rate:,.0f} msg/s; raw smtplib on 4 connections: {raw4:,.0f} msg/s"
        f" ({raw4 / raw1:.1f}× one connection; clients and sink share the machine's cores)."
        " aiosmtpd was not used: it tops out near raw smtplib's one-connection rate."
    )
    ours_rate = n / ours.seconds
    lines = [
        Line(
            f"SMTP to a loopback sink, {n:,}, one connection",
            f"{ours_rate:,.0f} msg/s",
            f"raw smtplib, persistent: {raw1:,.0f} msg/s",
            ours_rate / raw1,
            "≥ 0.9×",
            ours_rate / raw1 >= 0.9,
            mb(ours),
        )
    ]
    if ours4 is None:
        lines.append(
            Line(
                "  … 4 connections",
                "n/a (no delivery.smtp_connections)",
                f"raw smtplib, 1 connection: {raw1:,.0f} msg/s",
                None,
                "≥ 2×",
                False,
            )
        )
    else:
        r4 = n / ours4.seconds
        lines.append(
            Line(
                "  … 4 connections",
                f"{r4:,.0f} msg/s",
                f"raw smtplib, 1 connection: {raw1:,.0f} msg/s",
                r4 / raw1,
                "≥ 2×",
                r4 / raw1 >= 2,
                mb(ours4),
            )
        )
    return lines


def group_copy(ctx: Context) -> list[Line]:
    say(f"building {ctx.sizes.copies:,} copies")
    config = site.make_site(temp_root("copy"), articles=15)
    site.syndicate(config, "run", "--no-digest", "--quiet")
    measured = python_child("copies", config, ctx.sizes.copies)
    site.remove(config.parent)
    result = measured.json()
    per_second = 1 / result["build_s"]
    return [
        Line(
            "building one subscriber's copy",
            f"{result['build_s'] * 1000:.2f} ms ({per_second:,.0f}/s)",
            f"bytes.replace of 3 tokens: {result['replace_s'] * 1000:.3f} ms",
            result["build_s"] / result["replace_s"],
            "≥ 5,000/s",
            per_second >= 5000,
            mb(measured),
        )
    ]


def group_history(ctx: Context) -> list[Line]:
    repeats = ctx.sizes.repeats
    noop: dict[int, Measured] = {}
    edit: dict[int, Measured] = {}
    ingest: dict[int, float] = {}
    for size in ctx.sizes.history:
        say(f"history: seeding {size:,} stored articles")
        config = site.make_site(temp_root(f"history{size}"), articles=size)
        internals.seed_articles(config)
        site.syndicate(config, "run", "--quiet")  # first publish: pages, feeds, archive
        say(f"history: no-op and one-edit runs at {size:,}")
        noop[size] = site.syndicate_best_of(repeats, config, "run", "--quiet")
        edits = []
        for k in range(repeats):
            path = config.parent / "articles" / f"kabar-{k:06d}.txt"
            path.write_text(path.read_text(encoding="utf-8") + f"\nRalat {k}.\n", "utf-8")
            edits.append(site.syndicate(config, "run", "--quiet"))
        edit[size] = min(edits, key=lambda m: m.seconds)
        if size != ctx.sizes.history[0]:
            k = ctx.sizes.ingest_new
            site.write_ready_articles(config.parent / "articles", range(k))
            added = site.syndicate(config, "run", "--no-digest", "--quiet")
            again = site.syndicate_best_of(repeats, config, "run", "--no-digest", "--quiet")
            ingest[size] = (added.seconds - again.seconds) / k
        site.remove(config.parent)
    imports = best_of(
        repeats, [sys.executable, "-c", "import feedgen, jinja2, premailer, apscheduler"]
    )
    small, mid, big = ctx.sizes.history
    lines = []
    for label, runs in (("no-op run", noop), ("one-edit run", edit)):
        first_ms = runs[small].seconds * 1000
        for size in (small, mid, big):
            last = size == big
            ratio = runs[size].seconds / runs[small].seconds
            lines.append(
                Line(
                    f"{label}, {size:,} stored articles",
                    f"{runs[size].seconds * 1000:,.0f} ms",
                    "—" if size == small else f"same at {small}: {first_ms:,.0f} ms",
                    None if size == small else ratio,
                    "≤ 1.5×" if last else "—",
                    ratio <= 1.5 if last else None,
                    mb(runs[size]),
                )
            )
    ratio = noop[big].seconds / imports.seconds
    lines.append(
        Line(
            f"no-op run at {big:,} vs importing the card's packages",
            f"{noop[big].seconds * 1000:,.0f} ms",
            f"import feedgen, jinja2, premailer, apscheduler: {imports.seconds * 1000:,.0f} ms",
            ratio,
            "≤ 0.5×",
            ratio <= 0.5,
            f"{mb(noop[big])} (imports {mb(imports)})",
        )
    )
    ratio = ingest[big] / ingest[mid]
    lines.append(
        Line(
            f"ingest per article, {mid:,} → {big:,} stored (front matter, no summarizer)",
            f"{ingest[big] * 1000:.1f} ms at {big:,}",
            f"{ingest[mid] * 1000:.1f} ms at {mid:,}",
            ratio,
            "flat: ≤ 1.2× (#11 gives no number)",
            ratio <= 1.2,
        )
    )
    return lines


def group_help(ctx: Context) -> list[Line]:
    say("--help vs python -c pass")
    times = max(5, ctx.sizes.repeats)
    ours = best_of(times, [*site.syndicate_command(), "--help"])
    base = best_of(times, [sys.executable, "-c", "pass"])
    ratio = ours.seconds / base.seconds
    return [
        Line(
            "`syndicate --help`",
            f"{ours.seconds * 1000:.0f} ms",
            f"python -c pass: {base.seconds * 1000:.0f} ms",
            ratio,
            "≤ 4×",
            ratio <= 4,
            mb(ours),
        )
    ]


def group_cur(ctx: Context) -> list[Line]:
    n, files = ctx.sizes.cur_messages, ctx.sizes.cur_files
    per_message = {}
    for label, fill in (("empty", 0), ("full", files)):
        say(f"Maildir delivery of {n:,} with {fill:,} files in cur/")
        config = delivery_site(f"cur-{label}", n)
        site.fill_cur(config, fill)
        run = site.syndicate(config, "run", "--quiet", *ctx.digest_args)
        idle = site.syndicate_best_of(ctx.sizes.repeats, config, "run", "--quiet")
        per_message[label] = (max(0.0, run.seconds - idle.seconds) / n, run)
        site.remove(config.parent)
    full, full_run = per_message["full"]
    empty, _ = per_message["empty"]
    return [
        Line(
            f"Maildir delivery with {files:,} files in cur/",
            f"{full * 1000:.2f} ms/msg",
            f"cur/ empty: {empty * 1000:.2f} ms/msg",
            full / empty,
            "≤ 1.2× (#11: no scan of cur/)",
            full / empty <= 1.2,
            mb(full_run),
        )
    ]


GROUPS: dict[str, Callable[[Context], list[Line]]] = {
    "maildir": group_maildir,
    "maildir-large": group_maildir_large,
    "smtp": group_smtp,
    "copy": group_copy,
    "history": group_history,
    "help": group_help,
    "cur": group_cur,
}
