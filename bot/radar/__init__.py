"""The live question radar: what viewers ask during a show, grouped across languages.

    LiveComment            one comment from any source (comment)
    read_question()        is it a question, about what (bot.analysis.questions, over intents.yaml)
    Radar                  groups, distinct viewers, decay, eviction (board)
    LiveSession            a show being listened to: radar + store + subscribers (session)

Sources (YouTube, TikTok, the ingest webhook, replay) live in adapters/live and only
hand LiveComment batches to a session.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.analysis.questions import Reading, read_question
    from bot.radar.board import Entry, Radar
    from bot.radar.comment import LiveComment

__all__ = ["Entry", "LiveComment", "Radar", "Reading", "read_question"]
#: Loaded on first use: the digest imports bot.radar.store, and must not pay for the
#: language detector's and lexicons' modules at every CLI start.
_WHERE = {
    "Entry": "bot.radar.board",
    "Radar": "bot.radar.board",
    "LiveComment": "bot.radar.comment",
    "Reading": "bot.analysis.questions",
    "read_question": "bot.analysis.questions",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'bot.radar' has no attribute {name!r}")
