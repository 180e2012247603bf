"""What every analyzer takes and gives: answers in, judgements out.

    Analyzer (abstract)
    ├── OfflineAnalyzer  lexicon + lingua, no network, no translation  (analysis.offline)
    └── OpenAIAnalyzer   batched structured outputs, cache, token cap  (analysis.openai_analyzer)

An analyzer judges one answer at a time but is always handed many, so that the OpenAI one
can batch them into few requests. It never touches the database: the runner
(bot.analysis.runner) reads answers, calls it and stores what it says.
"""

from __future__ import annotations

import abc
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.messages import media_kind

_NOT_WORD = re.compile(r"[^\w]+")


def theme_key(phrase: str) -> str:
    """'Colour differs from the live stream!' -> 'colour_differs_from_the_live_stream'."""
    folded = unicodedata.normalize("NFKC", phrase).casefold()
    return _NOT_WORD.sub("_", folded).strip("_")[:200]


class Category(StrEnum):
    PRODUCT_QUESTION = "product_question"
    USAGE_EXPERIENCE = "usage_experience"
    SUGGESTION = "suggestion"
    #: A complaint or an after-sales request (refund, exchange, missing parcel).
    COMPLAINT = "complaint"
    PRAISE = "praise"
    OTHER = "other"


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Urgency(StrEnum):
    NONE = "none"
    LOW = "low"
    HIGH = "high"


def sentiment_label(score: float, margin: float = 0.15) -> Sentiment:
    if score > margin:
        return Sentiment.POSITIVE
    if score < -margin:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


@dataclass(frozen=True)
class MediaRef:
    """A photo or voice note attached to an answer, as stored in Answer.media."""

    index: int
    url: str
    content_type: str = "application/octet-stream"
    #: A local path (or object-store URL) where the bytes were kept, if they were.
    stored_at: str | None = None

    @property
    def kind(self) -> str:
        return media_kind(self.content_type)


@dataclass(frozen=True)
class Item:
    """One answer to analyse. The text is untrusted customer data."""

    text: str | None
    media: tuple[MediaRef, ...] = ()
    #: The 1-5 rating the same customer gave in the survey, if any: context for the
    #: offline sentiment and for the review rules, never sent to the model.
    rating: int | None = None
    #: The conversation's locale ("pt-BR"): a hint for language detection.
    locale: str | None = None
    #: The caller's reference (answer id, row number), handed back untouched.
    ref: Any = None


@dataclass(frozen=True)
class ThemeRef:
    """A theme as the analyzer saw it: a known concept key (offline) or a free phrase in
    the team's language (OpenAI), merged per campaign by bot.analysis.themes."""

    label: str
    key: str | None = None
    category: str | None = None


@dataclass
class Result:
    language: str | None
    translation: str | None
    category: Category
    sentiment: Sentiment
    sentiment_score: float
    themes: tuple[ThemeRef, ...]
    urgency: Urgency
    confidence: float
    #: "offline" or "openai:<model>:<prompt version>".
    analyzer: str
    #: Sentiment of the words alone, without the rating (None: no words to judge).
    text_sentiment: Sentiment | None = None
    #: Doubts the analyzer itself has ("photo not looked at").
    doubts: tuple[str, ...] = ()
    #: What was learnt from attachments, by index into Answer.media:
    #: {"transcript": ...} for voice notes, {"description": ...} for photos.
    media_notes: dict[int, dict[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `postlive analyze` prints and the cache stores."""
        return {
            "language": self.language,
            "translation": self.translation,
            "category": str(self.category),
            "sentiment": {"label": str(self.sentiment), "score": round(self.sentiment_score, 3)},
            "themes": [t.label for t in self.themes],
            "urgency": str(self.urgency),
            "confidence": round(self.confidence, 3),
            "analyzer": self.analyzer,
        }


@dataclass
class Outcome:
    """What one `Analyzer.analyze` call produced and cost."""

    #: One per item, in order; None where the item could not be analysed now (the
    #: service was unavailable): the runner leaves it for a later run.
    results: list[Result | None]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    #: Things the team must know ("token cap reached: analysed offline").
    warnings: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


Progress = Callable[[int], None]


class Analyzer(abc.ABC):
    """Judges customer answers. Implementations must keep answers as data: never let a
    customer's words become instructions."""

    #: Short name stored in Answer.analyzer for results this analyzer made.
    name: str = "analyzer"

    @abc.abstractmethod
    def analyze(
        self,
        items: Sequence[Item],
        *,
        token_budget: int | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        """Judge every item. `token_budget`: tokens this call may still spend (a
        campaign's cap minus what it spent); `progress` is told how many items are done."""

    def map_themes(
        self,
        phrases: Sequence[str],
        existing: Sequence[tuple[str, str]],
        *,
        token_budget: int | None = None,
    ) -> tuple[dict[str, tuple[str, str]], Outcome]:
        """Map new theme phrases onto existing (key, label) themes or new ones. The base
        version only merges identical wordings; the OpenAI analyzer asks the model."""
        by_key = {key: label for key, label in existing}
        mapped: dict[str, tuple[str, str]] = {}
        for phrase in phrases:
            key = theme_key(phrase)
            mapped[phrase] = (key, by_key.get(key, phrase))
        return mapped, Outcome(results=[])

    def close(self) -> None:  # noqa: B027 - optional hook: most analyzers hold nothing
        """Release network connections, if any."""
