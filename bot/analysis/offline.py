"""The offline analyzer: useful with no API key, and honest about what it cannot do.

Language by lingua; themes, categories and sentiment by the multilingual lexicon
(`lexicon.yaml`) plus emoji and the customer's own rating. It does not translate (a fake
translation would be worse than the original: the digest shows the original marked
untranslated), cannot look at photos or listen to voice notes (those get a theme saying
they arrived, confidence 0 and a human review), and its confidence never claims more
than keyword rules deserve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.analysis.interface import (
    Analyzer,
    Category,
    Item,
    Outcome,
    Progress,
    Result,
    Sentiment,
    ThemeRef,
    Urgency,
    sentiment_label,
)
from bot.analysis.language import Detection, detect_many
from bot.analysis.lexicon import Lexicon, Scan, lexicon, normalize
from bot.analysis.questions import read_question

#: Keyword rules never deserve more: leave room for a model and for human judgement.
MAX_CONFIDENCE = 0.75
_CHUNK = 500
#: A letter of any script: "666666", "８８８８" and emoji walls have none.
_LETTER = re.compile(r"[^\W\d_]")
#: Themes a suggestion for the next live is usually about.
_SHOW_IDEAS = frozenset({"live_show_timing", "live_presentation", "more_options", "size_info"})
#: Informational answers: a question is neutral whatever the customer's rating.
_INFORMATIONAL = (Category.PRODUCT_QUESTION, Category.SUGGESTION)
_MEDIA_THEMES = {"image": "photo_received", "audio": "voice_received"}
_MEDIA_DOUBTS = {
    "image": "photo not looked at (offline analysis)",
    "audio": "voice note not transcribed (offline analysis)",
}


class OfflineAnalyzer(Analyzer):
    name = "offline"

    def __init__(self, team_language: str = "en", words: Lexicon | None = None) -> None:
        self.team_language = team_language
        self.lexicon = words or lexicon()

    def analyze(
        self,
        items: Sequence[Item],
        *,
        token_budget: int | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        results: list[Result | None] = []
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            detections = detect_many([i.text or "" for i in chunk], [i.locale for i in chunk])
            results.extend(self.judge(i, d) for i, d in zip(chunk, detections, strict=True))
            if progress:
                progress(len(results))
        return Outcome(results=results)

    def judge(self, item: Item, detection: Detection) -> Result:
        text = normalize(item.text or "").strip()
        scan = self.lexicon.scan(text, detection.candidates) if text else Scan()
        words = bool(text) and detection.language is not None
        text_score = _score(scan)
        text_sentiment = sentiment_label(text_score) if words or scan.evidence else None
        category, strength = _category(scan, text_score, bool(_LETTER.search(text)), text)
        rating = None if category in _INFORMATIONAL and not scan.evidence else item.rating
        score = _with_rating(text_score, scan.evidence, rating)
        themes = [self._theme(key, category) for key in scan.concepts[:3]]
        if category == Category.PRAISE and not any(
            self.lexicon.concepts[t.key or ""].kind == "praise" for t in themes
        ):
            themes.append(self._theme("happy_with_product", category))
        confidence = strength
        if words and detection.confidence < 0.5:
            confidence -= 0.1  # the language itself was a guess
        if item.rating is not None and text_sentiment and _opposed(text_sentiment, item.rating):
            confidence -= 0.1
        doubts: list[str] = []
        for media in item.media:
            concept = _MEDIA_THEMES.get(media.kind, "attachment_received")
            if all(t.key != concept for t in themes):
                themes.append(self._theme(concept, None))
            doubts.append(_MEDIA_DOUBTS.get(media.kind, "attachment not opened (offline analysis)"))
        if item.media and not text:
            category, confidence = Category.OTHER, 0.0
        return Result(
            language=detection.language if words else None,
            translation=None,
            category=category,
            sentiment=sentiment_label(score),
            sentiment_score=round(score, 3),
            themes=tuple(themes),
            urgency=_urgency(scan, category, text_score, self.lexicon),
            confidence=round(max(0.0, min(confidence, MAX_CONFIDENCE)), 3),
            analyzer=self.name,
            text_sentiment=text_sentiment,
            doubts=tuple(doubts),
        )

    def _theme(self, key: str, category: Category | None) -> ThemeRef:
        concept = self.lexicon.concepts[key]
        if concept.kind == "problem":
            category = Category.COMPLAINT
        return ThemeRef(
            label=concept.label(self.team_language),
            key=key,
            category=str(category) if category else None,
        )

    def text_sentiment(self, text: str, language: str | None = None) -> tuple[Sentiment, float]:
        """Sentiment of the words alone and how much evidence it rests on (0: none).
        The review rules compare it with a model's reading of the translation."""
        candidates = frozenset({language, "en"}) if language else None
        scan = self.lexicon.scan(normalize(text), candidates)
        return sentiment_label(_score(scan)), scan.evidence


