"""How well does the HTML reader find the article body? Word-shingle F1 on real pages.

    python bench/html_extraction.py CORPUS_DIR [--worst N]

CORPUS_DIR (not shipped with syndicate) holds `<id>.html.gz` pages and `ground-truth.json`
(`{id: {"articleBody", "url"}}`), from the Scrapinghub article-extraction benchmark. The metric
is that benchmark's evaluate.py, reimplemented: per page, the multiset of 4-word shingles over
`\\w+` tokens of the prediction vs. the truth gives TP/FP/FN, normalised to sum to 1 so long
pages weigh no more than short ones; precision and recall are averaged over pages and F1 is
their harmonic mean. (Like the original, tokens keep their case: `re.IGNORECASE` on `\\w+`
changes nothing.) We also print the mean of per-page F1 and the time per page.

Baseline, measured in the same run: trafilatura.extract with its defaults. The corpus is split
in two fixed halves (by the first hex digit of the page id): half "a" was used to tune the
reader (issue #13), half "b" to confirm; the held-out benchmark pages are the real test: the
benchmark's other 120 pages (its html/ folder and ground-truth.json, without the 61
development ones) in a folder of their own, passed as CORPUS_DIR. Issue #25 measured 0.962
there before and 0.971 after (the README's "How well it reads").

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

from syndicate.readers.errors import ArticleError
from syndicate.readers.hygiene import decode, normalize
from syndicate.readers.markers import load_markers
from syndicate.readers.read import ReadContext

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


def half_of(key: str) -> str:
    """The corpus splits in two fixed halves by id (sha256 hex: uniform): "a" is tuned on,
    "b" confirms. Held-out benchmark pages are the real test."""
    return "a" if int(key[0], 16) < 8 else "b"


def _score(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return p, r, f1(p, r)


def _baseline(markup: str) -> str:
    """trafilatura alone, with its defaults: what the reader adds is measured against this."""
    import trafilatura

    return trafilatura.extract(markup) or ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="the pages and ground-truth.json")
    parser.add_argument("--worst", type=int, default=8, help="list the N worst pages")
    args = parser.parse_args()
    truth = json.loads((args.corpus / "ground-truth.json").read_text(encoding="utf-8"))

    from syndicate.readers.html import read_html

    context = ReadContext(source="bench.html", markers=load_markers())

    def reader(markup: str) -> str:
        return read_html(markup, context).text

    warm_up = "<html><title>Warm up</title><body><p>" + "Loading the models once. " * 20
    reader(warm_up + "</p></body></html>")  # imports + language model load
    _baseline(warm_up + "</p></body></html>")
    pages = {
        key: normalize(decode(gzip.decompress((args.corpus / f"{key}.html.gz").read_bytes())))
        for key in sorted(truth)
    }
    results: dict[str, dict[str, tuple[tuple[float, float, float], float]]] = {}
    for name, extractor in (("trafilatura defaults", _baseline), ("syndicate reader", reader)):
        results[name] = {}
        for key, markup in pages.items():
            started = time.perf_counter()
            try:
                predicted = extractor(markup)
            except ArticleError as exc:
                print(f"{name}: {key[:12]}: {exc}", file=sys.stderr)
                predicted = ""
            elapsed = time.perf_counter() - started
            results[name][key] = (tp_fp_fn(truth[key]["articleBody"], predicted), elapsed)

    base_time = statistics.median(t for _, t in results["trafilatura defaults"].values())
    print(f"{'extractor':22} {'half':>5} {'pages':>5} {'precision':>9} {'recall':>7} {'F1':>7}"
          f" {'ms/page':>8} {'×base':>6}")  # fmt: skip
    for name, per_page in results.items():
        for half in ("a", "b", "all"):
            keys = [k for k in per_page if half in ("all", half_of(k))]
            p, r, f = _score([per_page[k][0] for k in keys])
            ms = statistics.median(per_page[k][1] for k in keys)
            print(f"{name:22} {half:>5} {len(keys):5d} {p:9.3f} {r:7.3f} {f:7.4f}"
                  f" {ms * 1000:8.0f} {ms / base_time:6.2f}")  # fmt: skip
    ours = results["syndicate reader"]
    per_page_f1 = statistics.mean(f1(precision(*c), recall(*c)) for c, _ in ours.values())
    print(f"\nF1 (mean per page)    {per_page_f1:.3f}")
    if args.worst:
        print(f"\nworst {args.worst} pages (syndicate reader)  half precision  recall  F1     url")
        rows = sorted(ours, key=lambda k: f1(precision(*ours[k][0]), recall(*ours[k][0])))
        for key in rows[: args.worst]:
            p, r = precision(*ours[key][0]), recall(*ours[key][0])
            url = truth[key].get("url", "")[:60]
            print(f"{key[:16]}  {half_of(key):>21}    {p:.3f}      {r:.3f}   {f1(p, r):.3f}  {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
