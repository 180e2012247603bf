"""A worker killed with SIGKILL in the middle of a fan-out, then restarted: every
recipient gets each message, and (when the channel can be asked) exactly once. Two
workers draining one PostgreSQL outbox never send a message twice.

The worker is the real `run_forever` in a subprocess (tests/integration/scale/
run_worker.py); the provider is a local HTTP server that counts what it receives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot import outbox
from bot.bootstrap import App
from bot.db import session_scope
from bot.messages import Channel, Outbound
from bot.models import Outbox, OutboxStatus
from tests.integration.scale.provider import Provider, ProviderServer

RUN_WORKER = Path(__file__).with_name("run_worker.py")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    # 20 ms per call: with 16 calls in flight a SIGKILL always catches some mid-call.
    with ProviderServer(Provider(latency=0.02)) as server:
        yield server


def queue_fanout(app: App, recipients: int, channel: Channel, per_recipient: int = 2) -> list[str]:
    """The outbox rows a campaign's fan-out leaves: `per_recipient` messages each."""
    now = datetime.now(UTC) - timedelta(seconds=1)
    keys = []
    with session_scope(app.engine) as session:
        for i in range(recipients):
            for step in range(per_recipient):
                key = f"{channel}:{i}:{step}"
                message = Outbound(channel, f"{channel}-{i}", f"question {step} for {i}")
                outbox.enqueue(session, key, message, kind=f"question:{step}", now=now)
                keys.append(key)
    return keys


def start_worker(
    database_url: str, provider_url: str, *extra: str | Path
) -> subprocess.Popen[bytes]:
    command = [sys.executable, RUN_WORKER, "--database-url", database_url]
    return subprocess.Popen(
        [*map(str, command), "--provider", provider_url, *map(str, extra)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], bool], what: str, *alive: subprocess.Popen[bytes]) -> None:
    """Wait until `condition` holds. No deadline of our own (a busy machine is slow, not
    wrong; the test's timeout bounds it): fail at once if a worker we wait on died."""
    while not condition():
        for process in alive:
            if process.poll() is not None:
                raise AssertionError(f"a worker exited ({process.returncode}) before {what}")
        time.sleep(0.02)


def expire_leases(app: App) -> int:
    """The dead worker's claims run out: time moves on by one lease (we move the claims'
    deadlines back rather than wait), so the next worker finds them in doubt at once."""
    with session_scope(app.engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.status == OutboxStatus.SENDING)).all()
        for row in rows:
            assert row.claimed_until is not None
            row.claimed_until = row.claimed_until - outbox.LEASE
            row.next_attempt_at = row.next_attempt_at - outbox.LEASE
            session.add(row)
        return len(rows)


def statuses(app: App) -> dict[str, int]:
    with session_scope(app.engine) as session:
        rows = session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    return {status: n for status, n in rows}


def in_flight(app: App) -> dict[str, int]:
    with session_scope(app.engine) as session:
        rows = session.exec(
            select(Outbox.channel, func.count())
            .where(Outbox.status == OutboxStatus.SENDING)
            .group_by(Outbox.channel)
        ).all()
    return {channel: n for channel, n in rows}


def stop(process: subprocess.Popen[bytes]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err.decode(errors="replace")


@pytest.mark.timeout(120)
def test_worker_killed_mid_fanout_and_restarted_loses_nothing_and_sends_nothing_twice(
    app: App, database_url: str, provider: ProviderServer, tmp_path: Path
) -> None:
    telegram = queue_fanout(app, 150, Channel.TELEGRAM)  # the channel can be asked
    whatsapp = queue_fanout(app, 150, Channel.WHATSAPP)  # this one cannot
    everything = telegram + whatsapp
    received = provider.provider.received
    go = tmp_path / "restart"
    first = start_worker(database_url, provider.url)
    # The restarted worker is a fresh process, imported and built ahead of time so the
    # test does not wait for Python to start twice.
    second = start_worker(database_url, provider.url, "--start-when", go)
    try:
        wait_for(lambda: sum(received.values()) >= len(everything) // 3, "the fan-out", first)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        caught = in_flight(app)
        assert 0 < sum(received.values()) < len(everything), "not killed mid-fan-out"
        assert caught, "the kill should catch messages in flight"
        expire_leases(app)

        go.touch()
        drained = lambda: statuses(app).get(OutboxStatus.SENT) == len(everything)  # noqa: E731
        wait_for(drained, "the drain", second)
    finally:
        first.kill()
        errors = stop(second)

    assert statuses(app) == {OutboxStatus.SENT: len(everything)}, errors
    assert set(received) == set(everything), "a message was lost"
    # Telegram's in-doubt rows were looked up at the provider: not one was sent twice.
    assert [k for k in telegram if received[k] > 1] == []
    # WhatsApp's could only be resent: the documented residual risk, and never more
    # duplicates than messages that were on the wire when the worker died.
    assert sum(received[k] - 1 for k in whatsapp) <= caught.get(Channel.WHATSAPP, 0)


@pytest.mark.timeout(120)
def test_two_workers_drain_one_postgresql_outbox_without_a_duplicate(
    app: App, database_url: str, provider: ProviderServer
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite runs one worker process (claims take the database "
            "write lock; several processes are not a supported SQLite deployment)"
        )
    keys = queue_fanout(app, 300, Channel.TELEGRAM) + queue_fanout(app, 300, Channel.WHATSAPP)
    workers = [start_worker(database_url, provider.url, "--name", name) for name in "ab"]
    try:
        wait_for(lambda: statuses(app).get(OutboxStatus.SENT) == len(keys), "drain", *workers)
    finally:
        errors = [stop(w) for w in workers]
    received = provider.provider.received
    assert set(received) == set(keys), errors
    assert [k for k, n in received.items() if n > 1] == []
    by_worker = provider.provider.by_worker
    assert by_worker["a"] > 0 and by_worker["b"] > 0, by_worker
