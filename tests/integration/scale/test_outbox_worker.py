"""The outbox worker against a local provider: full speed within the provider's rate,
429s honoured, order kept per recipient, dead letters reported, claims handed back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot import outbox
from bot.bootstrap import App, build
from bot.clock import SystemClock
from bot.db import session_scope
from bot.delivery import DeadLetter, Delivery, DeliveryReport, deliver_due
from bot.messages import Channel, Outbound
from bot.models import Outbox, OutboxStatus
from bot.ratelimit import Limit, RateLimiter
from bot.settings import Settings
from bot.worker import OutboxWorker
from tests.integration.scale.provider import HttpSender, Provider, ProviderServer


def queue(app: App, recipients: int, per_recipient: int = 1, prefix: str = "m") -> list[str]:
    now = app.clock.now() - timedelta(seconds=1)
    keys = []
    with session_scope(app.engine) as session:
        for step in range(per_recipient):
            for i in range(recipients):
                key = f"{prefix}:{i}:{step}"
                message = Outbound(Channel.WHATSAPP, f"+1212555{i:04d}", f"step {step}")
                outbox.enqueue(session, key, message, kind=f"question:{step}", now=now)
                keys.append(key)
    return keys


def statuses(app: App) -> dict[str, int]:
    with session_scope(app.engine) as session:
        rows = session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    return {status: n for status, n in rows}


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    with ProviderServer(Provider()) as server:
        yield server


@pytest.fixture
async def sender(provider: ProviderServer) -> AsyncIterator[HttpSender]:
    http = HttpSender(provider.url)
    yield http
    await http.aclose()


@pytest.fixture
def live(settings: Settings, sender: HttpSender) -> Iterator[App]:
    """The worker runs in real time here (rate limits, Retry-After), sending WhatsApp
    messages to the local provider: an App built so, not one changed afterwards."""
    application = build(settings, clock=SystemClock(), senders={Channel.WHATSAPP: sender})
    yield application
    application.engine.dispose()


async def drain(worker: OutboxWorker, expected: int) -> None:
    """Run the worker until `expected` messages are sent (the test's timeout bounds it:
    no assertion here depends on how fast a busy machine is)."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, poll=0.02))
    try:
        while worker.report.sent < expected:
            assert not task.done(), task
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task


@pytest.mark.timeout(60)
async def test_the_worker_keeps_to_the_provider_rate_and_gets_no_429(
    live: App, provider: ProviderServer, sender: HttpSender
) -> None:
    provider.provider.rate = 100.0
    keys = queue(live, 150)
    limiter = RateLimiter({"whatsapp": Limit(rate=100.0)})
    await drain(OutboxWorker(live, limiter=limiter, concurrency=16), len(keys))

    snapshot = provider.provider.snapshot()
    # The provider enforces 100/s itself: not one refusal means we never went faster.
    # (How close to the rate we stay is benchmarks/fanout.py's to measure, not a test's.)
    assert snapshot["rejected_429"] == 0
    assert snapshot["unique"] == len(keys) and snapshot["duplicates"] == 0
    assert limiter.waited["whatsapp"] > 0  # and it was the limiter that held us back


@pytest.mark.timeout(60)
async def test_a_provider_saying_429_pauses_the_channel_and_loses_nothing(
    live: App, provider: ProviderServer, sender: HttpSender
) -> None:
    # A burst of refusals the provider sends however slow this machine is (a rate-based
    # one would only come if we outran it, which a busy machine may never do).
    provider.provider.refuse = 40
    keys = queue(live, 200)
    worker = OutboxWorker(live, limiter=RateLimiter(), concurrency=16)
    await drain(worker, len(keys))

    snapshot = provider.provider.snapshot()
    assert snapshot["rejected_429"] == 40
    assert snapshot["unique"] == len(keys) and snapshot["duplicates"] == 0
    assert statuses(live) == {OutboxStatus.SENT: len(keys)}
    assert worker.report.retried == snapshot["rejected_429"]
    assert worker.report.dead == 0  # Retry-After is flow control, never a dead letter


@pytest.mark.timeout(60)
async def test_one_recipients_messages_leave_in_order_while_recipients_go_in_parallel(
    live: App, provider: ProviderServer, sender: HttpSender
) -> None:
    provider.provider.latency = 0.05
    keys = queue(live, 20, per_recipient=3)
    await drain(OutboxWorker(live, limiter=RateLimiter(), concurrency=10), len(keys))

    order = provider.provider.order
    for i in range(20):
        assert [k for k in order if k.startswith(f"m:{i}:")] == [f"m:{i}:{s}" for s in range(3)]
    # Different recipients overlapped: far from one call at a time.
    assert provider.provider.max_in_flight >= 8


async def test_a_message_that_keeps_failing_becomes_a_dead_letter_and_raises_the_alarm(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    letters: list[DeadLetter] = []
    with ProviderServer(Provider(fail="broken")) as server:
        http = HttpSender(server.url)
        senders = {Channel.WHATSAPP: http}
        queue(app, 1, prefix="broken")
        queue(app, 1, prefix="fine")
        with caplog.at_level(logging.ERROR, logger="bot.delivery"):
            for _ in range(outbox.MAX_ATTEMPTS + 2):
                await deliver_due(app.engine, senders, app.clock, on_dead_letter=letters.append)
                app.clock.advance(hours=1)  # past any backoff
        await http.aclose()

    assert statuses(app) == {OutboxStatus.SENT: 1, OutboxStatus.FAILED: 1}
    with session_scope(app.engine) as session:
        dead = session.exec(select(Outbox).where(Outbox.status == OutboxStatus.FAILED)).one()
    assert dead.error_code == "gave_up" and dead.attempts == outbox.MAX_ATTEMPTS
    assert "provider said 500" in (dead.last_error or "")
    assert [(d.key, d.attempts) for d in letters] == [("broken:0:0", outbox.MAX_ATTEMPTS)]
    assert "dead letter" in caplog.text


@pytest.mark.timeout(60)
async def test_a_stopping_worker_hands_back_what_it_has_not_sent(
    live: App, provider: ProviderServer, sender: HttpSender
) -> None:
    keys = queue(live, 20)
    worker = OutboxWorker(live, limiter=RateLimiter({"whatsapp": Limit(rate=10.0)}))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, poll=0.02))
    while worker.report.sent < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await task

    now = statuses(live)
    assert OutboxStatus.SENDING not in now
    assert now[OutboxStatus.SENT] == provider.provider.snapshot()["unique"]
    assert now[OutboxStatus.PENDING] == len(keys) - now[OutboxStatus.SENT]
    with session_scope(live.engine) as session:
        pending = session.exec(select(Outbox).where(Outbox.status == OutboxStatus.PENDING)).all()
    assert {row.attempts for row in pending} == {0}  # handed back, not counted as tried


async def test_a_claim_held_too_long_is_handed_back_not_sent(
    live: App, provider: ProviderServer, sender: HttpSender
) -> None:
    queue(live, 1)
    [row] = outbox.claim(live.engine, datetime.now(UTC), lease=timedelta(seconds=10))
    delivery = Delivery(live.engine, live.senders, live.clock, lease=timedelta(seconds=10))
    report = DeliveryReport()
    await delivery.deliver(row, time.monotonic() - 9, report)  # 90 % of the lease gone

    assert report.released == 1 and provider.provider.snapshot()["received"] == 0
    assert statuses(live) == {OutboxStatus.PENDING: 1}
