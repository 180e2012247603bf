"""The shapes the model must answer in (OpenAI structured outputs, strict JSON schema).

The SDK turns these pydantic models into a strict schema and validates the answer back
into them; the validators below only tidy values a schema cannot bound (scores outside
-1..1, blank themes), they never invent a judgement.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, field_validator

CategoryName = Literal[
    "product_question", "usage_experience", "suggestion", "complaint", "praise", "other"
]


class AnswerJudgement(BaseModel):
    id: str
    language: str
    translation: str | None
    category: CategoryName
    sentiment_label: Literal["negative", "neutral", "positive"]
    sentiment_score: float
    themes: list[str]
    urgency: Literal["none", "low", "high"]
    confidence: float
    description: str | None

    @field_validator("sentiment_score")
    @classmethod
    def _score(cls, value: float) -> float:
        return max(-1.0, min(1.0, value))

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, value: float) -> float:
        return max(0.0, min(1.0, value))

    @field_validator("themes")
    @classmethod
    def _themes(cls, value: list[str]) -> list[str]:
        tidy = [" ".join(t.split())[:120] for t in value]
        return list(dict.fromkeys(t for t in tidy if t))[:3]


class BatchJudgement(BaseModel):
    answers: list[AnswerJudgement]


class ThemePlacement(BaseModel):
    phrase: str
    key: str
    label: str


class ThemeMapping(BaseModel):
    themes: list[ThemePlacement]
