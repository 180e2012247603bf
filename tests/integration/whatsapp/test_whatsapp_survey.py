"""A customer answers the whole survey on WhatsApp: signed webhooks in, the real twilio
SDK out to a fake Twilio, the real engine, database and outbox in between."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.bootstrap import App
from bot.db import session_scope
from bot.flows import pick
from bot.models import Answer, Conversation, ConversationState, Coupon
from bot.web import create_app
from tests.conftest import add_contact
from tests.handling import HandlingTransport
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import (
    ALICE,
    INBOUND,
    PUBLIC,
    SENDER,
    STATUS,
    drain,
    start_campaign,
)

pytestmark = pytest.mark.timeout(60)


async def answer(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio, text: str = "", **kw: object
) -> None:
    response = await twilio.post(web, INBOUND, twilio.inbound_form(ALICE, text, **kw))  # type: ignore[arg-type]
    assert response.status_code == 200
    await drain(app)


async def test_a_customer_answers_on_whatsapp_and_gets_one_coupon_and_thanks(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)

    # The intro is business-initiated: the flow's approved template, in en-US.
    [intro] = twilio.sent_to(ALICE)
    assert intro.content_sid == app.flows["post-live"].template("intro", "en-US")
    assert intro.content_variables == {"1": "Winter Knits"}
    assert intro.body is None
    assert intro.from_ == SENDER and intro.to == f"whatsapp:{ALICE}"
    assert (intro.status_callback or "").startswith(STATUS + "?outbox=")

    await answer(app, web, twilio, "4")
    product = twilio.sent_to(ALICE)[-1]
    assert product.content_sid is None  # a reply inside the window: free-form text
    choices = app.flows["post-live"].question("product").choices
    listed = "\n".join(f"{n}. {pick(c.text, 'en-US', 'en')}" for n, c in enumerate(choices, 1))
    assert product.body is not None and product.body.endswith(listed)

    await answer(app, web, twilio, "1")
    await answer(app, web, twilio, "late and damaged")
    await answer(app, web, twilio, "The colour looked brighter on the stream")
    photo = twilio.add_media(b"\xff\xd8\xff\xe0 a jpeg", "image/jpeg")
    await answer(app, web, twilio, media=((photo, "image/jpeg"),))

    with session_scope(app.engine) as session:
        conversation = session.exec(select(Conversation)).one()
        answers = {a.question_id: a for a in session.exec(select(Answer)).all()}
        coupons = session.exec(select(Coupon).where(Coupon.conversation_id.is_not(None))).all()  # type: ignore[union-attr]
    assert conversation.state == ConversationState.COMPLETED
    assert answers["overall"].value == "4"
    assert answers["product"].value == "love"
    assert answers["problems"].value == "late,damaged"
    assert len(coupons) == 1

    thanks = twilio.sent_to(ALICE)[-1]
    flow = app.flows["post-live"]
    assert thanks.body is not None
    assert coupons[0].code in thanks.body
    assert flow.text("thank_you", "en-US") in thanks.body
    assert thanks.from_ == SENDER and thanks.to == f"whatsapp:{ALICE}"
    assert twilio.duplicates() == 0
    assert all(r.authorized for r in twilio.create_requests())

    # The photo was fetched with the account's credentials, and kept on our disk.
    [kept] = answers["photo"].media
    assert kept["url"] == photo
    assert kept["stored_at"] and Path(kept["stored_at"]).read_bytes() == b"\xff\xd8\xff\xe0 a jpeg"
    assert Path(kept["stored_at"]).is_relative_to(Path(app.settings.media_dir).resolve())
    assert twilio.leaked_auth == []  # the token never went to the storage host


async def test_a_tapped_quick_reply_is_read_from_its_payload(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    await answer(app, web, twilio, "", ButtonPayload="overall:5", ButtonText="5 ⭐⭐⭐⭐⭐")
    with session_scope(app.engine) as session:
        overall = session.exec(select(Answer)).one()
    assert overall.value == "5"
    assert overall.raw_text == "5 ⭐⭐⭐⭐⭐"


async def test_a_photo_at_a_dead_url_keeps_the_url_and_breaks_nothing(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    for text in ("2", "1", "damaged", "skip"):
        await answer(app, web, twilio, text)
    dead = f"{twilio.base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages/MMx/Media/MEgone"
    await answer(app, web, twilio, media=((dead, "image/jpeg"),))
    with session_scope(app.engine) as session:
        photo = session.exec(select(Answer).where(Answer.question_id == "photo")).one()
        state = session.exec(select(Conversation)).one().state
    assert photo.media == [{"url": dead, "content_type": "image/jpeg", "stored_at": None}]
    assert state == ConversationState.COMPLETED  # the thank-you did not wait for the file


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"MZ\x90\x00 an .exe", "application/x-msdownload"), (b"x" * 2048, "image/png")],
)
async def test_media_of_the_wrong_type_or_too_large_is_not_kept(
    app: App, twilio: FakeTwilio, data: bytes, content_type: str
) -> None:
    app.settings.media_max_bytes = 1024
    transport = HandlingTransport(app=create_app(app), intake=app.intake)
    add_contact(app, ALICE)
    await start_campaign(app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as web:
        for text in ("2", "1", "damaged", "skip"):
            await answer(app, web, twilio, text)
        url = twilio.add_media(data, content_type)
        await answer(app, web, twilio, media=((url, "image/png"),))
    with session_scope(app.engine) as session:
        photo = session.exec(select(Answer).where(Answer.question_id == "photo")).one()
    assert photo.media[0]["stored_at"] is None
    assert not any(Path(app.settings.media_dir).rglob("*.*"))
