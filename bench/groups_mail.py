"""Delivery groups of bench/run.py: Maildir (against rss2email and the durable floors), a
large list's memory, a full cur/, SMTP (against raw smtplib), and building one copy.

Every syndicate number comes from whole `syndicate run --digest now` commands as a user runs
them (start-up, rendering the digest once, then delivering), timed from spawn to exit. The
Maildir rows divide by that whole time, as rss2email's does. Where the baseline leaves out
a program's start (raw smtplib) or the question is what each message adds (cur/), the rate
is the marginal one: (run to n − run to 1) / (n − 1), two fresh sites."""

from __future__ import annotations

import subprocess
import sys

from bench import rss2email_baseline, site
from bench.groups import (
    DIGEST_NOW,
    RELAY_DELAY,
    Context,
    Line,
    delivery_site,
    mb,
    say,
    temp_root,
)
from bench.measure import REPO, Measured, python_child


def syndicate_maildir(ctx: Context, n: int) -> tuple[Measured, int]:
    """One run delivering to n subscribers into a Maildir (shared by two groups)."""
    key = f"maildir-{n}"
    if key not in ctx.results:
        say(f"syndicate: Maildir delivery to {n:,} subscribers")
        config = delivery_site(f"maildir{n}", n)
        measured = site.syndicate(config, "run", "--quiet", *DIGEST_NOW)
        delivered = site.outbox_count(config)
        site.remove(config.parent)
        if delivered != n:
            ctx.notes.append(f"Maildir {n:,}: only {delivered:,} messages were delivered")
        ctx.results[key] = (measured, delivered)
    return ctx.results[key]


def group_maildir(ctx: Context) -> list[Line]:
    n = ctx.sizes.subscribers
    ours, delivered = syndicate_maildir(ctx, n)
    ours_rate = delivered / ours.seconds
    cpu_ms = ours.cpu * 1000 / max(1, delivered)
    say(f"rss2email: {ctx.sizes.rss2email:,} digests")
    r2e = rss2email_baseline.ensure_venv()
    root = temp_root("rss2email")
    cfg = rss2email_baseline.prepare(root, ctx.sizes.rss2email, ctx.sample_size)
    r2e_run, r2e_count, r2e_size = rss2email_baseline.deliver(r2e, cfg)
    site.remove(root)
    r2e_rate = r2e_count / r2e_run.seconds
    ctx.notes.append(
        f"rss2email {rss2email_baseline.VERSION} (its own venv): {r2e_count:,} digest messages"
        f" of {r2e_size / 1000:.0f} KB (syndicate's: {ctx.sample_size / 1000:.0f} KB)"
    )
    lines = [
        Line(
            f"Maildir delivery, {n:,} subscribers",
            f"{ours_rate:,.0f} msg/s ({cpu_ms:.2f} ms CPU/msg)",
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
            f"{per_big:.3f} ms/msg",
            f"{per_small:.3f} ms/msg at {small_count:,}",
            per_big / per_small,
            "≤ 1.2×",
            per_big / per_small <= 1.2,
        ),
    ]


def fresh_runs(
    ctx: Context, label: str, count: int, delivery: dict | None = None, cur_files: int = 0
) -> Measured:
    """The fastest of `repeats` runs delivering to `count` subscribers, each from a fresh
    site (a delivered digest is not delivered again): on a shared machine noise only adds
    time, and a marginal rate is a difference of two such runs."""
    runs = []
    for _ in range(ctx.sizes.repeats):
        config = delivery_site(label, count, delivery)
        site.fill_cur(config, cur_files)
        runs.append(site.syndicate(config, "run", "--quiet", *DIGEST_NOW))
        site.remove(config.parent)
    return min(runs, key=lambda m: m.seconds)


def group_cur(ctx: Context) -> list[Line]:
    """Per message: the marginal cost, (run to n − run to 1) / (n − 1), each a fresh site
    with the same cur/: what #11 forbids is a scan per message; the one listing of cur/ per
    run (folders.py) cancels out here and is reported on its own."""
    n, files = ctx.sizes.cur_messages, ctx.sizes.cur_files
    found: dict[str, tuple[float, Measured, float]] = {}
    for label, fill in (("empty", 0), ("full", files)):
        runs = {}
        for count in (1, n):
            say(f"Maildir delivery of {count:,} with {fill:,} files in cur/")
            runs[count] = fresh_runs(ctx, f"cur-{label}", count, cur_files=fill)
        marginal = max(0.0, runs[n].seconds - runs[1].seconds) / (n - 1)
        found[label] = (marginal, runs[n], runs[1].seconds)
    full, full_run, full_one = found["full"]
    empty, _run, empty_one = found["empty"]
    ctx.notes.append(
        f"cur/: a run delivering one message takes {full_one * 1000:,.0f} ms with {files:,}"
        f" files in cur/ and {empty_one * 1000:,.0f} ms with it empty (the one listing per"
        " run of new/ and cur/ for names already delivered)."
    )
    return [
        Line(
            f"Maildir delivery with {files:,} files in cur/ (per message, marginal)",
            f"{full * 1000:.3f} ms/msg",
            f"cur/ empty: {empty * 1000:.3f} ms/msg",
            full / empty,
            "≤ 1.2× (#11: no scan of cur/ per message)",
            full / empty <= 1.2,
            mb(full_run),
        )
    ]


