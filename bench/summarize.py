"""Benchmark `syndicate.summarize` against the lead-3 baseline: ROUGE, speed, load time.

    PYTHONPATH=. python bench/summarize.py                      # defaults: ../shared/...
    PYTHONPATH=. python bench/summarize.py --data FILE.jsonl --passes 5 --official

ROUGE and the lead-3 baseline come from the shared scorer (`eval_summ.py`, imported from its
path, not copied), so both rows use the same tokenizer and sentence splitter as the official
table; `--official` also runs the scorer itself through bench/summ_adapter.py as a cross-check.
Timing is in-process wall time per article (median over `--passes` passes, so a stray GC or
scheduler hiccup does not land in p95). Load time is measured in a fresh interpreter: import
plus the first call, which loads the stop words.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
# ../shared next to the checkout (the main tree), or two levels up (a worktree in wt/NAME).
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT.parent / "shared",
)
DEFAULT_TOOL = SHARED / "tools" / "summeval" / "eval_summ.py"
DEFAULT_DATA = SHARED / "corpus" / "summaries" / "id-indosum-dev.jsonl"

# Targets from issue #4.
MEDIAN_MS, P95_MS, LOAD_S = 5.0, 20.0, 0.5


def load_tool(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_summ", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def time_system(
    fn: Callable[[str, str | None], str], records: list[dict], passes: int
) -> tuple[list[str], list[float]]:
    """Outputs of the first pass, and per-article seconds (median over passes)."""
    outputs: list[str] = []
    runs: list[list[float]] = [[] for _ in records]
    for p in range(passes):
        for i, rec in enumerate(records):
            t0 = time.perf_counter()
            out = fn(rec["text"], rec.get("lang"))
            runs[i].append(time.perf_counter() - t0)
            if p == 0:
                outputs.append(out)
    return outputs, [statistics.median(r) for r in runs]


def load_time() -> float:
    """Seconds for import + first summarize() in a fresh interpreter (lang not given)."""
    code = (
        "import time; t0 = time.perf_counter(); from syndicate import summarize; "
        "summarize('Harga beras naik lagi pekan ini di pasar. Pedagang mengeluh sepi pembeli.'); "
        "print(time.perf_counter() - t0)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        runs.append(float(out.stdout.strip()))
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, action="append", help=f"default: {DEFAULT_DATA}")
    ap.add_argument("--tool", type=Path, default=DEFAULT_TOOL, help="path to eval_summ.py")
    ap.add_argument("--passes", type=int, default=5, help="timing passes (median per article)")
    ap.add_argument("--max-words", type=int, default=70)
    ap.add_argument("--official", action="store_true", help="also run eval_summ.py itself")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from syndicate.text import summarize

    tool = load_tool(args.tool)
    ok = True

    def ours(text: str, lang: str | None) -> str:
        return summarize(text, lang, max_words=args.max_words).summary

    def lead3(text: str, lang: str | None) -> str:
        return tool.lead_k(text, lang)["summary"]

    for data in args.data or [DEFAULT_DATA]:
        records = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
        langs = ",".join(sorted({r.get("lang", "?") for r in records}))
        ours(records[0]["text"], records[0].get("lang"))  # warm: stop words are loaded once
        rows = {}
        for name, fn in (("syndicate", ours), ("lead-3", lead3)):
            outs, secs = time_system(fn, records, args.passes)
            scores = [
                tool.rouge(r["summary"], o, r.get("lang"))
                for r, o in zip(records, outs, strict=True)
            ]
            rows[name] = {
                "r1": statistics.fmean(s["rouge1"] for s in scores),
                "r2": statistics.fmean(s["rouge2"] for s in scores),
                "rl": statistics.fmean(s["rougeL"] for s in scores),
                "words": statistics.median(len(o.split()) for o in outs),
                "sents": statistics.median(len(tool.split_sentences(o)) for o in outs),
                "med": 1000 * statistics.median(secs),
                "p95": 1000 * percentile(secs, 0.95),
                "max": 1000 * max(secs),
                "total": sum(secs),
            }
        print(f"\n{data.name}: {len(records)} articles, lang {langs}, max_words={args.max_words}")
        print(f"{'system':10s} {'R1':>6s} {'R2':>6s} {'RL':>6s} {'words':>6s} {'sents':>6s}")
        for name, r in rows.items():
            print(
                f"{name:10s} {r['r1']:6.2f} {r['r2']:6.2f} {r['rl']:6.2f}"
                f" {r['words']:6.0f} {r['sents']:6.0f}"
            )
        a, b = rows["syndicate"], rows["lead-3"]
        deltas = " ".join(f"{a[k] - b[k]:+6.2f}" for k in ("r1", "r2", "rl"))
        print(f"{'delta':10s} {deltas}")
        results = [summarize(r["text"], r.get("lang"), max_words=args.max_words) for r in records]
        fmt = sum(
            1
            for res in results
            if 2 <= len(tool.split_sentences(res.summary)) <= 3 and 3 <= len(res.bullets) <= 5
        )
        bullet_words = statistics.median(len(b.split()) for res in results for b in res.bullets)
        print(
            f"format: {100 * fmt / len(records):.1f}% with 2-3 summary sentences and 3-5 bullets;"
            f" median bullet words {bullet_words:.0f}"
        )
        beats = all(a[k] >= b[k] for k in ("r1", "r2", "rl"))
        ok &= beats
        print(f"ROUGE-1/2/L all >= lead-3: {'yes' if beats else 'NO'}")
        print(f"\n{'system':10s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}")
        for name, r in rows.items():
            print(f"{name:10s} {r['med']:10.3f} {r['p95']:8.3f} {r['max']:8.3f}")
        print(
            f"speed ratio syndicate/lead-3: median x{a['med'] / b['med']:.1f},"
            f" total x{a['total'] / b['total']:.1f}"
        )
        fast = a["med"] <= MEDIAN_MS and a["p95"] <= P95_MS
        ok &= fast
        print(f"median <= {MEDIAN_MS} ms and p95 <= {P95_MS} ms: {'yes' if fast else 'NO'}")
        if args.official:
            print("\nofficial scorer (eval_summ.py --py bench.summ_adapter:summarize_dict):")
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            cmd = [sys.executable, str(args.tool), "--data", str(data)]
            cmd += ["--py", "bench.summ_adapter:summarize_dict"]
            subprocess.run(cmd, cwd=ROOT, env=env, check=True)

    load = load_time()
    ok &= load <= LOAD_S
    print(
        f"\none-time load (fresh process, import + first call): {load:.3f} s (target <= {LOAD_S})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
