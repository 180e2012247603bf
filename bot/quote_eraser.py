"""The port through which forgetting a customer reaches the team's chat: messages that
show the customer's words are edited to say they were erased. The Slack adapter
implements it (adapters/slack/erasure.py); the core never imports Slack."""

from __future__ import annotations

from typing import Protocol

from bot.errors import PostliveError

#: What an erased message says instead of the customer's words.
ERASED = "erased: the customer's data was deleted at their request"


class QuoteGone(PostliveError):
    """The message is no longer there to edit (deleted, or its channel archived)."""


class QuoteEraser(Protocol):
    async def erase(self, channel: str, ts: str) -> None:
        """Replace the message's text and blocks with `ERASED`; raise QuoteGone if the
        message no longer exists, anything else if it could not be edited now."""
        ...
