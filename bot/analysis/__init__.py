"""Feedback analysis: language, translation, category, sentiment, themes, urgency, and a
human review where the machine is unsure. OpenAI when configured, offline otherwise.

    analyzer_for(settings) -> Analyzer              which analyzer the settings ask for
    await analyze_pending(app, limit=...) -> AnalysisRun   analyse and store pending answers

Kept light on import (the CLI imports this package at start): the openai SDK is only
imported when an OpenAI analyzer is built.
"""

from __future__ import annotations

from bot.analysis.analyzers import analyzer_for
from bot.analysis.interface import (
    Analyzer,
    Category,
    Item,
    MediaRef,
    Outcome,
    Result,
    Sentiment,
    ThemeRef,
    Urgency,
)
from bot.analysis.runner import AnalysisRun, analyze_pending, analyze_pending_logged

__all__ = [
    "AnalysisRun",
    "Analyzer",
    "Category",
    "Item",
    "MediaRef",
    "Outcome",
    "Result",
    "Sentiment",
    "ThemeRef",
    "Urgency",
    "analyze_pending",
    "analyze_pending_logged",
    "analyzer_for",
]
