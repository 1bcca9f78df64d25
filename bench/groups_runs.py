"""Groups of bench/run.py about runs rather than messages: no-op, one-edit and ingest cost as
the history grows, `--help`, and (optional) `deliver` workers on PostgreSQL."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from bench import internals, site
from bench.groups import RELAY_DELAY, Context, Line, mb, say, temp_root
from bench.measure import REPO, Measured, best_of, best_of_alternating, run_child

CARD_IMPORTS = "import feedgen, jinja2, premailer, apscheduler"


def _backdate(paths: Iterable[str | Path], seconds: float = 3600) -> None:
    """Files written a while ago, as an inbox's files are: syndicate does not trust the stat
    signature of a file modified within the last seconds (inbox.py: RACY_SECONDS) and hashes
    it again, which a file just written by the bench would otherwise always be."""
    old = time.time() - seconds
    for path in paths:
        os.utime(path, (old, old))


def _import_ms(config: Path) -> tuple[float, list[str]]:
    """Milliseconds a no-op run spends importing (`python -X importtime`, the sum of every
    module's own time), and the three slowest top-level imports."""
    argv = [sys.executable, "-X", "importtime", "-m", "syndicate", "run", "--quiet"]
    child = run_child([*argv, "--config", str(config)], cwd=config.parent)
    total, top = 0, []
    for line in child.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not found:
            continue
        own, cumulative, indent, name = found.groups()
        total += int(own)
        if len(indent) == 1:  # a top-level import
            top.append((int(cumulative), name))
    top.sort(reverse=True)
    return total / 1000, [f"{name} {us / 1000:.0f} ms" for us, name in top[:3]]


def group_history(ctx: Context) -> list[Line]:
    repeats = ctx.sizes.repeats
    # A no-op run is ~0.1 s: on the shared 2-core VM the best of 3 still moved by 30-40 ms
    # between runs of the bench, so it and its baseline get as many tries as --help does.
    short = max(7, repeats)
    noop: dict[int, Measured] = {}
    edit: dict[int, Measured] = {}
    new_one: dict[int, Measured] = {}
    ingest: dict[int, float] = {}
    imports: Measured | None = None
    smallest: Path | None = None  # kept until the largest is measured against it
    for size in ctx.sizes.history:
        say(f"history: seeding {size:,} stored articles")
        config = site.make_site(temp_root(f"history{size}"), articles=size)
        inbox = config.parent / "articles"
        internals.seed_articles(config)
        with os.scandir(inbox) as entries:
            _backdate(entry.path for entry in entries)
        say(f"history: first publish of {size:,}")
        site.syndicate(config, "run", "--no-digest", "--quiet")  # pages, feeds, archive
        site.syndicate(config, "run", "--no-digest", "--quiet")  # records the settled inbox
        site.syndicate(config, "run", "--quiet")  # the digest they are due for: none below
        # As on most runs of a day: an article came after the digest and waits for the
        # next one, which is not due (so each no-op run asks the cadence).
        _backdate(site.write_ready_articles(inbox, range(size + 100_000, size + 100_001)))
        site.syndicate(config, "run", "--no-digest", "--quiet")
        site.syndicate(config, "run", "--no-digest", "--quiet")  # records the settled inbox
        say(f"history: no-op and one-edit runs at {size:,}")
        if size == ctx.sizes.history[-1] and smallest is not None:
            # The rows with a target compare the no-op at this size with the one at the
            # smallest and with importing the card's packages: measured in turns, so that
            # a slower stretch of the shared VM falls on all three alike.
            site.syndicate(smallest, "run", "--quiet")  # its last edits settled meanwhile
            noop[size], noop[ctx.sizes.history[0]], imports = best_of_alternating(
                short,
                _run_argv(config),
                _run_argv(smallest),
                ([sys.executable, "-c", CARD_IMPORTS], {}),
            )
        else:
            noop[size] = site.syndicate_best_of(short, config, "run", "--quiet")
        if size == ctx.sizes.history[-1]:
            imports_ms, slowest = _import_ms(config)
            ctx.notes.append(
                f"no-op run at {size:,}: {imports_ms:,.0f} ms of it is importing modules"
                f" (`python -X importtime`, own times summed; slowest top-level:"
                f" {', '.join(slowest)}); `python -c pass` is in the `--help` row."
            )
        edits = []
        for k in range(repeats):  # an article in the middle of the archive, as an editor does
            path = inbox / f"kabar-{size // 2 + k:06d}.txt"
            path.write_text(path.read_text(encoding="utf-8") + f"\nRalat {k}.\n", "utf-8")
            edits.append(site.syndicate(config, "run", "--quiet"))
        edit[size] = min(edits, key=lambda m: m.seconds)
        added_one = []
        for k in range(repeats):  # the everyday run: one new article (no digest: publishing)
            _backdate(site.write_ready_articles(inbox, range(size + k, size + k + 1)))
            added_one.append(site.syndicate(config, "run", "--no-digest", "--quiet"))
        new_one[size] = min(added_one, key=lambda m: m.seconds)
        if size != ctx.sizes.history[0]:
            k = ctx.sizes.ingest_new
            _backdate(site.write_ready_articles(inbox, range(size + repeats, size + repeats + k)))
            added = site.syndicate(config, "run", "--no-digest", "--quiet")
            again = site.syndicate_best_of(repeats, config, "run", "--no-digest", "--quiet")
            ingest[size] = (added.seconds - again.seconds) / k
        if size == ctx.sizes.history[0]:
            smallest = config
        else:
            site.remove(config.parent)
    if smallest is not None:
        site.remove(smallest.parent)
    if imports is None:  # a single size (--quick variants): measured on its own
        imports = best_of(short, [sys.executable, "-c", CARD_IMPORTS])
    small, mid, big = ctx.sizes.history
    lines = []
    ctx.notes.append(
        "one-new-article run: not a row of #11's table, but the everyday run, and #11 asks"
        " for history-independent runs; measured with `--no-digest` (publishing only), the"
        " fastest of the runs that each add one front-matter article."
    )
    # Targets at the largest size against the smallest: #22's 2× for the no-op and the
    # one-new-article run (it retired #11's 1.5× for the no-op), #11's 1.5× for an edit.
    for label, runs, target in (
        ("no-op run", noop, 2.0),
        ("one-edit run", edit, 1.5),
        ("one-new-article run", new_one, 2.0),
    ):
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
                    f"≤ {target:g}×" if last else "—",
                    ratio <= target if last else None,
                    mb(runs[size]),
                )
            )
    ratio = noop[big].seconds / imports.seconds
    lines.append(
        Line(
            f"no-op run at {big:,} vs importing the card's packages",
            f"{noop[big].seconds * 1000:,.0f} ms",
            f"`{CARD_IMPORTS}`: {imports.seconds * 1000:,.0f} ms",
            ratio,
            "— (a context row: #22 retired its 0.5× target)",
            None,
            f"{mb(noop[big])} (imports {mb(imports)})",
        )
    )
    ratio = ingest[big] / ingest[mid]
    lines.append(
        Line(
            f"ingest per article, {mid:,} → {big:,} stored: a run's added time per new"
            f" article, {ctx.sizes.ingest_new} at once (front matter, no summarizer; publishing"
            " included)",
            f"{ingest[big] * 1000:.1f} ms at {big:,}",
            f"{ingest[mid] * 1000:.1f} ms at {mid:,}",
            ratio,
            "flat: ≤ 1.2× (#11 gives no number)",
            ratio <= 1.2,
        )
    )
    return lines


