"""Packing answers into requests under a prompt-token budget; cache keys."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.analysis.batching import MAX_ITEMS, completion_allowance, estimate_tokens, plan_batches
from bot.analysis.cache import cache_key


def test_small_answers_share_a_request() -> None:
    assert plan_batches([10, 10, 10], overhead=100, budget=200) == [[0, 1, 2]]
    assert plan_batches([60, 60, 60], overhead=100, budget=200) == [[0], [1], [2]]
    assert plan_batches([500], overhead=100, budget=200) == [[0]]  # too big: alone


@given(st.lists(st.integers(1, 300), max_size=200), st.integers(0, 200), st.integers(1, 2000))
def test_batches_keep_order_and_budget(sizes: list[int], overhead: int, budget: int) -> None:
    batches = plan_batches(sizes, overhead, budget)
    assert [i for b in batches for i in b] == list(range(len(sizes)))
    for batch in batches:
        assert len(batch) <= MAX_ITEMS
        assert len(batch) == 1 or overhead + sum(sizes[i] for i in batch) <= budget


def test_estimates() -> None:
    assert estimate_tokens("x" * 300) == 101
    assert completion_allowance(["hi"] * 1000) == 16_000


def test_the_cache_key_changes_with_anything_the_judgement_depends_on() -> None:
    base = cache_key("Love it", None, "analyze.v1", "gpt-4.1-mini", "en")
    assert base == cache_key("Love it", None, "analyze.v1", "gpt-4.1-mini", "en")
    assert len(base) == 64
    for changed in (
        cache_key("Love it!", None, "analyze.v1", "gpt-4.1-mini", "en"),
        cache_key("Love it", None, "analyze.v2", "gpt-4.1-mini", "en"),
        cache_key("Love it", None, "analyze.v1", "gpt-4.1", "en"),
        cache_key("Love it", None, "analyze.v1", "gpt-4.1-mini", "de"),
    ):
        assert changed != base
