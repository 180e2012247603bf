"""A token bucket that keeps one WhatsApp sender under its messages-per-second quota.

Twilio queues what a sender cannot deliver at once and answers 429 beyond its queue, so
we pace ourselves below `TWILIO_MPS` instead of provoking it. The bucket is guarded by a
thread lock, not an asyncio lock: the sender outlives any one event loop (the CLI and
tests start several), and the critical section is a few arithmetic operations.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        #: A second's worth by default: a burst never exceeds the per-second quota.
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._monotonic = monotonic
        self._stamp = monotonic()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; returns how long to wait before using it (0 when free now).

        Tokens may go negative: each caller books the next slot in order, so waiters are
        served first come, first served and the rate holds under any concurrency.
        """
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
