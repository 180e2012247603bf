"""The labelled answers (tests/data/labelled_answers.jsonl) and the offline analyzer's
accuracy on them, as a regression guard. benchmarks/analysis.py prints the figures.

The "dev" split was written alongside the lexicon (its accuracy is optimistic); the
"holdout" split was written afterwards and the lexicon was never tuned on it.
"""

from __future__ import annotations

import json
from collections import Counter

from bot.analysis.interface import Category, Item, Sentiment
from bot.analysis.offline import OfflineAnalyzer
from tests.conftest import DATA

ROWS = [json.loads(line) for line in (DATA / "labelled_answers.jsonl").open(encoding="utf-8")]


def test_the_labelled_set_is_big_and_multilingual() -> None:
    languages = Counter(r["language"] for r in ROWS)
    assert len(ROWS) >= 150 and len({r["id"] for r in ROWS}) == len(ROWS)
    assert len(languages) >= 8 and min(languages.values()) >= 10
    assert {r["category"] for r in ROWS} == {c.value for c in Category}
    assert {r["sentiment"] for r in ROWS} == {s.value for s in Sentiment}
    assert {r["split"] for r in ROWS} == {"dev", "holdout"}
    assert all(r["rating"] is None or 1 <= r["rating"] <= 5 for r in ROWS)


def accuracy(split: str) -> tuple[float, float]:
    rows = [r for r in ROWS if r["split"] == split]
    results = OfflineAnalyzer().analyze([Item(r["text"], rating=r["rating"]) for r in rows]).results
    category = sum(r["category"] == res.category for r, res in zip(rows, results, strict=True))  # type: ignore[union-attr]
    sentiment = sum(r["sentiment"] == res.sentiment for r, res in zip(rows, results, strict=True))  # type: ignore[union-attr]
    return category / len(rows), sentiment / len(rows)


def test_offline_accuracy_does_not_regress() -> None:
    dev_category, dev_sentiment = accuracy("dev")
    held_category, held_sentiment = accuracy("holdout")
    assert dev_category >= 0.9 and dev_sentiment >= 0.85
    assert held_category >= 0.55 and held_sentiment >= 0.85
