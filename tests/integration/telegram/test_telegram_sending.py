"""Outbound Telegram messages: limits, flood control, failures, through the real PTB client
and the outbox, against the local fake Bot API."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.telegram import TelegramSender
from adapters.telegram.client import LoopBot
from adapters.telegram.render import MAX_CALLBACK_DATA, split_text, utf16_len
from adapters.telegram.updates import CallbackUpdate, parse_update
from bot.bootstrap import App
from bot.clock import utc
from bot.db import session_scope
from bot.errors import RateLimited, RecipientUnreachable, TransientDeliveryError
from bot.messages import Channel, Choice, Outbound
from bot.models import Outbox, OutboxStatus
from bot.ratelimit import RateLimiter, channel_limits
from bot.settings import Settings
from tests.conftest import add_contact, deliver
from tests.integration.telegram.builders import tap_update
from tests.integration.telegram.fake_bot_api import FakeBotApi
from tests.integration.test_survey_journey import start_campaign

DEWI = "700100200"
pytestmark = pytest.mark.timeout(60)


def outbound(text: str, *choices: Choice) -> Outbound:
    return Outbound(Channel.TELEGRAM, DEWI, text, choices=choices)


def test_flood_control_reschedules_the_message_and_it_is_sent_once(
    app: App, bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    add_contact(app, DEWI, channel=Channel.TELEGRAM, country="US", timezone="America/New_York")
    bot_api.too_many_requests(retry_after=7)
    start_campaign(app)  # the intro meets Telegram's flood control
    with session_scope(app.engine) as session:
        row = session.exec(select(Outbox)).one()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at is not None
    assert utc(row.next_attempt_at) >= app.clock.now() + timedelta(seconds=7)
    assert "retry after 7" in (row.last_error or "")

    app.clock.advance(seconds=6)
    deliver(app)
    assert bot_api.received("sendMessage", DEWI) == []  # not before retry_after
    app.clock.advance(seconds=1)
    deliver(app)
    deliver(app)
    assert len(bot_api.received("sendMessage", DEWI)) == 1
    assert len(bot_api.received("sendMessage", DEWI, ok=False)) == 1
    with session_scope(app.engine) as session:
        assert session.exec(select(Outbox)).one().status == OutboxStatus.SENT


async def test_a_long_text_is_split_within_4096_and_the_keyboard_goes_last(
    bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    paragraph = "Terima kasih sudah belanja di live kami 🙏 " * 40
    text = "\n\n".join([paragraph] * 6)
    await telegram.send(outbound(text, Choice("overall:5", "5 ⭐")), key="long-1")
    parts = bot_api.received("sendMessage", DEWI)
    assert len(parts) > 1
    assert all(utf16_len(p["text"]) <= 4096 for p in parts)
    assert [("reply_markup" in p) for p in parts] == [False] * (len(parts) - 1) + [True]
    sent = "".join(p["text"] for p in parts)
    assert "".join(sent.split()) == "".join(text.split())  # nothing lost but the breaks
    assert sum(p["text"].count("🙏") for p in parts) == text.count("🙏")


async def test_a_retry_after_a_failed_part_does_not_send_earlier_parts_again(
    bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    text = "\n\n".join(f"Bagian {n}: " + "x" * 3000 for n in range(1, 4))
    bot_api.too_many_requests(retry_after=1, skip=1)  # the second part is refused
    with pytest.raises(RateLimited) as refused:
        await telegram.send(outbound(text), key="conv:1:1:0")
    assert refused.value.retry_after == 1
    provider_id = await telegram.send(outbound(text), key="conv:1:1:0")
    sent = [p["text"][:8] for p in bot_api.received("sendMessage", DEWI)]
    assert sent == ["Bagian 1", "Bagian 2", "Bagian 3"]
    assert provider_id is not None and provider_id.startswith(f"{DEWI}:")


async def test_button_payloads_longer_than_64_bytes_still_come_back_as_the_choice(
    bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    long_choice = Choice("size:" + "très-grand-" * 8, "Très grand")
    await telegram.send(outbound("Taille ?", long_choice, Choice("size:s", "Petit")), key="k")
    message = bot_api.last_message(DEWI)
    buttons = [row[0] for row in message["reply_markup"]["inline_keyboard"]]
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_DATA for b in buttons)
    assert buttons[1]["callback_data"] == "size:s"

    tapped = parse_update(tap_update(DEWI, message, buttons[0]["callback_data"]))
    assert isinstance(tapped, CallbackUpdate) and tapped.inbound is not None
    assert tapped.inbound.text == "Très grand" and tapped.inbound.choice is None


async def test_user_text_goes_out_as_plain_text_exactly(
    bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    tricky = "Kode: *LUNA_10* [promo](x) <b>50%</b> \\ ` ~ _"
    await telegram.send(outbound(tricky), key="plain")
    sent = bot_api.received("sendMessage", DEWI)[0]
    assert sent["text"] == tricky and "parse_mode" not in sent


async def test_a_blocked_bot_and_a_lost_network_become_postlive_errors(
    bot_api: FakeBotApi, telegram: TelegramSender, settings: Settings
) -> None:
    bot_api.block(DEWI)
    with pytest.raises(RecipientUnreachable) as blocked:
        await telegram.send(outbound("halo"), key="b")
    assert blocked.value.reason == "blocked the bot"

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    offline = TelegramSender(LoopBot(settings.model_copy(update={"telegram_api_url": closed})))
    with pytest.raises(TransientDeliveryError) as lost:
        await offline.send(outbound("halo"), key="n")
    assert bot_api.token not in str(lost.value)


async def test_the_pace_is_one_message_per_second_per_chat_and_30_per_second_overall() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    settings = Settings(_env_file=None, telegram_bot_token="1:x")  # type: ignore[call-arg]
    limiter = RateLimiter(channel_limits(settings), now=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await limiter.acquire("telegram", "chat-a")
    assert now[0] == pytest.approx(2.0)  # 0 s, 1 s, 2 s

    now[0], slept[:] = 100.0, []
    for n in range(60):
        await limiter.acquire("telegram", f"chat-{n}")
    assert now[0] - 100.0 == pytest.approx(59 / 30)  # sixty chats: two seconds


def test_split_never_breaks_an_emoji_or_a_word_when_it_can_help_it() -> None:
    family = "👩\u200d👩\u200d👧\u200d👦"
    pieces = split_text(family * 1000, limit=100)
    assert "".join(pieces) == family * 1000
    assert all(piece.startswith("👩") and piece.endswith("👦") for piece in pieces)
    words = split_text("kata " * 100, limit=50)
    assert all(not p.endswith("kat") and utf16_len(p) <= 50 for p in words)
