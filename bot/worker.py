"""The background process: the scheduler (when this process leads) and the outbox worker.

Every process that runs `postlive worker` (or `postlive serve` without --no-worker) runs
an outbox worker; claims are exclusive, so several drain one outbox without sending a
row twice. Only the scheduler leader runs the periodic jobs (bot/scheduler.py).

The outbox worker keeps up to `outbox_concurrency` messages in flight: it claims as many
rows as it has free slots (in batches of at least a quarter of them, to keep the
claiming queries few), sends them as asyncio tasks paced by the rate limiter, and
claims again as slots free up; when the outbox is drained it polls. Messages to one
recipient are chained so they leave in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot import outbox
from bot.delivery import DeadLetterHook, Delivery, DeliveryReport, deliver_due, in_database
from bot.ratelimit import RateLimiter, channel_limits
from bot.scheduler import JobSpec, Leadership, standard_jobs

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


class OutboxWorker:
    def __init__(
        self,
        app: App,
        *,
        limiter: RateLimiter | None = None,
        concurrency: int | None = None,
        lease: timedelta | None = None,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> None:
        settings = app.settings
        self.app = app
        self.concurrency = concurrency or settings.outbox_concurrency
        self.lease = lease or timedelta(seconds=settings.outbox_lease_seconds)
        self.limiter = limiter or RateLimiter(channel_limits(settings))
        self.delivery = Delivery(
            app.engine,
            app.senders,
            app.clock,
            limiter=self.limiter,
            lease=self.lease,
            on_dead_letter=on_dead_letter,
        )
        #: Everything this worker did since it started.
        self.report = DeliveryReport()

    async def run(self, stop: asyncio.Event, poll: float = 1.0) -> None:
        in_flight: dict[asyncio.Task[None], int] = {}
        tails: dict[tuple[str, str], asyncio.Task[None]] = {}
        stopped = asyncio.create_task(stop.wait())
        quiet_until = 0.0  # the outbox had nothing more due: do not ask again before this
        low_water = max(1, self.concurrency // 4)
        try:
            while not stop.is_set():
                free = self.concurrency - len(in_flight)
                if time.monotonic() >= quiet_until and (
                    free >= low_water or (free > 0 and not in_flight)
                ):
                    rows = await self._claim(free)
                    if len(rows) < free:
                        quiet_until = time.monotonic() + poll
                    claimed_at = time.monotonic()
                    for row in rows:
                        address = (row.message.channel, row.message.address)
                        task = asyncio.create_task(self._after(tails.get(address), row, claimed_at))
                        tails[address] = task
                        in_flight[task] = row.id
                        task.add_done_callback(_forget_tail(tails, address))
                    if len(rows) == free and free:
                        continue  # maybe more due: claim again when slots free up
                timeout = max(0.0, quiet_until - time.monotonic()) or None
                if timeout is None and not in_flight:
                    timeout = poll
                waiting: set[asyncio.Task[Any]] = {stopped, *in_flight}
                done, _ = await asyncio.wait(
                    waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    in_flight.pop(task, None)
        finally:
            await self._drain(in_flight)
            stopped.cancel()

    async def _claim(self, limit: int) -> list[outbox.Claimed]:
        try:
            return await in_database(
                outbox.claim,
                self.app.engine,
                self.app.clock.now(),
                limit,
                set(self.app.senders),
                self.lease,
            )
        except Exception:  # noqa: BLE001 - database away: the loop polls again
            log.exception("could not claim outbox rows")
            return []

    async def _after(
        self, previous: asyncio.Task[None] | None, row: outbox.Claimed, claimed_at: float
    ) -> None:
        """Send `row` once the previous message to the same recipient has gone."""
        if previous is not None:
            try:
                await asyncio.wait({previous})
            except asyncio.CancelledError:
                report = DeliveryReport()
                with contextlib.suppress(Exception):
                    await in_database(_release, self.app, row)
                report.released += 1
                self.report.add(report)
                raise
        report = DeliveryReport()
        try:
            await self.delivery.deliver(row, claimed_at, report)
        finally:
            self.report.add(report)

    async def _drain(self, in_flight: dict[asyncio.Task[None], int]) -> None:
        """Stopping: rows not yet on the wire go back to the outbox at once; calls under
        way get to finish and be recorded (bounded by the send timeout)."""
        self.delivery.stopping = True
        for task in list(in_flight):
            if in_flight[task] not in self.delivery.calling:
                task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)


def _forget_tail(
    tails: dict[tuple[str, str], asyncio.Task[None]], address: tuple[str, str]
) -> Callable[[asyncio.Task[None]], None]:
    def forget(task: asyncio.Task[None]) -> None:
        if tails.get(address) is task:
            del tails[address]

    return forget


def _release(app: App, row: outbox.Claimed) -> None:
    from bot.db import session_scope

    with session_scope(app.engine) as session:
        outbox.release(session, row.id)


async def tick(app: App) -> int:
    """One round of everything, in order (demos and tests): every scheduled job once, then
    the outbox until nothing is due. Returns messages handled."""
    for job in standard_jobs(app):
        result = await asyncio.to_thread(job.run)
        if inspect.isawaitable(result):
            await result
    handled = 0
    while True:
        report = await deliver_due(app.engine, app.senders, app.clock, limit=100)
        handled += report.claimed
        if report.claimed < 100:
            return handled


async def run_forever(
    app: App,
    interval: float = 1.0,
    stop: asyncio.Event | None = None,
    *,
    jobs: Sequence[JobSpec] | None = None,
    on_dead_letter: DeadLetterHook | None = None,
) -> None:
    """The scheduler (while this process leads) and the outbox worker, until `stop`.

    Without a `stop` event (the `postlive worker` command) SIGTERM and SIGINT stop it
    cleanly: unsent claims go back to the outbox instead of waiting out their lease.
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    log.info("worker started: channels %s", ", ".join(app.senders) or "none configured")
    leadership = Leadership(
        app.settings.database_url, jobs if jobs is not None else standard_jobs(app)
    )
    worker = OutboxWorker(app, on_dead_letter=on_dead_letter)
    await asyncio.gather(leadership.run(stop), worker.run(stop, poll=interval))
    log.info("worker stopped: %s", _summary(worker.report))


def _summary(report: DeliveryReport) -> str:
    return (
        f"{report.sent} sent, {report.retried} retried, {report.failed} failed "
        f"({report.dead} dead letters), {report.recovered} recovered after a crash"
    )
