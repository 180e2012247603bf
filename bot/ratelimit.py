"""The one rate-limit and retry policy for outgoing calls: token buckets, bounded retries.

Every channel paces and retries through this module: the outbox worker (bot.delivery)
for whole messages, the senders for the extra parts of a split message, the Slack poster
for its posts. Three pieces, each usable alone:

    Limit(rate, per_recipient, burst)   what a provider allows (messages per second)
    RateLimiter(limits)                 `await limiter.acquire(channel, recipient)` before
                                        each call; `limiter.pause(channel, seconds)` after
                                        a 429 that said Retry-After
    RetryPolicy()                       how often and how late to try again: Retry-After
                                        honoured (capped), else exponential backoff with
                                        full jitter; 429s and other errors both bounded
    await call(fn, limiter=..., channel=..., recipient=...)
                                        pace + call + bounded in-process retries on
                                        RateLimited (for callers without an outbox row)

Errors carry their data: a call refused for rate raises `bot.errors.RateLimited(
retry_after)`; `call` re-raises it once the policy gives up.

Providers limit how fast one account may send (Twilio: 80 messages per second per
WhatsApp sender by default; Telegram: about 30 per second per bot and 1 per second per
chat; Slack: about 1 per second per channel). Sending faster earns 429s, retries and, on
Telegram, temporary bans; sending slower wastes the evening window.

Each limit is a GCRA token bucket ("generic cell rate algorithm"): a caller reserves the
next free slot at once and sleeps until it, so waiters are served first come, first
served without polling, and the long-run pace is exactly the rate even when the event
loop wakes a task late. A 429 with Retry-After pauses the whole channel.

The limits are per process: with several worker processes set OUTBOX_WORKERS so each
takes its share of every provider rate (see docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import RateLimited
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Largest pause a single Retry-After may impose on a whole channel, in seconds.
MAX_PAUSE = 300.0
#: Share of a provider's rate a campaign's intros are planned at: the rest carries the
#: conversations under way (each answer is followed by the next question), so customers
#: who reply are not kept waiting behind the fan-out.
PLANNING_SHARE = 0.8
#: Intro pace per channel when the caller passes none (the settings' default rates).
DEFAULT_PLANNING_RATES = {"whatsapp": 80.0 * PLANNING_SHARE, "telegram": 30.0 * PLANNING_SHARE}


@dataclass(frozen=True)
class Limit:
    """Messages per second for a channel overall and per recipient (None: no limit)."""

    rate: float | None = None
    per_recipient: float | None = None
    #: Messages that may go back to back before the pace applies.
    burst: int = 1


def channel_limits(settings: Settings) -> dict[str, Limit]:
    """The limits the settings give each channel, divided among the worker processes."""
    share = max(1, settings.outbox_workers)
    return {
        "whatsapp": Limit(rate=settings.twilio_mps / share),
        "telegram": Limit(
            rate=settings.telegram_mps / share, per_recipient=settings.telegram_chat_mps
        ),
        "slack": Limit(per_recipient=settings.slack_channel_mps),
    }


def planning_rates(settings: Settings) -> dict[str, float]:
    """Messages per second at which a campaign's intros are spread, per channel (all
    worker processes together: one sender account is shared however many send)."""
    return {
        "whatsapp": settings.twilio_mps * PLANNING_SHARE,
        "telegram": settings.telegram_mps * PLANNING_SHARE,
    }


class Bucket:
    """One GCRA bucket: `rate` per second, `burst` back to back."""

    __slots__ = ("interval", "tolerance", "tat")

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.interval = 1.0 / rate
        self.tolerance = (max(1, burst) - 1) * self.interval
        #: Theoretical arrival time of the next message (monotonic seconds).
        self.tat = 0.0

    def reserve(self, now: float) -> float:
        """Take the next slot; returns how long to wait for it (0: go now)."""
        slot = max(now, self.tat - self.tolerance)
        self.tat = max(self.tat, now) + self.interval
        return slot - now

    def pause_until(self, until: float) -> None:
        self.tat = max(self.tat, until)


Sleep = Callable[[float], Awaitable[None]]
#: A channel without configured limits: only a provider's pause applies.
_UNLIMITED = Limit()


class RateLimiter:
    def __init__(
        self,
        limits: Mapping[str, Limit] | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = dict(limits or {})
        self._now = now
        self._sleep = sleep
        self._channels: dict[str, Bucket] = {}
        self._recipients: dict[tuple[str, str], Bucket] = {}
        self._paused: dict[str, float] = {}
        self._since_prune = 0
        #: Total seconds callers waited, per channel (for benchmarks and logs).
        self.waited: dict[str, float] = {}

    async def acquire(self, channel: str, recipient: str) -> None:
        """Wait until one message to `recipient` on `channel` may go."""
        limit = self.limits.get(channel) or _UNLIMITED
        waited = 0.0
        # The recipient first: a slot on the channel must not be held while a chat cools.
        if limit.per_recipient:
            bucket = self._recipients.get((channel, recipient))
            if bucket is None:
                bucket = self._recipients[(channel, recipient)] = Bucket(limit.per_recipient)
                self._maybe_prune()
            waited += await self._wait(bucket.reserve(self._now()))
        if limit.rate:
            bucket = self._channels.get(channel)
            if bucket is None:
                bucket = self._channels[channel] = Bucket(limit.rate, limit.burst)
            waited += await self._wait(bucket.reserve(self._now()))
        # A 429 may have paused the channel while we slept for our slot.
        while (paused := self._paused.get(channel, 0.0) - self._now()) > 0:
            waited += await self._wait(paused)
        if waited:
            self.waited[channel] = self.waited.get(channel, 0.0) + waited

    def pause(self, channel: str, seconds: float | None) -> None:
        """The provider said 429: nobody sends on `channel` for `seconds` (capped)."""
        if not seconds or seconds <= 0:
            return
        until = self._now() + min(seconds, MAX_PAUSE)
        self._paused[channel] = max(self._paused.get(channel, 0.0), until)
        if channel in self._channels:
            self._channels[channel].pause_until(until)

    async def _wait(self, seconds: float) -> float:
        if seconds > 0:
            await self._sleep(seconds)
            return seconds
        return 0.0

    def _maybe_prune(self) -> None:
        """Forget recipients whose bucket is full again, so memory stays flat as a
        campaign reaches hundreds of thousands of chats."""
        self._since_prune += 1
        if self._since_prune < 1000:
            return
        self._since_prune = 0
        now = self._now()
        for key in [k for k, b in self._recipients.items() if b.tat <= now]:
            del self._recipients[key]

    @property
    def tracked_recipients(self) -> int:
        return len(self._recipients)


@dataclass(frozen=True)
class RetryPolicy:
    """When a refused call is tried again, and when we stop.

    `attempts` bounds calls that failed for any other reason (5xx, network); a 429 is
    flow control, not a failure, so it has its own, larger bound (`rate_limited`): a
    burst of them never turns a message into a dead letter, and a provider that keeps
    refusing cannot keep a message retrying forever either.
    """

    attempts: int = 8
    rate_limited: int = 30
    #: Backoff: full jitter over base * 2**(attempt-1), capped.
    base: float = 2.0
    cap: float = 900.0
    #: A Retry-After longer than this is read as this.
    max_retry_after: float = 3600.0

    def gives_up(self, attempt: int, *, rate_limited: bool = False) -> bool:
        """True when `attempt` (1 for the first call) was the last one allowed."""
        return attempt >= (self.rate_limited if rate_limited else self.attempts)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before the next try: what the provider asked for, else backoff."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        return random.uniform(0, min(self.cap, self.base * 2 ** max(0, attempt - 1)))  # noqa: S311


#: The policy the outbox and the adapters use unless given another.
DEFAULT_POLICY = RetryPolicy()


async def call(
    fn: Callable[[], Awaitable[T]],
    *,
    limiter: RateLimiter,
    channel: str,
    recipient: str,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> T:
    """Pace one call with `limiter` and retry it while the provider says RateLimited.

    For callers that send outside the outbox (which retries through its rows): waits
    Retry-After (the whole channel pauses), or backoff when none was given, up to
    `policy.rate_limited` calls, then re-raises the last RateLimited. Other errors
    propagate at once: the caller knows what they mean.
    """
    attempt = 0
    while True:
        attempt += 1
        await limiter.acquire(channel, recipient)
        try:
            return await fn()
        except RateLimited as exc:
            if policy.gives_up(attempt, rate_limited=True):
                raise
            wait = policy.delay(attempt, exc.retry_after)
            log.info("%s rate limited; trying again in %.1f s", channel, wait)
            limiter.pause(channel, wait)
