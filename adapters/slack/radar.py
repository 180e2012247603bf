"""The live board in Slack: one message in SLACK_LIVE_CHANNEL, edited in place.

The first board is posted with chat.postMessage; after that, every few seconds when the
board changed, the same message is edited with chat.update, so the live channel holds one
message per show, never a scroll of boards. A Slack failure is logged and retried on the
next round; the show goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.blocks import Block
from adapters.slack.poster import Posted, Poster, SlackError, web_client
from bot.radar.session import LiveSession
from bot.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0
_MAX_TEXT = 2900  # a section's text is limited to 3,000 characters


def board_blocks(snapshot: dict[str, Any], page_url: str) -> list[Block]:
    lines = []
    for number, q in enumerate(snapshot["questions"], 1):
        markets = " · ".join(q["markets"])
        original = f"  _“{q['original']}”_" if q["original"] and q["original"] != q["label"] else ""
        lines.append(f"*{number}. {q['label']}*  ({q['count']} · {markets}){original}")
    body = "\n".join(lines) or "_No questions yet._"
    status = "reconnecting a source…" if snapshot.get("reconnecting") else "live"
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Viewers ask — {snapshot['show']}* ({status})"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:_MAX_TEXT]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{page_url}|Host's page>"}]},
    ]


class SlackBoard:
    def __init__(
        self,
        poster: Poster,
        channel: str,
        session: LiveSession,
        page_url: str,
        *,
        interval: float = INTERVAL_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.poster = poster
        self.channel = channel
        self.session = session
        self.page_url = page_url
        self.interval = interval
        self.sleep = sleep
        self.posted: Posted | None = None
        self._shown: list[Block] | None = None

    async def refresh(self) -> bool:
        """Post or edit the board if it changed; True when Slack was called."""
        blocks = board_blocks(self.session.snapshot(), self.page_url)
        if blocks == self._shown:
            return False
        text = f"Viewers ask — {self.session.show}"
        try:
            if self.posted is None:
                self.posted = await self.poster.post(self.channel, blocks, text)
            else:
                await self.poster.update(self.posted, blocks, text)
        except SlackError as exc:
            log.warning("live board in Slack not updated: %s", exc)
            return False
        self._shown = blocks
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.refresh()
            await self.sleep(self.interval)
        await self.refresh()


def slack_board(settings: Settings, session: LiveSession, page_url: str) -> SlackBoard | None:
    """The Slack board when a bot token and SLACK_LIVE_CHANNEL are set."""
    token = settings.slack_bot_token
    if not settings.slack_live_channel or not (token and token.get_secret_value().strip()):
        return None
    client = web_client(token.get_secret_value(), settings.slack_api_url)
    return SlackBoard(Poster(client), settings.slack_live_channel, session, page_url)
