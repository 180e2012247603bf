"""Deliver everything due now, pass after pass, until the outbox has nothing more to
claim: what the demo, `postlive chat` and tests need instead of a running worker."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from bot.clock import Clock
from bot.delivery import DeliveryReport, Sender, deliver_due


async def drain(
    engine: Engine, senders: Mapping[str, Sender], clock: Clock, *, limit: int = 200
) -> DeliveryReport:
    """Run delivery passes until one claims nothing; returns the passes' sum."""
    total = DeliveryReport()
    while (report := await deliver_due(engine, senders, clock, limit=limit)).claimed:
        total.add(report)
    return total


def drain_blocking(
    engine: Engine, senders: Mapping[str, Sender], clock: Clock, *, limit: int = 200
) -> DeliveryReport:
    """`drain` from synchronous code; from inside an event loop it runs on its own loop
    in a helper thread (a loop cannot be re-entered)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(drain(engine, senders, clock, limit=limit))
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, drain(engine, senders, clock, limit=limit)).result()
