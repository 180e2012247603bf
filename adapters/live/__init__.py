"""Live comment sources, each feeding `bot.radar.LiveComment` batches to a show's session.

replay     a timestamped CSV/JSONL played in real time or faster (demo, tests)
ingest     POST /live/comments, HMAC-signed batches from any other tool
youtube    YouTube Live chat through the YouTube Data API (liveChatMessages.list)
tiktok     TikTok LIVE through the community TikTokLive client (no official API)
web        the host's page (/live/<token>) with server-sent events
backoff    reconnect delays: multiplied, capped, jittered
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from bot.bootstrap import App


def routes(app: App) -> list[BaseRoute]:
    from adapters.live.web import mount

    return [mount(app)]
