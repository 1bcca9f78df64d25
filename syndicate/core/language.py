"""Offline, deterministic language identification (py3langid) with news-text corrections.

py3langid's model knows ~200 languages, several of which are near-identical in writing:
standard Indonesian news text routinely scores a few percent Malay or Javanese, and short
Indonesian passages can tip over to `ms`. An Indonesian publisher's reader does not want its
articles filed as Malay, so when a Malay-family language wins and Indonesian is a runner-up we
answer `id`. Likewise the model's Wu/Classical-Chinese and Arabic-dialect classes fire on
ordinary written Chinese and Modern Standard Arabic news.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

UNDETERMINED = "und"  # BCP 47 for "could not tell"

# Languages the model confuses with Indonesian on Indonesian text.
_INDONESIAN_LOOKALIKES = frozenset({"ms", "jv", "su", "min", "bjn", "ace", "ban", "mad", "bug"})
# Classes that, in news prose, are almost always the standard written language.
_COLLAPSE = {
    "wuu": "zh",
    "lzh": "zh",
    "gan": "zh",
    "cmn": "zh",
    "ary": "ar",
    "arz": "ar",
    "arb": "ar",
    "apc": "ar",
    "nb": "no",
    "nn": "no",
    "yue": "zh",
    "hbo": "he",
    # Classes with no ISO 639-1/639-2 code: their macrolanguage (BCP 47 allows it), or the
    # ISO 639-2 collective code. Feed readers and the W3C validator know only ISO 639 codes
    # ("fuv" in a feed is an error there), and junk text lands in these small classes.
    "fuv": "ff",
    "gug": "gn",
    "gom": "kok",
    "uzs": "uz",
    "sdh": "ku",
    "ltg": "lv",
    "bcl": "bik",
    "pcm": "cpe",
    "gcf": "cpf",
    "gcr": "cpf",
    "ext": "roa",
    "lij": "roa",
    "vec": "roa",
    "guw": "nic",
}
# Below this many letters the model is guessing; trust the hint instead.
_MIN_LETTERS = 12
# A runner-up within this probability of the winner counts as a real contender.
_RUNNER_UP_MIN = 0.02


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Loading the model takes ~0.8 s, so only runs that actually need it pay, and only once.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def primary_subtag(tag: str) -> str:
    """The language subtag of a tag, lower-cased: "pt-BR" → "pt", "zh_Hant_TW" → "zh"."""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def canonical_tag(tag: str) -> str | None:
    """A BCP 47 tag in its canonical case ("en-us" → "en-US", "zh_hant_tw" → "zh-Hant-TW"),
    or None when `tag` is not shaped like one ("Bahasa Indonesia")."""
    parts = re.split(r"[-_]", tag.strip())
    if not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]) or not all(
        re.fullmatch(r"[A-Za-z0-9]{1,8}", p) for p in parts[1:]
    ):
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region
        else:
            out.append(part.lower())
    return "-".join(out)


def detect_language(text: str, hint: str | None = None) -> str:
    """BCP 47 primary language code of `text` ("id", "en", "ar", "zh"…), or "und".

    `hint` (e.g. the site's language or a page's `lang` attribute) decides when the text is too
    short to judge, and wins a close call: the model's probabilities on a sentence or two are
    noisy, while the hint comes from a person.
    """
    hint_code = primary_subtag(hint.strip()) if hint else None
    sample = text[:20_000]  # plenty for a confident answer; keeps long articles fast
    if _letters(sample) < _MIN_LETTERS:
        return hint_code or UNDETERMINED
    ranked: list[tuple[str, float]] = _identifier().rank(sample)
    probabilities = {_COLLAPSE.get(code, code): 0.0 for code, _ in ranked[:10]}
    for code, prob in ranked[:10]:
        probabilities[_COLLAPSE.get(code, code)] += float(prob)
    best, best_prob = max(probabilities.items(), key=lambda kv: (kv[1], kv[0]))
    if best == "zxx":  # the model's "no linguistic content": numbers, code, symbol soup
        return hint_code or UNDETERMINED

    # A Malay/Javanese site says so through its hint; then the model's answer stands.
    if (
        best in _INDONESIAN_LOOKALIKES
        and hint_code not in _INDONESIAN_LOOKALIKES
        and (probabilities.get("id", 0.0) >= _RUNNER_UP_MIN or hint_code == "id")
    ):
        return "id"
    if hint_code and hint_code != best:
        hint_prob = probabilities.get(hint_code, 0.0)
        if hint_prob >= 0.25 and best_prob < 0.75:
            return hint_code
    return best