def _run_argv(config: Path) -> tuple[list[str], dict]:
    """`syndicate run --quiet` on the site of `config`, as best_of_alternating takes it."""
    argv = [*site.syndicate_command(), "run", "--quiet", "--config", str(config)]
    return argv, {"cwd": config.parent}


def group_help(ctx: Context) -> list[Line]:
    say("--help vs python -c pass")
    times = max(7, ctx.sizes.repeats)
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


def group_roster(ctx: Context) -> list[Line]:
    """`subscribers import` of an N-row CSV into a fresh site vs `subscribers export` of the
    list it made (#20: ≤ 10×; it was one transaction per row, 60 s for 20,000). In turns,
    best of `repeats`: each import gets a site of its own, so every row is a new address."""
    n = ctx.sizes.roster
    say(f"subscribers: import of {n:,} rows vs export of the same list")
    work = temp_root("roster")
    roster = work / "list.csv"
    rows = (f"reader{i}@list{i % 97}.example.net,Reader {i}\n" for i in range(n))
    roster.write_text("email,name\n" + "".join(rows), encoding="utf-8")
    imports: list[Measured] = []
    exports: list[Measured] = []
    for k in range(ctx.sizes.repeats):
        config = site.make_site(work / f"site{k}", articles=1)
        site.syndicate(config, "publish", "--quiet")
        imports.append(site.syndicate(config, "subscribers", "import", str(roster)))
        assert f"{n:,} added" in imports[-1].stdout, imports[-1].stdout[-300:]
        exports.append(site.syndicate(config, "subscribers", "export", str(work / "out.csv")))
    ours = min(imports, key=lambda m: m.seconds)
    base = min(exports, key=lambda m: m.seconds)
    ratio = ours.seconds / base.seconds
    return [
        Line(
            f"`subscribers import` of {n:,} CSV rows (one transaction)",
            f"{ours.seconds:.2f} s ({n / ours.seconds:,.0f} rows/s)",
            f"`subscribers export` of the same list: {base.seconds:.2f} s",
            ratio,
            "≤ 10× (#20)",
            ratio <= 10,
            f"{mb(ours)} (export {mb(base)})",
        )
    ]


