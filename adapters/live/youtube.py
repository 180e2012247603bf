"""YouTube Live chat through the official YouTube Data API (google-api-python-client).

videos.list finds the stream's activeLiveChatId (1 quota unit); liveChatMessages.list is
then polled at the pollingIntervalMillis each answer asks for, with its nextPageToken, so
no message is read twice and the API is never polled faster than it wants. Each call
costs quota (10,000 units a day by default): the units used are shown on the host's page.

A dropped connection or a 5xx is retried with growing, capped, jittered delays while the
page says "reconnecting"; a chat that ended or does not exist stops the source.
`YOUTUBE_API_URL` points the client at another root (the tests' local fake) through the
client's `api_endpoint` option; discovery uses the document bundled with the library.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from adapters.live.backoff import Backoff
from bot.clock import Clock
from bot.radar.comment import LiveComment
from bot.radar.session import LiveSession
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Quota units per call (Google's quota table for the YouTube Data API).
COST_VIDEOS_LIST = 1
COST_CHAT_LIST = 5
#: The API's own answer decides; these bound a strange one.
MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 30.0
_FINAL_REASONS = frozenset(
    {"liveChatEnded", "liveChatNotFound", "liveChatDisabled", "videoNotFound"}
)
_SEEN = 5000


class ChatUnavailable(Exception):
    """The video has no live chat (not live, ended, or chat off): nothing to listen to."""


class YouTubeChat:
    name = "youtube"

    def __init__(
        self,
        settings: Settings,
        video_id: str,
        session: LiveSession,
        clock: Clock,
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not settings.youtube_api_key or not settings.youtube_api_key.get_secret_value():
            raise ChatUnavailable("YOUTUBE_API_KEY is not set")
        self.settings = settings
        self.video_id = video_id
        self.session = session
        self.clock = clock
        self.backoff = backoff or Backoff(first=2.0, cap=60.0)
        self.sleep = sleep
        self.quota_units = 0
        self.polls = 0
        self._seen: deque[str] = deque(maxlen=_SEEN)
        self._seen_set: set[str] = set()
        self._api: Any = None

    def _client(self) -> Any:
        if self._api is None:
            key = self.settings.youtube_api_key.get_secret_value()  # type: ignore[union-attr]
            options = None
            if self.settings.youtube_api_url:
                # The bundled discovery document's method paths carry "youtube/v3/"
                # themselves: the endpoint is the bare root (https://youtube.googleapis.com/).
                options = {"api_endpoint": self.settings.youtube_api_url.rstrip("/") + "/"}
            self._api = build(
                "youtube",
                "v3",
                developerKey=key,
                client_options=options,
                cache_discovery=False,
                static_discovery=True,
                http=httplib2.Http(timeout=20),
            )
        return self._api

    def _chat_id(self) -> str:
        answer = (
            self._client().videos().list(part="liveStreamingDetails", id=self.video_id).execute()
        )
        self._spend(COST_VIDEOS_LIST)
        items = answer.get("items") or []
        details = items[0].get("liveStreamingDetails", {}) if items else {}
        chat = details.get("activeLiveChatId")
        if not chat:
            raise ChatUnavailable(f"video {self.video_id} has no active live chat")
        return str(chat)

    def _page(self, chat_id: str, token: str | None) -> dict[str, Any]:
        request = (
            self._client()
            .liveChatMessages()
            .list(
                liveChatId=chat_id, part="snippet,authorDetails", pageToken=token, maxResults=2000
            )
        )
        self._spend(COST_CHAT_LIST)
        self.polls += 1
        answer: dict[str, Any] = request.execute()
        return answer

    def _spend(self, units: int) -> None:
        self.quota_units += units

    def comments(self, answer: dict[str, Any]) -> list[LiveComment]:
        found = []
        for item in answer.get("items") or []:
            snippet = item.get("snippet") or {}
            message_id = str(item.get("id") or "")
            text = snippet.get("displayMessage") or (snippet.get("textMessageDetails") or {}).get(
                "messageText"
            )
            if not text or not message_id or message_id in self._seen_set:
                continue
            if len(self._seen) == self._seen.maxlen:
                self._seen_set.discard(self._seen[0])
            self._seen.append(message_id)
            self._seen_set.add(message_id)
            author = item.get("authorDetails") or {}
            found.append(
                LiveComment(
                    platform="youtube",
                    show=self.session.show,
                    author_id=str(author.get("channelId") or snippet.get("authorChannelId") or "?"),
                    author_name=str(author.get("displayName") or ""),
                    text=str(text),
                    at=self.clock.now(),
                    external_id=message_id,
                    extras={"published_at": snippet.get("publishedAt")},
                )
            )
        return found

    def _state(self, state: str, detail: str = "") -> None:
        self.session.source(
            self.name, state, detail, quota_units=self.quota_units, polls=self.polls
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set or the chat ends; never raises for the network."""
        chat_id: str | None = None
        token: str | None = None
        while not stop.is_set():
            try:
                if chat_id is None:
                    chat_id = await asyncio.to_thread(self._chat_id)
                answer = await asyncio.to_thread(self._page, chat_id, token)
            except ChatUnavailable as exc:
                self._state("stopped", str(exc))
                return
            except HttpError as exc:
                reason = _reason(exc)
                if reason in _FINAL_REASONS or exc.status_code in (400, 401, 404):
                    self._state("stopped", reason or f"HTTP {exc.status_code}")
                    return
                await self._wait_after_failure(stop, reason or f"HTTP {exc.status_code}")
                continue
            except (OSError, httplib2.HttpLib2Error, TimeoutError) as exc:
                await self._wait_after_failure(stop, type(exc).__name__)
                continue
            self.backoff.reset()
            token = answer.get("nextPageToken") or token
            batch = self.comments(answer)
            if batch:
                self.session.feed(batch)
            if answer.get("offlineAt"):
                self._state("stopped", "the stream is offline")
                return
            self._state("live")
            interval = float(answer.get("pollingIntervalMillis") or 5000) / 1000
            await self._pause(stop, min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, interval)))

    async def _wait_after_failure(self, stop: asyncio.Event, why: str) -> None:
        delay = self.backoff.next_delay()
        log.warning("YouTube chat for %s: %s; retrying in %.1fs", self.video_id, why, delay)
        self._state("reconnecting", why)
        await self._pause(stop, delay)

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        if not stop.is_set():
            await self.sleep(seconds)


def _reason(exc: HttpError) -> str | None:
    """Google's error reason ("liveChatEnded", "quotaExceeded"), from the error body."""
    details = exc.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return details[0].get("reason")
    return None
