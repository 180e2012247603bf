"""Telegram customers through POST /webhooks/telegram: the real web app, PTB, database,
engine and outbox, with a local fake Bot API standing in for Telegram."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from adapters.telegram import TelegramSender
from adapters.telegram.updates import MessageUpdate, parse_update
from bot.bootstrap import App, build
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.messages import Channel, Media
from bot.models import Answer, Contact, Conversation, ConversationState, Coupon, InboundEvent
from bot.settings import Settings
from bot.web import create_app
from tests.conftest import add_contact, deliver
from tests.handling import HandlingTestClient
from tests.integration.telegram.builders import (
    member_update,
    message_update,
    photo_sizes,
    post_update,
    tap_update,
)
from tests.integration.telegram.fake_bot_api import FILE_BYTES, FakeBotApi
from tests.integration.test_survey_journey import start_campaign

DEWI = "700100200"
pytestmark = pytest.mark.timeout(60)


def events(app: App) -> int:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(InboundEvent)).one()


def contact(app: App, address: str) -> Contact:
    with session_scope(app.engine) as session:
        return session.exec(
            select(Contact).where(Contact.channel == Channel.TELEGRAM, Contact.address == address)
        ).one()


def start_indonesian_survey(app: App) -> None:
    add_contact(
        app,
        DEWI,
        channel=Channel.TELEGRAM,
        locale="id",
        country="ID",
        timezone="Asia/Jakarta",
    )
    app.clock.advance(hours=11)  # 19:00 in Jakarta: inside the Indonesian evening window
    start_campaign(app)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "s3cret-webhook_token "])
def test_a_call_without_the_right_secret_is_refused_and_nothing_is_stored(
    app: App, client: TestClient, secret: str | None
) -> None:
    assert post_update(client, message_update(DEWI, "halo"), secret=secret) == 403
    assert events(app) == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"update_id": "7"}', b'{"update_id": 7, "message": {"text": 1}}'],
)
def test_a_malformed_update_gets_400_not_500(app: App, client: TestClient, body: bytes) -> None:
    response = client.post(
        "/webhooks/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook_token"},
    )
    assert response.status_code == 400
    assert events(app) == 0


def test_a_redelivered_update_is_handled_once(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    update = message_update(DEWI, "Halo, pesanan saya di mana?")
    assert post_update(client, update) == 200
    assert post_update(client, update) == 200
    deliver(app)
    assert events(app) == 1
    replies = bot_api.received("sendMessage", DEWI)
    assert len(replies) == 1 and "Terima kasih atas pesannya" in replies[0]["text"]
    assert contact(app, DEWI).locale == "id"  # seeded from from.language_code


def test_an_indonesian_customer_answers_with_buttons_and_words_and_gets_a_coupon(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    start_indonesian_survey(app)
    intro = bot_api.last_message(DEWI)
    assert "Kak, seberapa puas kamu" in intro["text"]
    rating_keyboard = intro["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in rating_keyboard] == [
        "overall:5",
        "overall:4",
        "overall:3",
        "overall:2",
        "overall:1",
    ]
    assert "parse_mode" not in bot_api.received("sendMessage", DEWI)[0]

    assert post_update(client, tap_update(DEWI, intro, "overall:4")) == 200
    assert len(bot_api.received("answerCallbackQuery")) == 1
    marked = bot_api.received("editMessageReplyMarkup", DEWI)[0]
    assert marked["message_id"] == str(intro["message_id"])
    assert marked["reply_markup"]["inline_keyboard"] == [
        [{"text": "✓ 4 ⭐⭐⭐⭐", "callback_data": "-"}]
    ]
    deliver(app)
    product = bot_api.last_message(DEWI)
    assert [row[0]["text"] for row in product["reply_markup"]["inline_keyboard"]][0] == (
        "Suka banget"
    )

    post_update(client, tap_update(DEWI, product, "product:love"))
    deliver(app)
    problems = bot_api.last_message(DEWI)
    assert "1. Nggak ada masalah" in problems["text"]  # several picks: typed as numbers
    post_update(client, message_update(DEWI, "2, 4"))
    deliver(app)
    post_update(client, message_update(DEWI, "Warnanya agak beda dari yang di live, Kak"))
    deliver(app)
    photo_question = bot_api.last_message(DEWI)
    assert "kirim fotonya" in photo_question["text"]
    post_update(client, message_update(DEWI, photo=photo_sizes(), caption="ini fotonya"))
    deliver(app)

    with session_scope(app.engine) as session:
        conversation = session.exec(select(Conversation)).one()
        answers = {a.question_id: a for a in session.exec(select(Answer)).all()}
        coupon = session.exec(select(Coupon).where(Coupon.conversation_id.is_not(None))).one()  # type: ignore[union-attr]
    assert conversation.state == ConversationState.COMPLETED
    assert answers["overall"].value == "4"
    assert answers["product"].value == "love"
    assert answers["problems"].value == "late,colour"
    assert answers["improve"].raw_text == "Warnanya agak beda dari yang di live, Kak"
    photo = answers["photo"].media[0]
    assert photo["url"] == "tg-file:AgAC-large" and photo["content_type"] == "image/jpeg"
    assert bot_api.received("getFile")[0]["file_id"] == "AgAC-large"
    kept = Path(photo["stored_at"])  # downloaded into MEDIA_DIR, token nowhere in the row
    assert kept.is_relative_to(Path(app.settings.media_dir).resolve())
    assert kept.read_bytes() == FILE_BYTES + b"photos/AgAC-large.jpg"
    assert bot_api.token not in str(answers["photo"].media)
    thanks = bot_api.last_message(DEWI)["text"]
    assert coupon.code in thanks
    assert app.flows["post-live"].text("thank_you", "id") in thanks
    assert len(bot_api.received("sendMessage", DEWI)) == 6  # each question once, no repeats


def test_a_second_tap_on_an_answered_keyboard_only_gets_an_ack(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    start_indonesian_survey(app)
    intro = bot_api.last_message(DEWI)
    post_update(client, tap_update(DEWI, intro, "overall:5"))
    answered = {
        **intro,
        "reply_markup": {"inline_keyboard": [[{"text": "✓", "callback_data": "-"}]]},
    }
    post_update(client, tap_update(DEWI, answered, "-"))
    deliver(app)
    assert len(bot_api.received("answerCallbackQuery")) == 2
    assert events(app) == 1
    assert len(bot_api.received("sendMessage", DEWI)) == 2  # intro, then the next question


def test_a_customer_who_blocks_the_bot_is_marked_unreachable_and_back_when_unblocked(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    start_indonesian_survey(app)
    assert post_update(client, member_update(DEWI, "kicked")) == 200
    assert contact(app, DEWI).unreachable_reason == "blocked the bot"
    assert post_update(client, member_update(DEWI, "member")) == 200
    assert contact(app, DEWI).unreachable_reason is None
    with session_scope(app.engine) as session:
        kinds = session.exec(select(InboundEvent.kind, InboundEvent.status)).all()
    assert kinds == [("my_chat_member", "handled"), ("my_chat_member", "handled")]


def test_a_send_refused_with_403_marks_the_contact_unreachable(
    app: App, client: TestClient, bot_api: FakeBotApi, telegram: TelegramSender
) -> None:
    start_indonesian_survey(app)
    intro = bot_api.last_message(DEWI)
    bot_api.block(DEWI)
    post_update(client, tap_update(DEWI, intro, "overall:3"))
    deliver(app)
    assert contact(app, DEWI).unreachable_reason == "blocked the bot"
    assert bot_api.received("sendMessage", DEWI, ok=False)
    deliver(app)
    assert len(bot_api.received("sendMessage", DEWI, ok=False)) == 1  # never retried


def test_a_group_chat_is_acknowledged_and_ignored(app: App, client: TestClient) -> None:
    update = message_update(DEWI, "halo")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "fans"}
    assert post_update(client, update) == 200
    assert events(app) == 0


def test_without_a_configured_secret_every_call_is_refused(
    settings: Settings, clock: FrozenClock
) -> None:
    unguarded = build(settings.model_copy(update={"telegram_webhook_secret": None}), clock=clock)
    with HandlingTestClient(create_app(unguarded), intake=unguarded.intake) as test_client:
        assert post_update(test_client, message_update(DEWI, "halo")) == 403
    assert events(unguarded) == 0
    unguarded.engine.dispose()


def test_a_voice_note_with_a_caption_is_read_as_audio_and_text() -> None:
    voice = {"file_id": "AwAC-voice", "file_unique_id": "v", "duration": 3}
    parsed = parse_update(message_update(DEWI, voice=voice, caption="dengar ini ya"))
    assert isinstance(parsed, MessageUpdate)
    assert parsed.inbound.text == "dengar ini ya"
    assert parsed.inbound.media == (Media("tg-file:AwAC-voice", "audio/ogg"),)
    assert parsed.inbound.profile_name == "Dewi Lestari"
    assert parsed.inbound.language_hint == "id"