def _smtp_case(ctx: Context, n: int, delay: float) -> dict:
    """Raw smtplib and syndicate, 1 and 4 connections, to one sink taking `delay` s/message."""
    tally = temp_root("tally") / "accepted"
    sink_argv = [sys.executable, str(REPO / "bench" / "smtp_sink.py"), "0", "--workers", "2"]
    sink = subprocess.Popen(
        [*sink_argv, "--delay", str(delay), "--tally", str(tally)],
        stdout=subprocess.PIPE,
        text=True,
    )
    found: dict = {}
    sent = 0  # messages handed to the sink, to check against what it accepted
    try:
        port = int(sink.stdout.readline())  # type: ignore[union-attr]

        def raw(mode: str, conns: int) -> float:
            say(f"raw {mode}, {conns} connection(s), {delay * 1000:.0f} ms sink: {n:,} messages")
            nonlocal sent
            result = python_child("smtp_clients", mode, port, n, conns, ctx.sample).json()
            sent += n
            return result["count"] / result["seconds"]

        if not delay:
            found["sink"] = raw("pipelined", 4)
        found["raw1"], found["raw4"] = raw("smtplib", 1), raw("smtplib", 4)
        for conns in (1, 4):
            smtp = {"method": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
            for count in (1, n):
                say(f"syndicate: SMTP, {conns} connection(s), {delay * 1000:.0f} ms: {count:,}")
                delivery = {**smtp, "smtp_connections": conns}
                found[conns, count] = fresh_runs(ctx, f"smtp{conns}", count, delivery)
                sent += count * ctx.sizes.repeats
    finally:
        sink.terminate()  # the sink stops its forked twin on SIGTERM, then tallies
        sink.wait()
    accepted = sum(int(x) for x in tally.read_text(encoding="ascii").split())
    if accepted != sent:
        raise RuntimeError(f"the sink accepted {accepted:,} messages of {sent:,} sent")
    return found


def _smtp_lines(label: str, n: int, found: dict) -> list[Line]:
    """The ratio is of the marginal rate, (n − 1) / (run to n − run to 1): raw smtplib's
    figure leaves out its interpreter's start too. The whole run's rate is shown beside it."""
    raw1, raw4 = found["raw1"], found["raw4"]
    lines = []
    for conns in (1, 4):
        whole = found[conns, n]
        rate = (n - 1) / max(1e-9, whole.seconds - found[conns, 1].seconds)
        ratio = rate / raw1
        one = conns == 1
        lines.append(
            Line(
                f"{label}, one connection"
                if one
                else "  … 4 connections (`delivery.smtp_connections = 4`)",
                f"{rate:,.0f} msg/s (whole run: {n / whole.seconds:,.0f} msg/s)",
                f"raw smtplib, persistent: {raw1:,.0f} msg/s"
                if one
                else f"raw smtplib, 1 connection: {raw1:,.0f} msg/s (on 4: {raw4:,.0f})",
                ratio,
                "≥ 0.9×" if one else "≥ 2×",
                ratio >= (0.9 if one else 2),
                mb(whole),
            )
        )
    return lines


def group_smtp(ctx: Context) -> list[Line]:
    n, relay_n = ctx.sizes.smtp, ctx.sizes.smtp_relay
    instant = _smtp_case(ctx, n, 0.0)
    relay = _smtp_case(ctx, relay_n, RELAY_DELAY)
    ctx.notes.append(
        "SMTP: syndicate's rate is the marginal one, (n − 1) / (a run sending n − a run"
        " sending 1), since raw smtplib's leaves out its interpreter's start too; the whole"
        " run's rate (start-up and rendering included) is in brackets. The"
        f" instant sink (bench/smtp_sink.py, 2 processes) alone takes {instant['sink']:,.0f}"
        " msg/s from 4 pipelining raw clients; raw smtplib on 4 connections gives"
        f" {instant['raw4'] / instant['raw1']:.1f}× one connection against it (client and"
        " sink share the 2 cores). Against the relay that spends"
        f" {RELAY_DELAY * 1000:.0f} ms per message, raw smtplib on 4 connections gives"
        f" {relay['raw4'] / relay['raw1']:.1f}×."
    )
    return [
        *_smtp_lines(f"SMTP to a loopback sink, {n:,}", n, instant),
        *_smtp_lines(
            f"SMTP to a relay taking {RELAY_DELAY * 1000:.0f} ms a message, {relay_n:,}",
            relay_n,
            relay,
        ),
    ]


def group_copy(ctx: Context) -> list[Line]:
    n = ctx.sizes.copies
    say(f"building {n:,} copies")
    config = delivery_site("copy", n + 1)
    measured = python_child("copies", config, n)
    site.remove(config.parent)
    result = measured.json()
    per_second = 1 / result["build_s"]
    return [
        Line(
            "building one subscriber's copy (the engine's `CopyBuilder.copy`)",
            f"{result['build_s'] * 1000:.4f} ms ({per_second:,.0f}/s)",
            f"bytes.replace of 3 tokens: {result['replace_s'] * 1000:.4f} ms",
            result["build_s"] / result["replace_s"],
            "≥ 5,000/s",
            per_second >= 5000,
            mb(measured),
        )
    ]
