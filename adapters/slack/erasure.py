"""Slack messages that show a forgotten customer's words are edited to say "erased".

bot.privacy marks them due (an alert's Answer.alert_ref, and any message recorded with
`bot.privacy.remember_quote`); `erase_due` edits them with chat.update through the
team's client (paced per channel, 429 retried by the SDK) and drops their buttons, so
nobody can reply to or act on a customer who is gone. The worker runs it every minute;
`postlive contacts forget` runs it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.slack.blocks import context, section
from adapters.slack.poster import Posted, Poster, SlackError
from bot.quote_eraser import ERASED, QuoteGone

if TYPE_CHECKING:
    from bot.bootstrap import App

#: Slack's error codes for a message that cannot be edited because it is gone.
_GONE = ("message_not_found", "channel_not_found", "is_archived", "cant_update_message")


class SlackQuoteEraser:
    """bot.quote_eraser.QuoteEraser on the Slack Web API."""

    def __init__(self, poster: Poster) -> None:
        self.poster = poster

    async def erase(self, channel: str, ts: str) -> None:
        blocks = [section(f"~{ERASED}~"), context("postlive · personal data erased")]
        try:
            await self.poster.update(Posted(channel, ts), blocks, text=ERASED)
        except SlackError as exc:
            if exc.error in _GONE:
                raise QuoteGone(f"slack message {channel}/{ts}: {exc.error}") from exc
            raise


async def erase_due(app: App) -> int:
    """Edit every Slack message due for erasure; returns how many were edited."""
    from adapters.slack.team import team_for
    from bot.privacy import erase_quotes

    team = team_for(app)
    if team is None:
        return 0
    return await erase_quotes(app.engine, SlackQuoteEraser(team.poster), app.clock.now())