def group_workers(ctx: Context) -> list[Line]:
    """bench/workers.py in a child (it starts its own PostgreSQL server and relay)."""
    n = ctx.sizes.workers
    say(f"workers: {n:,} messages to a relay taking {RELAY_DELAY * 1000:.0f} ms each")
    script = str(REPO / "bench" / "workers.py")
    child = run_child([sys.executable, script, str(n), "--json", "--delay", str(RELAY_DELAY)])
    found = child.json()
    raw = found["raw"]
    relay = f"a relay taking {RELAY_DELAY * 1000:.0f} ms a message"
    pg1, pg4 = found["PostgreSQL, 1 × deliver"]["rate"], found["PostgreSQL, 4 × deliver"]["rate"]
    lines = [
        Line(
            f"PostgreSQL, one `deliver` worker, SMTP to {relay}, {n:,}",
            f"{pg1:,.0f} msg/s",
            f"raw smtplib, persistent: {raw:,.0f} msg/s",
            pg1 / raw,
            "≥ 0.9×",
            pg1 / raw >= 0.9,
        ),
        Line(
            "  … 4 `deliver` workers",
            f"{pg4:,.0f} msg/s",
            f"one worker: {pg1:,.0f} msg/s",
            pg4 / pg1,
            "≥ 3×",
            pg4 / pg1 >= 3,
        ),
    ]
    for label in ("SQLite, 1 × deliver", "SQLite, 4 × deliver"):
        rate = found[label]["rate"]
        lines.append(
            Line(
                f"  … {label} (for comparison)", f"{rate:,.0f} msg/s", f"raw {raw:,.0f}", rate / raw
            )
        )
    ctx.notes.append(
        "workers: marginal rates, (n − 1) / (time to n − time to 1), each case from fresh"
        " sites; PostgreSQL with fsync on (bench/workers.py)."
    )
    return lines