def _score(scan: Scan) -> float:
    """-1..1 from the counts: one word gives +-0.5, three +-0.75; mixed words cancel."""
    positive = scan.positive + 0.5 * scan.thanks
    return (positive - scan.negative) / (positive + scan.negative + 1)


def _with_rating(text_score: float, evidence: float, rating: int | None) -> float:
    """The words and the customer's own 1-5 rating, which says more than a keyword."""
    if rating is None or not 1 <= rating <= 5:
        return text_score
    from_rating = (rating - 3) / 2
    if not evidence:
        return 0.8 * from_rating
    words = 0.75 if evidence >= 2 else 0.6
    return words * text_score + (1 - words) * from_rating


def _opposed(sentiment: Sentiment, rating: int) -> bool:
    return (sentiment == Sentiment.NEGATIVE and rating >= 4) or (
        sentiment == Sentiment.POSITIVE and rating <= 2
    )


def _category(scan: Scan, text_score: float, letters: bool, text: str) -> tuple[Category, float]:
    """The category and how sure the rules are. Order matters: a question about a late
    parcel is a complaint; a suggestion with praise is a suggestion."""
    if scan.problems:
        return Category.COMPLAINT, 0.55 + 0.05 * min(scan.negative - len(scan.problems), 3)
    # "Who do I contact?" about an order: an after-sales request, waiting for a human.
    if "contact" in scan.cues:
        return Category.COMPLAINT, 0.5
    # "Could you go live earlier?" is a suggestion about the show, not a product question.
    if "suggestion" in scan.cues and _SHOW_IDEAS.intersection(scan.concepts):
        return Category.SUGGESTION, 0.6
    # A question word opening an exclamation ("qué bonito!", "que linda 😍") is praise.
    cued = "question" in scan.cues and not (scan.positive and text_score > 0.15)
    if scan.question_mark or cued:
        return Category.PRODUCT_QUESTION, 0.6 if scan.question_mark else 0.55
    if "suggestion" in scan.cues:
        return Category.SUGGESTION, 0.55
    if "usage" in scan.cues and scan.evidence:
        return Category.USAGE_EXPERIENCE, 0.5
    if text_score > 0.15 and scan.positive:
        return Category.PRAISE, min(0.55 + 0.08 * scan.positive, 0.7)
    if text_score < -0.15:
        return Category.COMPLAINT, 0.45 + 0.05 * min(scan.negative, 3)
    if "usage" in scan.cues:
        return Category.USAGE_EXPERIENCE, 0.4
    if not scan.thanks and _asks(text):  # nothing else said: a terse live ask
        return Category.PRODUCT_QUESTION, 0.55
    # Greetings, laughter, "ok", digits and emoji with no letters: chatter, surely not
    # feedback; thanks alone is courtesy. Anything else the rules do not know: unsure.
    if "chatter" in scan.cues or not letters:
        return Category.OTHER, 0.6
    return Category.OTHER, 0.55 if scan.thanks else 0.3


def _asks(text: str) -> bool:
    """The live radar's reading finds a question asked in so many words (price, size,
    shipping... in any language, also without a question mark: "harga kak", "多少钱").
    Read last, only for texts nothing else explained: it costs a second scan."""
    reading = read_question(text) if text else None
    return reading is not None and reading.explicit


def _urgency(scan: Scan, category: Category, text_score: float, words: Lexicon) -> Urgency:
    if category != Category.COMPLAINT:
        return Urgency.NONE
    if {"urgent", "contact"} & scan.cues:
        return Urgency.HIGH  # a threat, or a customer asking whom to reach: act now
    if any(words.concepts[p].urgency == "high" for p in scan.problems):
        return Urgency.HIGH
    if text_score <= -0.6 and scan.negative >= 3:
        return Urgency.HIGH
    return Urgency.LOW
