"""POST /webhooks/whatsapp: only Twilio gets in, every message is stored once, the
answer is an empty TwiML document and the reply leaves through the REST API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from adapters.whatsapp.webhook import EMPTY_TWIML
from bot.bootstrap import App, build
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.handling import handle_all
from bot.models import Contact, InboundEvent, Outbox
from bot.settings import Settings
from bot.web import create_app
from tests.handling import HandlingTransport
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import ALICE, INBOUND, PUBLIC, SENDER, count, drain

pytestmark = pytest.mark.timeout(60)


async def test_a_signed_message_is_stored_acknowledged_and_answered_through_the_api(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    form = twilio.inbound_form(ALICE, "hello there", profile="Alice Doe")
    response = await twilio.post(web, INBOUND, form)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    with session_scope(app.engine) as session:
        event = session.exec(select(InboundEvent)).one()
        alice = session.exec(select(Contact).where(Contact.address == ALICE)).one()
    assert event.external_id == form["MessageSid"]
    assert event.status == "handled"  # by the handler, after the ack
    assert event.payload["text"] == "hello there"
    assert event.payload["extras"]["WaId"] == ALICE.lstrip("+")
    assert alice.name == "Alice Doe" and alice.channel == "whatsapp"

    await drain(app)
    [reply] = twilio.sent_to(ALICE)
    assert reply.from_ == SENDER and reply.to == f"whatsapp:{ALICE}"
    assert reply.body and reply.content_sid is None  # inside the window: free-form


async def test_the_ack_is_the_record_alone_and_handling_follows_apart(
    app: App, twilio: FakeTwilio
) -> None:
    transport = httpx.ASGITransport(app=create_app(app))  # no handler runs in this app
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as web:
        for text in ("hello", "are you there?"):
            response = await twilio.post(web, INBOUND, twilio.inbound_form(ALICE, text))
            assert response.status_code == 200 and response.text == EMPTY_TWIML
    with session_scope(app.engine) as session:
        events = session.exec(select(InboundEvent).order_by(InboundEvent.id)).all()
        nobody = session.exec(select(Contact)).all()
    assert [e.status for e in events] == ["received", "received"]  # durable, not handled
    assert nobody == []  # the ack touched nothing but the event table
    assert count(app, Outbox) == 0

    assert await handle_all(app.intake) == 2
    await drain(app)
    assert len(twilio.sent_to(ALICE)) == 2  # each message answered, in order


async def test_signature_is_checked_against_the_public_url_behind_a_proxy(
    app: App, twilio: FakeTwilio
) -> None:
    # The proxy terminates TLS and forwards to http://10.0.0.7:8000; Twilio signed the
    # public https URL, and that is what must be checked.
    transport = HandlingTransport(app=create_app(app), intake=app.intake)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.7:8000") as inside:
        form = twilio.inbound_form(ALICE, "hi")
        signature = twilio.sign(INBOUND, form)
        response = await inside.post(
            "/webhooks/whatsapp", data=form, headers={"X-Twilio-Signature": signature}
        )
    assert response.status_code == 200
    assert count(app, InboundEvent) == 1


@pytest.mark.parametrize(
    "forgery",
    ["tampered_body", "tampered_sender", "wrong_url", "other_token", "missing_header", "empty"],
)
async def test_forged_or_unsigned_requests_get_403_and_store_nothing(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio, forgery: str
) -> None:
    form = twilio.inbound_form(ALICE, "5")
    signature = twilio.sign(INBOUND, form)
    headers = {"X-Twilio-Signature": signature}
    if forgery == "tampered_body":
        form["Body"] = "1"
    elif forgery == "tampered_sender":
        form["From"] = "whatsapp:+12125550199"
    elif forgery == "wrong_url":
        headers["X-Twilio-Signature"] = twilio.sign(
            "https://evil.example.com/webhooks/whatsapp", form
        )
    elif forgery == "other_token":
        headers["X-Twilio-Signature"] = twilio.sign(INBOUND, form, token="someone-elses-token")
    elif forgery == "missing_header":
        headers = {}
    elif forgery == "empty":
        headers["X-Twilio-Signature"] = ""

    response = await web.post(INBOUND, data=form, headers=headers)

    assert response.status_code == 403
    assert count(app, InboundEvent) == 0
    assert count(app, Contact) == 0


async def test_a_duplicate_delivery_is_acknowledged_and_handled_once(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    form = twilio.inbound_form(ALICE, "hello")
    first = await twilio.post(web, INBOUND, form)
    again = await twilio.post(web, INBOUND, form)
    await drain(app)

    assert first.status_code == again.status_code == 200
    assert again.text == EMPTY_TWIML
    assert count(app, InboundEvent) == 1
    assert len(twilio.sent_to(ALICE)) == 1


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"Body": "hi"}', "application/json"),
        (b"Body=%FF%FE&From=whatsapp%3A%2B12125550101", "application/x-www-form-urlencoded"),
        (b"Body=a&Body=b", "application/x-www-form-urlencoded"),
        (b"Body=a&&&garbage", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
    ],
)
async def test_a_malformed_body_gets_400_and_nothing_is_stored(
    app: App, web: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await web.post(
        INBOUND,
        content=content,
        headers={"Content-Type": content_type, "X-Twilio-Signature": "c2lnbmF0dXJl"},
    )
    assert response.status_code == 400
    assert count(app, InboundEvent) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"From": "+12125550101"},  # an SMS, not WhatsApp
        {"From": "whatsapp:+12"},
        {"NumMedia": "two"},
        {"NumMedia": "1"},  # and no MediaUrl0
        {"MessageSid": "", "SmsMessageSid": ""},
        {"MessageSid": "SM../../etc/passwd", "SmsMessageSid": ""},
    ],
)
async def test_a_signed_but_impossible_message_gets_400(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio, change: dict[str, str]
) -> None:
    form = {**twilio.inbound_form(ALICE, "hi"), **change}
    response = await twilio.post(web, INBOUND, form)
    assert response.status_code == 400
    assert count(app, InboundEvent) == 0


async def test_odd_unicode_is_kept_as_the_customer_wrote_it(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    text = "٥ ⭐⭐⭐⭐⭐ \u200fمرحبا\u200f 👩‍👩‍👧 Zoë\x00"
    response = await twilio.post(web, INBOUND, twilio.inbound_form(ALICE, text, profile="𝔄𝔩𝔦𝔠𝔢"))
    assert response.status_code == 200
    with session_scope(app.engine) as session:
        event = session.exec(select(InboundEvent)).one()
    assert event.payload["text"] == text.replace("\x00", "")
    assert event.payload["profile_name"] == "𝔄𝔩𝔦𝔠𝔢"


async def test_a_huge_body_gets_413(web: httpx.AsyncClient, twilio: FakeTwilio) -> None:
    form = twilio.inbound_form(ALICE, "x" * 300_000)
    response = await twilio.post(web, INBOUND, form)
    assert response.status_code == 413


async def test_with_the_channel_off_the_routes_say_so(
    database_url: str, tmp_path: Path, clock: FrozenClock, twilio: FakeTwilio
) -> None:
    settings = Settings(_env_file=None, database_url=database_url, public_base_url=PUBLIC)  # type: ignore[call-arg]
    off = build(settings, clock=clock)
    try:
        assert "whatsapp" not in off.senders
        transport = httpx.ASGITransport(app=create_app(off))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
            for path in ("/webhooks/whatsapp", "/webhooks/whatsapp/status"):
                response = await twilio.post(client, PUBLIC + path, twilio.inbound_form(ALICE))
                assert response.status_code == 503
                assert "TWILIO_AUTH_TOKEN" in response.text
        assert count(off, InboundEvent) == 0
    finally:
        off.engine.dispose()
