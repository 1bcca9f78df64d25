"""Issue #11's measurement table, every row against its baseline measured in the same run.

    python bench/run.py [--quick] [--only GROUP[,GROUP…]]

Groups (default: all, 25-35 min on the 2-core developer machine; --quick: ~3 min with
smaller N, a smoke check whose ratios are noisy, the ingest row's most of all):
  maildir        Maildir delivery to 10,000 subscribers vs rss2email and the durable floors
  maildir-large  the same to 100,000: peak RSS, and time per message vs the 10,000 figure
  smtp           1,000 messages to a loopback sink vs raw smtplib on one persistent connection
  copy           building one subscriber's copy vs bytes.replace in prebuilt bytes
  history        no-op and one-edit runs at 50 / 1,000 / 10,000 stored articles; ingest cost
  help           `syndicate --help` vs `python -c pass`
  cur            Maildir delivery with 50,000 files in cur/ vs cur/ empty

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
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import internals, site
from bench.groups import (
    CREATED,
    FULL,
    GROUPS,
    QUICK,
    Context,
    Line,
    sample_message,
    say,
    temp_root,
)

# ---------------------------------------------------------------- table


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small N: a smoke check")
    parser.add_argument("--only", default="", metavar="GROUP[,GROUP…]", help=", ".join(GROUPS))
    args = parser.parse_args()
    chosen = [g for g in args.only.split(",") if g] or list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    work = temp_root("run")
    started = time.perf_counter()
    try:
        say("sample digest message")
        sample = sample_message(work)
        ctx = Context(
            sizes=QUICK if args.quick else FULL,
            digest_args=internals.digest_now_args(),
            sample=sample,
            sample_size=sample.stat().st_size,
            results={},
            notes=[],
        )
        lines: list[Line] = []
        for name in chosen:
            try:
                lines += GROUPS[name](ctx)
            except Exception as exc:  # one broken group must not cost the others' numbers
                traceback.print_exc()
                lines.append(Line(name, f"error: {str(exc).splitlines()[0][:120]}", "", ok=False))
            finally:
                for root in CREATED[1:]:
                    site.remove(root)
                del CREATED[1:]
    finally:
        for root in CREATED:
            site.remove(root)
    print(
        f"syndicate bench/run.py{' --quick' if args.quick else ''} · {date.today()} ·"
        f" {os.cpu_count()} CPUs · Python {platform.python_version()} ·"
        f" digest message {ctx.sample_size / 1000:.0f} KB ·"
        f" {time.perf_counter() - started:,.0f} s\n"
    )
    print(table(lines))
    for note in ctx.notes:
        print(f"\n- {note}", end="")
    print()


if __name__ == "__main__":
    main()
