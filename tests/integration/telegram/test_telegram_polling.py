"""Long polling (`postlive serve --telegram-polling`): getUpdates feeds the same path as the
webhook, against the local fake Bot API."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import func, select

from adapters.telegram import TelegramSender
from adapters.telegram.client import LoopBot
from adapters.telegram.polling import poll_once, run_polling
from bot.bootstrap import App, build
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.handling import handle_all
from bot.join import register_show
from bot.models import AudienceMember, Contact, InboundEvent
from bot.settings import Settings
from tests.integration.telegram.builders import member_update, message_update
from tests.integration.telegram.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.timeout(60)
VIEWER = "700777001"


def count_events(app: App) -> int:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(InboundEvent)).one()


async def until(condition: object, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await asyncio.to_thread(condition):  # type: ignore[arg-type]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_polling_handles_updates_from_get_updates_like_the_webhook(
    app: App, bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    with session_scope(app.engine) as session:
        register_show(session, "LUNA1125", "show-1125", "Winter Knits", app.clock.now())
    # Pressing Start: Telegram sends the membership change, then the "/start CODE" message.
    started = member_update(VIEWER, "member")
    joined = message_update(VIEWER, "/start LUNA1125", language="pt-br")
    for update in (started, joined, joined):  # the message twice, as after a lost ack
        bot_api.push_update(update)

    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(app, stop=stop, timeout=1))
    await until(lambda: count_events(app) == 2)
    await until(lambda: len(bot_api.received("getUpdates")) >= 2)
    stop.set()
    handled = await asyncio.wait_for(polling, timeout=5)
    await handle_all(app.intake)  # the serving process's handler loop, after the acks

    assert handled == 3
    methods = [c.method for c in bot_api.calls]
    assert methods[0] == "deleteWebhook" and "getUpdates" in methods[1:]
    # Everything handled was confirmed: the next round asked from after the last update.
    assert int(bot_api.received("getUpdates")[-1]["offset"]) == joined["update_id"] + 1
    with session_scope(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.address == VIEWER)).one()
        tags = session.exec(select(AudienceMember.tag)).all()
    assert contact.consent_source == "join:telegram" and tags == ["show-1125"]
    assert contact.locale == "pt-BR" and contact.unreachable_reason is None

    report = await deliver_due(app.engine, app.senders, app.clock)
    assert report.sent == 1
    assert "Prontinho" in bot_api.last_message(VIEWER)["text"]


async def test_an_update_that_cannot_be_recorded_is_not_confirmed_and_comes_again(
    app: App, settings: Settings, bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    update = message_update(VIEWER, "halo")
    bot_api.push_update(update)
    bot = LoopBot(app.settings).get()
    # The same bot with its database down: an App built on a database it cannot reach.
    gone = settings.model_copy(update={"database_url": "sqlite:////nonexistent-dir/x.db"})
    down = build(gone, clock=app.clock, migrate=False, senders=app.senders)
    first = await poll_once(down, bot, offset=None)
    assert first.stalled and first.offset is None and first.handled == 0

    # Back up: the same update comes again and is kept.
    second = await poll_once(app, bot, offset=first.offset)
    assert second.handled == 1 and second.offset == update["update_id"] + 1
    assert await asyncio.to_thread(count_events, app) == 1
