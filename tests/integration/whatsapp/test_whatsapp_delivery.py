"""Messages out through the twilio SDK: templates and the 24-hour window, delivery
statuses, unsubscribes, bad numbers and rate limits, against a fake Twilio."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.bootstrap import App
from bot.db import session_scope
from bot.models import (
    Contact,
    Conversation,
    ConversationState,
    InboundEvent,
    Outbox,
    OutboxStatus,
)
from bot.status import campaign_report
from tests.conftest import add_contact
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import (
    ALICE,
    INBOUND,
    STATUS,
    contact,
    drain,
    outbox_rows,
    start_campaign,
)

pytestmark = pytest.mark.timeout(60)


def conversation_state(app: App) -> str:
    with session_scope(app.engine) as session:
        return session.exec(select(Conversation)).one().state


async def write_first(app: App, web: httpx.AsyncClient, twilio: FakeTwilio, text: str) -> None:
    """The customer writes to the shop before the survey: their 24-hour window opens."""
    response = await twilio.post(web, INBOUND, twilio.inbound_form(ALICE, text))
    assert response.status_code == 200
    await drain(app)


# -- templates and the 24-hour window ---------------------------------------------------


async def test_the_reminder_outside_the_window_is_the_reminder_template(
    app: App, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    app.clock.advance(hours=21)  # silence: one reminder is due
    app.dispatcher.run_once()
    await drain(app)
    intro, reminder = twilio.sent_to(ALICE)
    flow = app.flows["post-live"]
    assert intro.content_sid == flow.template("intro", "en-US")
    assert reminder.content_sid == flow.template("reminder", "en-US")
    assert reminder.content_variables == {"1": "Winter Knits"}
    assert reminder.body is None


async def test_inside_the_window_the_intro_is_free_text_and_keeps_its_template(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await write_first(app, web, twilio, "hi, when is the next live?")
    await start_campaign(app)
    intro = twilio.sent_to(ALICE)[-1]
    assert intro.content_sid is None
    assert intro.body is not None and "Winter Knits" in intro.body
    assert intro.body.endswith("5 ⭐⭐⭐⭐⭐\n4 ⭐⭐⭐⭐\n3 ⭐⭐⭐\n2 ⭐⭐\n1 ⭐")
    row = outbox_rows(app, ALICE)[-1]
    assert row.payload["template"]["ref"] == app.flows["post-live"].template("intro", "en-US")


async def test_window_closed_status_resends_once_through_the_template(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await write_first(app, web, twilio, "hi")
    campaign_id = await start_campaign(app)
    free_text = twilio.sent_to(ALICE)[-1]

    # WhatsApp refuses it after all: the window had closed by the time it went out.
    assert (await twilio.report(web, free_text.sid, "failed", 63016)).status_code == 200
    await drain(app)
    template = twilio.sent_to(ALICE)[-1]
    assert template.content_sid == app.flows["post-live"].template("intro", "en-US")
    assert template.content_variables == {"1": "Winter Knits"}
    row = outbox_rows(app, ALICE)[-1]
    assert row.status == OutboxStatus.SENT and row.provider_id == template.sid

    # A late status of the refused attempt no longer matches the row.
    await twilio.report(web, free_text.sid, "failed", 63016)
    # Once only: the template refused too is a visible failure, not another resend.
    await twilio.report(web, template.sid, "failed", 63016)
    await drain(app)
    assert twilio.sent_to(ALICE)[-1] is template
    row = outbox_rows(app, ALICE)[-1]
    assert row.status == OutboxStatus.FAILED and row.error_code == "63016"
    assert "template resend failed" in (row.last_error or "")
    assert conversation_state(app) == ConversationState.FAILED
    with session_scope(app.engine) as session:
        failures = campaign_report(session, campaign_id).failures
    assert any("63016" in why for why in failures)


async def test_window_closed_without_a_template_fails_with_the_reason(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    await write_first(app, web, twilio, "hello?")  # no survey: a plain reply goes out
    [reply] = twilio.sent_to(ALICE)
    await twilio.report(web, reply.sid, "undelivered", 63016)
    await drain(app)
    [row] = outbox_rows(app, ALICE)
    assert row.status == OutboxStatus.FAILED and row.error_code == "63016"
    assert "no approved template" in (row.last_error or "")
    assert len(twilio.sent_to(ALICE)) == 1


# -- delivery statuses -----------------------------------------------------------------


async def test_statuses_only_move_forward(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    [intro] = twilio.sent_to(ALICE)
    for status in ("sent", "read", "delivered", "sent", "queued"):
        response = await twilio.report(web, intro.sid, status)
        assert response.status_code == 200
    [row] = outbox_rows(app, ALICE)
    assert row.status == OutboxStatus.READ
    assert row.delivered_at is not None
    # A message the customer has read did not fail, whatever arrives late.
    await twilio.report(web, intro.sid, "failed", 30008)
    assert outbox_rows(app, ALICE)[0].status == OutboxStatus.READ


async def test_a_status_without_a_receipt_gives_an_orphan_row_its_sid_through_the_handler(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    [intro] = twilio.sent_to(ALICE)
    # The worker died between Twilio's acceptance and its own commit: the row is still
    # `sending`, without the MessageSid.
    with session_scope(app.engine) as session:
        session.execute(update(Outbox).values(status=OutboxStatus.SENDING, provider_id=None))
    response = await twilio.report(web, intro.sid, "queued")  # no receipt is kept of it
    assert response.status_code == 200
    with session_scope(app.engine) as session:
        recorded = session.exec(
            select(InboundEvent.kind, InboundEvent.status).where(
                InboundEvent.external_id == f"{intro.sid}:queued"
            )
        ).all()
    assert recorded == [("provider_id", "handled")]  # one insert at the ack, then handled
    [row] = outbox_rows(app, ALICE)
    assert (row.status, row.provider_id) == (OutboxStatus.SENDING, intro.sid)


async def test_a_forged_status_changes_nothing(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    [intro] = twilio.sent_to(ALICE)
    form = twilio.status_form(intro.sid, "failed", 21610)
    forged = twilio.sign(STATUS, form, token="not-the-auth-token")
    response = await twilio.post(web, STATUS, form, signature=forged)
    assert response.status_code == 403
    assert contact(app, ALICE).opted_out_at is None
    assert outbox_rows(app, ALICE)[0].status == OutboxStatus.SENT


async def test_a_status_without_a_status_is_refused(
    web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    form = {"MessageSid": "SM" + "a" * 32, "AccountSid": twilio.account_sid}
    response = await twilio.post(web, INBOUND + "/status", form)
    assert response.status_code == 400


# -- unsubscribed and unreachable -----------------------------------------------------


async def test_an_unsubscribed_customer_is_opted_out_and_gets_nothing_more(
    app: App, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    twilio.refuse_to(ALICE, 21610, "Attempt to send to unsubscribed recipient")
    await start_campaign(app)
    alice = contact(app, ALICE)
    assert alice.opted_out_at is not None
    assert alice.unreachable_reason == "unsubscribed (21610)"
    assert conversation_state(app) == ConversationState.OPTED_OUT
    [row] = outbox_rows(app, ALICE)
    assert row.status == OutboxStatus.FAILED and "21610" in (row.last_error or "")

    app.clock.advance(hours=30)
    app.dispatcher.run_once()
    await drain(app)
    assert len(twilio.create_requests()) == 1
    assert twilio.messages == []


async def test_unsubscribed_reported_by_status_opts_the_customer_out(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    [intro] = twilio.sent_to(ALICE)
    await twilio.report(web, intro.sid, "failed", 21610)
    assert contact(app, ALICE).opted_out_at is not None
    assert conversation_state(app) == ConversationState.OPTED_OUT
    app.clock.advance(hours=30)
    app.dispatcher.run_once()
    await drain(app)
    assert len(twilio.create_requests()) == 1


@pytest.mark.parametrize("code", [21211, 21614, 63003])
async def test_a_number_not_on_whatsapp_marks_the_contact_unreachable(
    app: App, twilio: FakeTwilio, code: int
) -> None:
    add_contact(app, ALICE)
    twilio.refuse_to(ALICE, code)
    await start_campaign(app)
    alice = contact(app, ALICE)
    assert alice.unreachable_reason == f"invalid or not a WhatsApp number ({code})"
    assert alice.opted_out_at is None
    assert conversation_state(app) == ConversationState.FAILED  # no reminder will follow
    [row] = outbox_rows(app, ALICE)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1


async def test_an_invalid_number_reported_by_status_fails_the_conversation(
    app: App, web: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    [intro] = twilio.sent_to(ALICE)
    await twilio.report(web, intro.sid, "undelivered", 63024)
    assert contact(app, ALICE).unreachable_reason == "invalid address on whatsapp (63024)"
    assert conversation_state(app) == ConversationState.FAILED
    [row] = outbox_rows(app, ALICE)
    assert row.status == OutboxStatus.FAILED and row.error_code == "63024"


# -- rate limits and outages -----------------------------------------------------------


async def test_a_429_burst_is_retried_with_no_duplicate_and_no_loss(
    app: App, twilio: FakeTwilio
) -> None:
    customers = [f"+1212555{n:04d}" for n in range(6)]
    for address in customers:
        add_contact(app, address)
    twilio.refuse_next(4, retry_after="3")
    await start_campaign(app)
    assert len(twilio.messages) == 2  # the other four wait for Retry-After
    with session_scope(app.engine) as session:
        waiting = session.exec(select(Outbox).where(Outbox.status == "pending")).all()
    assert len(waiting) == 4 and all("rate limited" in (r.last_error or "") for r in waiting)

    app.clock.advance(seconds=3)
    await drain(app)
    assert sorted(m.to for m in twilio.messages) == sorted(f"whatsapp:{a}" for a in customers)
    assert twilio.duplicates() == 0
    assert len(twilio.create_requests()) == 10


async def test_a_429_without_retry_after_and_a_503_back_off_and_then_go_out(
    app: App, twilio: FakeTwilio
) -> None:
    add_contact(app, ALICE)
    add_contact(app, "+12125550102")
    twilio.refuse_next(1, status=429, code=20429, retry_after=None)
    twilio.refuse_next(1, status=503, code=20503, message="Service Unavailable", retry_after=None)
    await start_campaign(app)
    assert twilio.messages == []
    for _ in range(3):  # jittered backoff: at most a few seconds for a first retry
        app.clock.advance(seconds=30)
        await drain(app)
    assert len(twilio.messages) == 2 and twilio.duplicates() == 0
    with session_scope(app.engine) as session:
        rows = session.exec(select(Outbox)).all()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert {r.attempts for r in rows} == {2}


async def test_a_contact_keeps_its_address_format(app: App, twilio: FakeTwilio) -> None:
    add_contact(app, ALICE)
    await start_campaign(app)
    with session_scope(app.engine) as session:
        stored = session.exec(select(Contact)).one()
    assert stored.address == ALICE
    assert twilio.messages[0].to == f"whatsapp:{ALICE}"
