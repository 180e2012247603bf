"""TikTok LIVE comments through the community `TikTokLive` client.

TikTok has no public API for LIVE comments. TikTokLive reads the web player's own
websocket (through a third-party signing service), so it can break whenever TikTok
changes something: this source fails soft. Any error is logged, the page says
"reconnecting" and it retries with capped, jittered backoff; a user who is not live or
does not exist stops it. The rest of the show (YouTube, the ingest webhook) goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.live.backoff import Backoff
from bot.clock import Clock
from bot.radar.comment import LiveComment
from bot.radar.session import LiveSession

log = logging.getLogger(__name__)


class TikTokChat:
    name = "tiktok"

    def __init__(
        self,
        username: str,
        session: LiveSession,
        clock: Clock,
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.username = username if username.startswith("@") else f"@{username}"
        self.session = session
        self.clock = clock
        self.backoff = backoff or Backoff(first=5.0, cap=120.0)
        self.sleep = sleep

    def comment(self, event: Any) -> LiveComment | None:
        text = getattr(event, "comment", None) or getattr(event, "content", None)
        user = getattr(event, "user", None)
        if not text or user is None:
            return None
        common = getattr(event, "common", None)
        message_id = getattr(common, "msg_id", None)
        return LiveComment(
            platform="tiktok",
            show=self.session.show,
            author_id=str(getattr(user, "id", "") or getattr(user, "unique_id", "?")),
            author_name=str(getattr(user, "nickname", "") or ""),
            text=str(text),
            at=self.clock.now(),
            language_hint=getattr(event, "content_language", None) or None,
            external_id=f"tt:{message_id}" if message_id else None,
        )

    def listen(self, client: Any, comment: type, connect: type, disconnect: type) -> None:
        """Our handlers on a TikTokLive client: comments feed the show, the connection's
        state shows on the host's page (the event classes come from TikTokLive)."""

        async def on_comment(event: Any) -> None:
            found = self.comment(event)
            if found is not None:
                self.session.feed([found])

        async def on_connect(_event: Any) -> None:
            self.backoff.reset()
            self.session.source(self.name, "live", self.username)

        async def on_disconnect(_event: Any) -> None:
            self.session.source(self.name, "reconnecting", "disconnected")

        client.add_listener(comment, on_comment)
        client.add_listener(connect, on_connect)
        client.add_listener(disconnect, on_disconnect)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            from TikTokLive import TikTokLiveClient
            from TikTokLive.client.errors import UserNotFoundError, UserOfflineError
            from TikTokLive.events import CommentEvent, ConnectEvent, DisconnectEvent
        except Exception as exc:  # the package is optional at run time
            self.session.source(self.name, "stopped", f"TikTokLive unavailable: {exc}")
            return
        while not stop.is_set():
            client = TikTokLiveClient(unique_id=self.username)
            self.listen(client, CommentEvent, ConnectEvent, DisconnectEvent)
            try:
                task = await client.start()
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if stop.is_set():
                    await client.disconnect()
                    break
                task.result()
            except (UserNotFoundError, UserOfflineError) as exc:
                self.session.source(self.name, "stopped", f"{self.username}: {type(exc).__name__}")
                return
            except Exception as exc:  # TikTok changed something: say so, retry later
                why = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("TikTok LIVE for %s failed: %s", self.username, why)
            delay = self.backoff.next_delay()
            self.session.source(self.name, "reconnecting", "TikTok connection lost")
            if not stop.is_set():
                await self.sleep(delay)
        self.session.source(self.name, "stopped", "show ended")
