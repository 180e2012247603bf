"""When a machine's judgement is doubtful, a human looks before it reaches the digest.

Doubtful means: the words and the customer's own rating disagree (5 stars, angry text:
a misclick, sarcasm, or a misreading); the analyzer is unsure (confidence < 0.5); or the
translation and the original disagree in sentiment (the "complaint read as compliment"
trap: the model judged its English translation as positive while the original's own
words are negative, checked with the offline lexicon, which reads the original
language). Such answers get review_status "pending" and a reason the reviewer reads.
"""

from __future__ import annotations

from bot.analysis.interface import Item, Result, Sentiment
from bot.analysis.offline import OfflineAnalyzer

LOW_CONFIDENCE = 0.5
#: Lexicon evidence needed before the original's sentiment overrules a model's reading.
MIN_EVIDENCE = 1.0
_OPPOSITE = {Sentiment.POSITIVE: Sentiment.NEGATIVE, Sentiment.NEGATIVE: Sentiment.POSITIVE}


def review_reasons(item: Item, result: Result, lexicon_reader: OfflineAnalyzer) -> list[str]:
    reasons = list(result.doubts)
    words = result.text_sentiment
    if item.rating is not None and words is not None:
        if item.rating >= 4 and words == Sentiment.NEGATIVE:
            reasons.append(f"rated {item.rating}/5 but the text reads negative")
        elif item.rating <= 2 and words == Sentiment.POSITIVE:
            reasons.append(f"rated {item.rating}/5 but the text reads positive")
    if result.confidence < LOW_CONFIDENCE and not result.doubts:
        reasons.append(f"low confidence ({result.confidence:.2f})")
    if result.analyzer != lexicon_reader.name and item.text and words is not None:
        original, evidence = lexicon_reader.text_sentiment(item.text, result.language)
        if evidence >= MIN_EVIDENCE and _OPPOSITE.get(words) == original:
            reasons.append(
                f"the model read it as {words}, the original's own words read {original}"
            )
    return reasons


def review_reason(item: Item, result: Result, lexicon_reader: OfflineAnalyzer) -> str | None:
    """One line for Answer.review_reason (<= 200 characters), or None: no review needed."""
    reasons = review_reasons(item, result, lexicon_reader)
    if not reasons:
        return None
    line = "; ".join(dict.fromkeys(reasons))
    return line if len(line) <= 200 else line[:199] + "…"
