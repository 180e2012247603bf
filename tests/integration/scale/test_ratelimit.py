"""Token buckets per provider and per recipient, on a clock the test moves."""

from __future__ import annotations

import asyncio

from bot.ratelimit import MAX_PAUSE, Bucket, Limit, RateLimiter, channel_limits, planning_rates
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
