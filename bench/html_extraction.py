"""How well does the HTML reader find the article body? Word-shingle F1 on real pages.

    python bench/html_extraction.py [CORPUS_DIR] [--worst N]

CORPUS_DIR (default ../shared/corpus/html) holds `<id>.html.gz` pages and `ground-truth.json`
(`{id: {"articleBody", "url"}}`), from the Scrapinghub article-extraction benchmark. The metric
is that benchmark's evaluate.py, reimplemented: per page, the multiset of 4-word shingles over
`\\w+` tokens of the prediction vs. the truth gives TP/FP/FN, normalised to sum to 1 so long
pages weigh no more than short ones; precision and recall are averaged over pages and F1 is
their harmonic mean. (Like the original, tokens keep their case: `re.IGNORECASE` on `\\w+`
changes nothing; we also print the score over lower-cased tokens.) We also print the mean of
per-page F1 and the reader's time per page.

Each page goes through the same path as an inbox file (bytes → decode → read_article's HTML
reader), so the number measures what users get, not trafilatura alone.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from syndicate.readers import ArticleError, ReadContext
from syndicate.readers.hygiene import decode, normalize
from syndicate.readers.markers import load_markers

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4, *, lower: bool = False) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall((text or "").lower() if lower else (text or ""))
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def tp_fp_fn(truth: str, prediction: str, *, lower: bool = False) -> tuple[float, float, float]:
    true, pred = shingles(truth, lower=lower), shingles(prediction, lower=lower)
    tp = fp = fn = 0.0
    for key in true.keys() | pred.keys():
        t, p = true.get(key, 0), pred.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=Path("../shared/corpus/html"))
    parser.add_argument("--worst", type=int, default=8, help="list the N worst pages")
    args = parser.parse_args()
    truth = json.loads((args.corpus / "ground-truth.json").read_text(encoding="utf-8"))

    from syndicate.readers.html import read_html

    context = ReadContext(source="bench.html", markers=load_markers())
    rows: list[tuple[str, float, float, float, float]] = []
    counts: list[tuple[float, float, float]] = []
    lowered: list[tuple[float, float, float]] = []
    timings: list[float] = []
    warm_up = "<html><title>Warm up</title><body><p>" + "Loading the models once. " * 20
    read_html(warm_up + "</p></body></html>", context)  # import + language model load
    for key in sorted(truth):
        data = gzip.decompress((args.corpus / f"{key}.html.gz").read_bytes())
        started = time.perf_counter()
        try:
            predicted = read_html(normalize(decode(data)), context).text
        except ArticleError as exc:
            print(f"{key[:12]}: {exc}", file=sys.stderr)
            predicted = ""
        timings.append(time.perf_counter() - started)
        counts.append(tp_fp_fn(truth[key]["articleBody"], predicted))
        lowered.append(tp_fp_fn(truth[key]["articleBody"], predicted, lower=True))
        p, r = precision(*counts[-1]), recall(*counts[-1])
        rows.append((key, p, r, f1(p, r), timings[-1]))

    mean_p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    mean_r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    print(f"pages                 {len(rows)}")
    print(f"precision (mean)      {mean_p:.3f}")
    print(f"recall (mean)         {mean_r:.3f}")
    print(f"F1 (benchmark)        {f1(mean_p, mean_r):.3f}")
    print(f"F1 (mean per page)    {statistics.mean(r[3] for r in rows):.3f}")
    low_p = statistics.mean(precision(*c) for c in lowered if c[0] + c[1] > 0)
    low_r = statistics.mean(recall(*c) for c in lowered if c[0] + c[2] > 0)
    print(f"F1 (lower-cased)      {f1(low_p, low_r):.3f}")
    print(f"time per page         median {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms")  # fmt: skip
    if args.worst:
        print(f"\nworst {args.worst} pages       precision  recall  F1     ms  url")
        for key, p, r, f, t in sorted(rows, key=lambda row: row[3])[: args.worst]:
            url = truth[key].get("url", "")[:60]
            print(f"{key[:16]}      {p:.3f}      {r:.3f}   {f:.3f} {t * 1000:4.0f}  {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
