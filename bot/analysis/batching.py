"""Packing many answers into few requests under a prompt-token budget.

One request per answer repeats the system prompt and the JSON schema every time: for
short answers that overhead is most of the bill. Packing answers up to
ANALYSIS_BATCH_TOKENS prompt tokens per request pays it once per batch (benchmarks/
analysis.py measures the difference).
"""

from __future__ import annotations

from collections.abc import Sequence

#: Characters per token, roughly, across scripts: English is ~4, CJK and Thai ~1-2, so 3
#: errs on the side of smaller batches.
CHARS_PER_TOKEN = 3
#: Answers per request at most: the reply must fit the output limit, and one failed
#: request should not take hundreds of answers with it.
MAX_ITEMS = 40


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def plan_batches(
    sizes: Sequence[int], overhead: int, budget: int, max_items: int = MAX_ITEMS
) -> list[list[int]]:
    """Group item indexes, in order, so each group's overhead + sizes stays within budget.
    An item larger than the budget on its own still gets a batch of its own."""
    batches: list[list[int]] = []
    current: list[int] = []
    used = overhead
    for index, size in enumerate(sizes):
        if current and (used + size > budget or len(current) >= max_items):
            batches.append(current)
            current, used = [], overhead
        current.append(index)
        used += size
    if current:
        batches.append(current)
    return batches


def completion_allowance(texts: Sequence[str]) -> int:
    """max_completion_tokens for a batch: room for each answer's judgement and its
    translation (translations can be longer than the original, e.g. Chinese -> English)."""
    return min(16_000, 300 + sum(120 + 2 * estimate_tokens(t) for t in texts))
