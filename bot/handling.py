"""The inbound handler loop: what the webhooks acknowledged, handled apart from them.

Every `postlive serve` and `postlive worker` process runs one. It handles batches
(`Intake.handle_batch`) in a thread while there is work, sleeps when there is none, and
wakes as soon as this process records an event (or after `poll` seconds, for events
another process recorded). Follow-ups (keeping a photo) run as tasks after the batch's
commit, at most `follow_up_limit` at a time: memory stays bounded however far handling
lags, and the lag is visible (`lag_seconds`, in /healthz and /metrics) rather than
pushed onto the acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable

from bot.intake import HandledBatch, Intake

log = logging.getLogger(__name__)


class InboundHandler:
    def __init__(
        self,
        intake: Intake,
        *,
        poll: float = 0.5,
        linger: float = 0.05,
        follow_up_limit: int = 16,
    ) -> None:
        self.intake = intake
        self.poll = poll
        #: Woken by a new event after an idle spell, wait this long for others to join
        #: it: at 200 answers/s a batch can then hold about ten, not one, and share its
        #: fixed cost (claim, reads, commit) among them.
        self.linger = linger
        self.follow_up_limit = follow_up_limit
        #: Events waiting and the age of the oldest, as of the last look (seconds).
        self.pending = 0
        self.lag_seconds = 0.0
        self.handled = 0
        self._follow_ups: set[asyncio.Task[None]] = set()
        self._lag_checked = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def waker() -> None:
            loop.call_soon_threadsafe(wake.set)

        self.intake.wakers.append(waker)
        stopped = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    batch = await asyncio.to_thread(self.intake.handle_batch)
                except Exception:  # noqa: BLE001 - database away: look again shortly
                    log.exception("inbound events could not be handled")
                    batch = HandledBatch()
                    await asyncio.sleep(self.poll)
                self.handled += batch.handled
                await self._start_follow_ups(batch)
                await self._measure_lag(batch)
                if batch.more:
                    continue
                waiting = asyncio.create_task(wake.wait())
                await asyncio.wait(
                    {stopped, waiting}, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED
                )
                waiting.cancel()
                if wake.is_set() and self.linger > 0:
                    await asyncio.wait({stopped}, timeout=self.linger)
        finally:
            self.intake.wakers.remove(waker)
            stopped.cancel()
            if self._follow_ups:
                await asyncio.gather(*self._follow_ups, return_exceptions=True)

    async def _measure_lag(self, batch: HandledBatch) -> None:
        """At most twice a second: one indexed query, not one per batch."""
        now = time.monotonic()
        if not batch.more and batch.claimed == 0:
            self.pending, self.lag_seconds = 0, 0.0
        if now - self._lag_checked < 0.5:
            return
        self._lag_checked = now
        with contextlib.suppress(Exception):
            self.pending, self.lag_seconds = await asyncio.to_thread(self.intake.lag)

    async def _start_follow_ups(self, batch: HandledBatch) -> None:
        for label, work in batch.follow_ups:
            while len(self._follow_ups) >= self.follow_up_limit:
                await asyncio.wait(self._follow_ups, return_when=asyncio.FIRST_COMPLETED)
            task = asyncio.create_task(_quietly(work(), label))
            self._follow_ups.add(task)
            task.add_done_callback(self._follow_ups.discard)


async def handle_all(intake: Intake) -> int:
    """Handle everything claimable now, follow-ups included (CLI, tests); returns how
    many events were handled."""
    handled = 0
    while True:
        batch = await asyncio.to_thread(intake.handle_batch)
        handled += batch.handled
        for label, work in batch.follow_ups:
            await _quietly(work(), label)
        if not batch.more and not batch.claimed:
            return handled


async def _quietly(work: Awaitable[None], label: str) -> None:
    try:
        await work
    except Exception:  # noqa: BLE001 - the event is handled and stored; this is a bonus
        log.exception("follow-up of %s failed", label)
