"""The live question radar: what viewers ask during a show, grouped across languages.

    LiveComment            one comment from any source (comment)
    read_question()        is it a question, about what (reading, over intents.yaml)
    Radar                  groups, distinct viewers, decay, eviction (board)
    LiveSession            a show being listened to: radar + store + subscribers (session)

Sources (YouTube, TikTok, the ingest webhook, replay) live in adapters/live and only
hand LiveComment batches to a session.
"""

from bot.radar.board import Entry, Radar
from bot.radar.comment import LiveComment
from bot.radar.reading import Reading, read_question

__all__ = ["Entry", "LiveComment", "Radar", "Reading", "read_question"]
