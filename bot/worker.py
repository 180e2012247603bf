"""The background loop: due conversations in, outbox rows out, stragglers retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.bootstrap import App
from bot.delivery import deliver_due

log = logging.getLogger(__name__)


async def tick(app: App) -> int:
    """One round of everything the worker does; returns messages handled."""
    await asyncio.to_thread(app.dispatcher.run_once)
    await asyncio.to_thread(app.intake.retry_pending, app.clock.now() - timedelta(seconds=30))
    handled = 0
    while True:
        report = await deliver_due(app.engine, app.senders, app.clock, limit=100)
        handled += report.claimed
        if report.claimed < 100:
            return handled


async def run_forever(app: App, interval: float = 1.0, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    log.info("worker started: channels %s", ", ".join(app.senders) or "none configured")
    while not stop.is_set():
        try:
            await tick(app)
        except Exception:  # noqa: BLE001 - the loop must survive one bad round
            log.exception("worker round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
