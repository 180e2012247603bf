"""Which language a customer wrote in, offline, for the languages postlive ships.

The script settles most cases for free: kana is Japanese, Han without kana Chinese,
Thai script Thai, Arabic script Arabic (of the languages we ship). Only Latin-script
text needs a statistical detector (lingua) to tell English, Spanish, Portuguese, French,
German, Indonesian and Vietnamese apart. Building lingua with those seven models
preloaded takes ~1 s (lazy loading is slower overall), so it is built once per process;
after that 10,000 comments take well under a second on two cores.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

SHIPPED = ("en", "es", "pt", "fr", "de", "ja", "id", "th", "vi", "ar", "zh")
LATIN = ("en", "es", "pt", "fr", "de", "id", "vi")
#: Below this, a detection is a guess (short texts: "ok", "Passt.").
SURE = 0.5
#: Languages at least this likely are also read for keywords (Spanish vs Portuguese).
PLAUSIBLE = 0.15


@dataclass(frozen=True)
class Detection:
    #: ISO 639-1 code, or None when the text holds no words (emoji, digits).
    language: str | None
    confidence: float
    #: The languages worth reading the text in: the likely ones, the customer's locale and
    #: English (customers mix in English words: "size", "live", "ok").
    candidates: frozenset[str]


@functools.cache
def detector() -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in LATIN]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_preloaded_language_models().build()


def primary(tag: str | None) -> str | None:
    """'pt-BR' -> 'pt', 'zh_CN' -> 'zh'."""
    if not tag:
        return None
    return tag.replace("_", "-").split("-")[0].lower() or None


_SCRIPTS = (
    ("kana", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")),
    ("han", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
)
_NOT_LATIN = re.compile("|".join(p.pattern for _, p in _SCRIPTS))
_LETTER = re.compile(r"[^\W\d_]")


def script_of(text: str) -> tuple[str | None, int]:
    """The main script's language ("ja", "zh", "th", "ar", "ko") or "latin" (any other
    letters), and how many letters the text has; (None, 0) for no letters at all."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return None, 0
    if not _NOT_LATIN.search(text):
        return "latin", letters  # the common case, decided in one scan
    counts = Counter({name: len(pattern.findall(text)) for name, pattern in _SCRIPTS})
    counts["latin"] = letters - sum(counts.values())
    if counts["kana"]:
        counts["ja"] = counts.pop("kana") + counts.pop("han")
    else:
        counts["zh"] = counts.pop("han")
    return counts.most_common(1)[0][0], letters


def detect_many(texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[Detection]:
    """Detect every text (lingua spreads the Latin-script ones over the cores).

    `hints`: the customer's locale per text, if known; it wins over a close second guess,
    since "Ok shop ơi" is too short for any detector but the conversation was in Vietnamese.
    """
    hints = list(hints or [None] * len(texts))
    found: list[Detection | None] = [None] * len(texts)
    latin: list[int] = []
    for index, text in enumerate(texts):
        script, letters = script_of(text)
        hint = primary(hints[index])
        if script == "latin":
            latin.append(index)
        elif script in SHIPPED:
            found[index] = _detection(script, 0.95, hint)
        elif script is None:
            found[index] = Detection(None, 0.0, frozenset({"en"} | _shipped(hint)))
        else:  # a script we do not ship (Korean, Cyrillic...): say so, read it as nothing
            found[index] = Detection(None, 0.0, frozenset({"en"} | _shipped(hint)))
    if latin:
        rows = detector().compute_language_confidence_values_in_parallel([texts[i] for i in latin])
        for index, row in zip(latin, rows, strict=True):
            found[index] = _pick(row, primary(hints[index]))
    return [d for d in found if d is not None]


def _shipped(hint: str | None) -> set[str]:
    return {hint} if hint in SHIPPED else set()


def _detection(language: str, confidence: float, hint: str | None) -> Detection:
    return Detection(language, confidence, frozenset({language, "en"} | _shipped(hint)))


def _pick(row: Sequence[object], hint: str | None) -> Detection:
    scores = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in row}  # type: ignore[attr-defined]
    best = max(scores, key=lambda code: scores[code])
    if scores[best] <= 0:
        return Detection(None, 0.0, frozenset({"en"} | _shipped(hint)))
    chosen = best
    # Trust the conversation's language when the text does not clearly say otherwise.
    if (
        hint in scores
        and hint != best
        and (scores[best] < SURE or scores[hint] >= 0.5 * scores[best])
    ):
        chosen = hint
    candidates = {code for code, score in scores.items() if score >= PLAUSIBLE}
    candidates |= {chosen, "en"} | _shipped(hint)
    return Detection(chosen, scores[chosen], frozenset(candidates))
