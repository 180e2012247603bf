"""Slack Web API calls: paced per channel, Slack's errors made ours.

Two callers. The outbox's Slack sender (adapters.slack.sender) posts digests, alerts and
coupon warnings: its client has no retry handler, so a 429 becomes `RateLimited(
Retry-After)` and the outbox's one policy (bot.ratelimit) waits and bounds it. The
interactive paths (editing an alert after a click, ephemeral answers, the live radar
board edited in place every few seconds) call Slack directly through the team's client,
whose SDK `AsyncRateLimitErrorRetryHandler` waits out a Retry-After a few times: the
team is waiting on those, and only the newest state of an edit matters, so an outbox row
per edit would queue stale boards. A small per-channel limiter spaces those calls.
Errors become `SlackError` carrying Slack's error code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import Block, fallback_text
from bot import ratelimit
from bot.errors import PostliveError, RateLimited
from bot.ratelimit import Limit, RateLimiter

#: The rate-limit channel name every Slack call is paced under (per Slack channel).
SLACK = "slack"


class SlackError(PostliveError):
    """A Web API call failed; `error` is Slack's own code (not_in_channel, invalid_blocks...)."""

    def __init__(self, method: str, error: str, detail: str = "") -> None:
        self.method, self.error, self.detail = method, error, detail
        super().__init__(f"slack {method} failed: {error} {detail}".strip())


def web_client(token: str, base_url: str) -> AsyncWebClient:
    """The SDK client pointed at SLACK_API_URL (tests point it at a local fake). It retries
    a dropped connection once; a 429 is ours to handle (bot.ratelimit's one policy)."""
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        retry_handlers=[AsyncConnectionErrorRetryHandler()],
    )


def channel_limiter(messages_per_second: float = 1.0) -> RateLimiter:
    """Slack's pace: about one message per second per channel; channels do not wait on
    each other."""
    return RateLimiter({SLACK: Limit(per_recipient=max(messages_per_second, 0.001))})


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str

    @property
    def ref(self) -> str:
        """How postlive stores where a message lives (Answer.alert_ref)."""
        return f"{self.channel}:{self.ts}"

    @classmethod
    def parse(cls, ref: str) -> Posted:
        channel, _, ts = ref.partition(":")
        return cls(channel, ts)


class Poster:
    """Slack Web API calls paced per channel by `limiter` (bot.ratelimit).

    `retry_rate_limited`: a 429 is waited out here (Retry-After honoured, bounded by
    bot.ratelimit.RetryPolicy) for callers without an outbox row; False re-raises it as
    `RateLimited` for the outbox to reschedule the row (adapters.slack.sender).
    """

    def __init__(
        self,
        client: AsyncWebClient,
        limiter: RateLimiter | None = None,
        *,
        retry_rate_limited: bool = True,
    ) -> None:
        self.client = client
        self.limiter = limiter or channel_limiter()
        self.retry_rate_limited = retry_rate_limited

    async def post(
        self, channel: str, blocks: list[Block], text: str | None = None, thread_ts: str = ""
    ) -> Posted:
        kwargs: dict[str, Any] = {}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        response = await self._paced(
            channel,
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel, text=text or fallback_text(blocks), blocks=blocks, **kwargs
            ),
        )
        return Posted(str(response["channel"]), str(response["ts"]))

    async def update(self, posted: Posted, blocks: list[Block], text: str | None = None) -> None:
        await self._paced(
            posted.channel,
            "chat.update",
            lambda: self.client.chat_update(
                channel=posted.channel,
                ts=posted.ts,
                text=text or fallback_text(blocks),
                blocks=blocks,
            ),
        )

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        await self._paced(
            channel,
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text),
        )

    async def upload_png(
        self, channel: str, content: bytes, filename: str, title: str, comment: str = ""
    ) -> None:
        await self._paced(
            channel,
            "files.upload_v2",
            lambda: self.client.files_upload_v2(
                channel=channel,
                content=content,
                filename=filename,
                title=title,
                initial_comment=comment or None,
            ),
        )

    async def _paced(self, channel: str, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """One call, paced; a 429 retried here (bounded) or raised, as configured."""
        if not self.retry_rate_limited:
            await self.limiter.acquire(SLACK, channel)
            return await self._call(method, call())
        return await ratelimit.call(
            lambda: self._call(method, call()),
            limiter=self.limiter,
            channel=SLACK,
            recipient=channel,
        )

    async def _call(self, method: str, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            error = str(exc.response.get("error", "unknown")) if exc.response else "unknown"
            if status == 429:
                retry = exc.response.headers.get("Retry-After") if exc.response else None
                raise RateLimited(float(retry) if retry else None, f"slack {method}") from exc
            detail = exc.response.get("errors", "") if exc.response else ""
            raise SlackError(method, error, str(detail or "")) from exc
        except SlackClientError as exc:
            raise SlackError(method, type(exc).__name__, str(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Slack unreachable: transient, the caller (worker, listener) decides to retry.
            raise SlackError(method, "unreachable", f"{type(exc).__name__}: {exc}") from exc
