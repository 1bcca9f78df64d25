"""Issue #11's measurement table, every row against its baseline measured in the same run.

    python bench/run.py [--quick] [--only GROUP[,GROUP…]] [--with workers]

Groups (default: all but `workers`; ~7 min on the 2-core developer machine, `history` and
`help` run first; --quick: a few minutes with smaller N, a smoke check whose ratios are
noisy, the ingest row's most):
  maildir        Maildir delivery to 10,000 subscribers vs rss2email (in its own venv) and
                 the durable floors (fsync + link per file, 8 threads, one syncfs per batch)
  maildir-large  the same to 100,000: peak RSS, and time per message vs the 10,000 figure
  smtp           1,000 messages to a loopback sink, and 500 to a relay taking 10 ms each,
                 over 1 and 4 connections, vs raw smtplib on one persistent connection
  copy           building one subscriber's copy vs bytes.replace in prebuilt bytes
  history        no-op and one-edit runs at 50 / 1,000 / 10,000 stored articles, the no-op
                 vs importing the card's packages, ingest cost per article 1,000 → 10,000
                 (the no-op at 10,000, at 50 and the imports are measured in turns)
  help           `syndicate --help` vs `python -c pass`
  cur            Maildir delivery with 50,000 files in cur/ vs cur/ empty
  subscribers    `subscribers import` of a 20,000-row CSV vs `subscribers export` of it
  newsletters    Maildir delivery to 100,000 subscribers over 3 newsletters × 4 languages vs
                 the same 100,000 on one digest: renderings, time per message, peak RSS
  workers        `deliver` workers (1 and 4, SQLite and PostgreSQL) sending to a relay
                 taking 10 ms a message vs raw smtplib (bench/workers.py; starts its own
                 PostgreSQL server)

syndicate is driven as a user drives it: a site folder with config.toml and an inbox, and
`syndicate run` as a command (its wall time, CPU time and peak RSS are the child's own).
Subscribers and stored articles are seeded through the store's functions (bench/internals.py).
Prints a Markdown table; the README keeps the latest. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import groups_mail, groups_newsletters, groups_runs, site
from bench.groups import CREATED, FULL, QUICK, Context, Line, sample_message, say, temp_root
from bench.measure import own_peak_mb

GROUPS: dict[str, Callable[[Context], list[Line]]] = {
    "maildir": groups_mail.group_maildir,
    "maildir-large": groups_mail.group_maildir_large,
    "smtp": groups_mail.group_smtp,
    "copy": groups_mail.group_copy,
    "history": groups_runs.group_history,
    "help": groups_runs.group_help,
    "cur": groups_mail.group_cur,
    "subscribers": groups_runs.group_roster,
    "newsletters": groups_newsletters.group_newsletters,
    "workers": groups_runs.group_workers,
}
OPTIONAL: set[str] = set()
RUN_FIRST = ("history", "help", "subscribers")  # measured before the delivery groups (see main)


def table(lines: list[Line]) -> str:
    rows = [
        "| work | syndicate | baseline (same run) | ratio | target | ok | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for line in lines:
        ratio = "" if line.ratio is None else f"{line.ratio:,.2f}×"
        ok = {True: "pass", False: "**FAIL**", None: ""}[line.ok]
        cells = (line.work, line.ours, line.baseline, ratio, line.target, ok, line.rss)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def compile_syndicate() -> None:
    """Write syndicate's bytecode before anything is timed. `pip install .` does this for a
    user; an editable checkout under PYTHONDONTWRITEBYTECODE (set on the developer machine)
    would otherwise compile every module on every `syndicate run` — ~30 ms charged to
    syndicate and not to the baselines, whose packages pip compiled."""
    import compileall

    import syndicate

    compileall.compile_dir(Path(syndicate.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small N: a smoke check")
    parser.add_argument("--only", default="", metavar="GROUP[,GROUP…]", help=", ".join(GROUPS))
    parser.add_argument(
        "--with", dest="extra", default="", metavar="GROUP", help="add optional groups: workers"
    )
    args = parser.parse_args()
    chosen = [g for g in args.only.split(",") if g] or [g for g in GROUPS if g not in OPTIONAL]
    chosen += [g for g in args.extra.split(",") if g and g not in chosen]
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    compile_syndicate()
    work = temp_root("run")
    started = time.perf_counter()
    load_before = load()
    try:
        say("sample digest message")
        sample = sample_message(work)
        ctx = Context(
            sizes=QUICK if args.quick else FULL,
            sample=sample,
            sample_size=sample.stat().st_size,
            results={},
            notes=[],
        )
        found: dict[str, list[Line]] = {}
        # The short runs first: after the delivery groups (gigabytes written, then deleted)
        # the no-op run at 10,000 read 127-141 ms in three full runs against 104-112 ms when
        # run first or after any one of them alone; the cause is not found (not writeback:
        # the os.sync() below did not change it). The table keeps the groups' order.
        for name in sorted(chosen, key=lambda n: (n not in RUN_FIRST, list(GROUPS).index(n))):
            os.sync()  # each group starts with the disk's writeback done, baselines alike
            try:
                found[name] = GROUPS[name](ctx)
            except Exception as exc:  # one broken group must not cost the others' numbers
                traceback.print_exc()
                found[name] = [Line(name, f"error: {str(exc).splitlines()[0][:120]}", "", ok=False)]
            finally:
                for root in CREATED[1:]:
                    site.remove(root)
                del CREATED[1:]
                say(f"{name} done; load average {load()}")
    finally:
        for root in CREATED:
            site.remove(root)
    print(
        f"`python bench/run.py{' --quick' if args.quick else ''}` · {date.today()} ·"
        f" {os.cpu_count()} CPUs · Python {platform.python_version()} ·"
        f" digest message {ctx.sample_size / 1000:.0f} KB ·"
        f" {time.perf_counter() - started:,.0f} s · load average (1/5/15 min)"
        f" {load_before} at the start, {load()} at the end · the bench's own peak RSS (a floor"
        f" under every figure below) {own_peak_mb():.0f} MB\n"
    )
    print(table([line for name in GROUPS if name in found for line in found[name]]))
    for note in ctx.notes:
        print(f"\n- {note}", end="")
    print()


if __name__ == "__main__":
    main()
