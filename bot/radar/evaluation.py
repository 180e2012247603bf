"""How well the radar groups questions, against a labelled show.

Two measures, both over comments:
- detection: a comment labelled a question and read as one is a true positive;
- grouping (pairwise): among pairs of comments, "same entry" predicted vs labelled. A
  pair the radar puts together that the labels keep apart costs precision; a pair the
  labels put together that the radar splits (or misses) costs recall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Scores:
    detection_precision: float
    detection_recall: float
    grouping_precision: float
    grouping_recall: float
    comments: int
    questions_labelled: int
    questions_found: int


def _ratio(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def _pairs(keys: Sequence[str | None]) -> set[tuple[int, int]]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key:
            by_key[key].append(index)
    return {pair for members in by_key.values() for pair in combinations(members, 2)}


def score(labelled: Sequence[str | None], predicted: Sequence[str | None]) -> Scores:
    """`labelled[i]` / `predicted[i]`: the group of comment i, None if not a question."""
    if len(labelled) != len(predicted):
        raise ValueError("one prediction per labelled comment")
    both = sum(1 for a, b in zip(labelled, predicted, strict=True) if a and b)
    asked = sum(1 for a in labelled if a)
    found = sum(1 for b in predicted if b)
    truth, guess = _pairs(labelled), _pairs(predicted)
    return Scores(
        detection_precision=_ratio(both, found),
        detection_recall=_ratio(both, asked),
        grouping_precision=_ratio(len(truth & guess), len(guess)),
        grouping_recall=_ratio(len(truth & guess), len(truth)),
        comments=len(labelled),
        questions_labelled=asked,
        questions_found=found,
    )
