"""The review rules: doubtful judgements wait for a human."""

from __future__ import annotations

from bot.analysis.interface import Category, Item, Result, Sentiment, Urgency
from bot.analysis.offline import OfflineAnalyzer
from bot.analysis.review import review_reason

READER = OfflineAnalyzer()


def model_result(sentiment: Sentiment, confidence: float = 0.9, language: str = "pt") -> Result:
    return Result(
        language=language,
        translation="(translation)",
        category=Category.PRAISE if sentiment == Sentiment.POSITIVE else Category.COMPLAINT,
        sentiment=sentiment,
        sentiment_score=0.8 if sentiment == Sentiment.POSITIVE else -0.8,
        themes=(),
        urgency=Urgency.NONE,
        confidence=confidence,
        analyzer="openai:gpt-4.1-mini:analyze.v1",
        text_sentiment=sentiment,
    )


def test_a_confident_consistent_judgement_needs_no_review() -> None:
    item = Item("Amei, perfeito!", rating=5)
    assert review_reason(item, model_result(Sentiment.POSITIVE), READER) is None


def test_rating_and_words_that_disagree() -> None:
    assert review_reason(Item("Péssimo", rating=4), model_result(Sentiment.NEGATIVE), READER) == (
        "rated 4/5 but the text reads negative"
    )
    assert review_reason(Item("Amei", rating=1), model_result(Sentiment.POSITIVE), READER) == (
        "rated 1/5 but the text reads positive"
    )


def test_low_confidence() -> None:
    reason = review_reason(Item("hmm"), model_result(Sentiment.NEUTRAL, 0.42), READER)
    assert reason == "low confidence (0.42)"


def test_a_complaint_read_as_a_compliment() -> None:
    """The model judged its translation positive; the original's words are negative."""
    item = Item("Terrível, veio quebrado e ninguém responde.", rating=None)
    reason = review_reason(item, model_result(Sentiment.POSITIVE), READER)
    assert reason == "the model read it as positive, the original's own words read negative"


def test_the_offline_analyzer_is_not_checked_against_itself() -> None:
    result = model_result(Sentiment.POSITIVE)
    result.analyzer = "offline"
    assert review_reason(Item("Terrível, veio quebrado."), result, READER) is None


def test_reasons_fit_the_column() -> None:
    result = model_result(Sentiment.NEGATIVE, 0.1)
    result.doubts = tuple(f"doubt number {n} " * 5 for n in range(5))
    reason = review_reason(Item("Péssimo", rating=5), result, READER)
    assert reason is not None and len(reason) <= 200 and reason.endswith("…")
