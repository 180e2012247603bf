"""Token buckets per provider and per recipient, on a clock the test moves."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import RateLimited
from bot.ratelimit import (
    MAX_PAUSE,
    Bucket,
    Limit,
    RateLimiter,
    RetryPolicy,
    call,
    channel_limits,
    planning_rates,
)
from bot.settings import Settings


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sent: list[tuple[float, str]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(limits: dict[str, Limit], time: FakeTime) -> RateLimiter:
    return RateLimiter(limits, now=time, sleep=time.sleep)


async def send_all(rl: RateLimiter, time: FakeTime, sends: list[tuple[str, str]]) -> list[float]:
    stamps = []
    for channel, recipient in sends:
        await rl.acquire(channel, recipient)
        stamps.append(round(time.now - 1000.0, 6))
    return stamps


def test_a_bucket_hands_out_slots_one_interval_apart() -> None:
    bucket = Bucket(rate=4)
    assert [bucket.reserve(0.0) for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    assert bucket.reserve(10.0) == 0.0  # idle time is not banked beyond the burst


def test_a_burst_goes_back_to_back_then_the_pace_applies() -> None:
    bucket = Bucket(rate=10, burst=3)
    assert [round(bucket.reserve(0.0), 3) for _ in range(5)] == [0.0, 0.0, 0.0, 0.1, 0.2]


async def test_the_channel_rate_spaces_every_message() -> None:
    time = FakeTime()
    rl = limiter({"telegram": Limit(rate=30)}, time)
    stamps = await send_all(rl, time, [("telegram", f"chat-{i}") for i in range(31)])
    assert stamps[-1] == 1.0  # 31 messages: the 31st starts one second after the first


async def test_one_chat_gets_one_message_per_second_while_others_flow() -> None:
    time = FakeTime()
    rl = limiter({"telegram": Limit(rate=30, per_recipient=1)}, time)
    first = await send_all(rl, time, [("telegram", "chat-1"), ("telegram", "chat-1")])
    assert first == [0.0, 1.0]
    other = await send_all(rl, time, [("telegram", "chat-2")])
    assert other[0] - first[-1] < 0.1


async def test_concurrent_waiters_are_served_first_come_first_served() -> None:
    rl = RateLimiter({"whatsapp": Limit(rate=50)})
    done: list[int] = []

    async def one(i: int) -> None:
        await rl.acquire("whatsapp", f"+1{i}")
        done.append(i)

    await asyncio.gather(*(one(i) for i in range(10)))
    assert done == list(range(10))


async def test_a_429_pauses_the_whole_channel_for_its_retry_after() -> None:
    time = FakeTime()
    rl = limiter({"whatsapp": Limit(rate=80)}, time)
    await rl.acquire("whatsapp", "+1")
    rl.pause("whatsapp", 2.5)
    await rl.acquire("whatsapp", "+2")
    assert time.now - 1000.0 >= 2.5
    rl.pause("whatsapp", 10_000)  # an absurd Retry-After is capped
    before = time.now
    await rl.acquire("whatsapp", "+3")
    assert time.now - before <= MAX_PAUSE + 0.1


async def test_unknown_channels_are_not_limited() -> None:
    time = FakeTime()
    rl = limiter({}, time)
    await send_all(rl, time, [("simulator", "x")] * 100)
    assert time.now == 1000.0


async def test_memory_stays_flat_as_a_campaign_reaches_many_chats() -> None:
    time = FakeTime()
    rl = limiter({"telegram": Limit(per_recipient=1)}, time)
    for i in range(50_000):
        await rl.acquire("telegram", f"chat-{i}")
        time.now += 0.01  # 100 chats a second, each written to once
    assert rl.tracked_recipients < 2_000


def test_settings_give_each_channel_its_limits_shared_among_workers() -> None:
    settings = Settings(_env_file=None, twilio_mps=80, outbox_workers=2)  # type: ignore[call-arg]
    limits = channel_limits(settings)
    assert limits["whatsapp"].rate == 40
    assert limits["telegram"] == Limit(rate=15, per_recipient=1)
    assert limits["slack"].per_recipient == 1
    assert planning_rates(settings)["whatsapp"] == 64  # all workers together, 80 % share


# -- the retry policy --------------------------------------------------------------------


async def test_call_waits_out_retry_after_and_gives_up_after_its_bound() -> None:
    time = FakeTime()
    rl = limiter({}, time)
    calls: list[float] = []

    async def busy_then_fine() -> str:
        calls.append(time.now)
        if len(calls) < 3:
            raise RateLimited(7.0, "slow down")
        return "ok"

    assert await call(busy_then_fine, limiter=rl, channel="slack", recipient="C1") == "ok"
    assert [c - 1000.0 for c in calls] == [0.0, 7.0, 14.0]  # Retry-After honoured

    async def always_busy() -> str:
        raise RateLimited(1.0)

    policy = RetryPolicy(rate_limited=4)
    with pytest.raises(RateLimited):
        await call(always_busy, limiter=rl, channel="slack", recipient="C1", policy=policy)
    assert time.now - 1000.0 == 14.0 + 3 * 1.0  # three waits, four calls, then it stops


def test_the_policy_bounds_429s_and_failures_separately() -> None:
    policy = RetryPolicy(attempts=8, rate_limited=30)
    assert not policy.gives_up(7) and policy.gives_up(8)
    assert not policy.gives_up(29, rate_limited=True) and policy.gives_up(30, rate_limited=True)
    assert policy.delay(3, retry_after=12.0) == 12.0
    assert policy.delay(3, retry_after=99_999.0) == policy.max_retry_after
    assert all(0 <= policy.delay(n) <= min(policy.cap, 2.0 * 2 ** (n - 1)) for n in range(1, 12))
