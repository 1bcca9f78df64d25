"""How fast and how lean is the refusal of hostile front matter? Issue #13.

    python bench/hostile_input.py

Each case runs in a fresh interpreter (so peak memory is its own): read_article on the file,
time from the call to the answer, and the process's peak RSS. The baseline is an ordinary
Markdown file with YAML front matter of about the same size, read in the same way in the same
run (the machine is shared; compare ratios, not absolute numbers). Before issue #13 the alias
bomb took 130 s and 781 MB and the deep nesting ended in RecursionError.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_readers_hostile import BODY, alias_bomb

CASES = {
    "baseline: ordinary front matter": "---\ntitle: Ordinary\nauthor: {name: Jane Doe, bio: "
    + "Jane writes. " * 25
    + "}\ntags: [a, b, c]\n---\n"
    + BODY,
    "alias bomb in author (482 B)": alias_bomb(),
    "YAML nested 900 deep": "---\nauthor: " + "[" * 900 + "]" * 900 + "\n---\n" + BODY,
    "TOML nested 900 deep": "+++\nauthor = " + "[" * 900 + "]" * 900 + "\n+++\n" + BODY,
    "stray NULs in plain text": "A damaged export\n\nThe first\x00 paragraph is text.\n\n" + BODY,
}

PROBE = """
import json, resource, sys, time
from pathlib import Path
import yaml  # imported before the clock starts, as in a run that already read a Markdown file
from syndicate.readers.errors import ArticleError
from syndicate.readers.read import read_article
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    read_article(path, inbox=path.parent)
    outcome = "read"
except ArticleError as exc:
    outcome = "refused: " + str(exc)[:60]
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak, "outcome": outcome}))
"""


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in CASES.items():
            suffix = ".txt" if "plain text" in name else ".md"
            path = Path(tmp) / f"case{len(rows)}{suffix}"
            path.write_text(text, encoding="utf-8")
            out = subprocess.run(
                [sys.executable, "-c", PROBE, str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            rows.append((name, json.loads(out.stdout)))
    base = rows[0][1]
    print(f"{'case':34} {'ms':>8} {'×base':>6} {'peak MB':>8} {'×base':>6}  outcome")
    for name, r in rows:
        print(
            f"{name:34} {r['seconds'] * 1000:8.1f} {r['seconds'] / base['seconds']:6.2f} "
            f"{r['peak_mb']:8.1f} {r['peak_mb'] / base['peak_mb']:6.2f}  {r['outcome']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
