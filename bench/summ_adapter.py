"""Adapter for the team's ROUGE scorer eval_summ.py (bench/summarize.py --tool), which wants
function(text, lang) -> dict.

eval_summ.py --py bench.summ_adapter:summarize_dict   (run from the repository root)
"""

from __future__ import annotations

from syndicate.text.summary import summarize


def summarize_dict(text: str, lang: str | None = None) -> dict[str, object]:
    result = summarize(text, lang)
    return {"summary": result.summary, "bullets": list(result.bullets)}
