"""A customer's whole journey through the real engine, database, outbox and dispatcher,
with the simulator standing in for WhatsApp."""

from __future__ import annotations

from sqlmodel import func, select

from adapters.simulator import SimulatorChannel
from bot import campaigns, coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Answer, Contact, Conversation, ConversationState, Coupon, Outbox
from tests.conftest import add_contact, deliver, say

ALICE = "+12125550101"


def start_campaign(app: App, tag: str = "show-1", pool_size: int = 10) -> int:
    flow = app.flows["post-live"]
    with session_scope(app.engine) as session:
        if pool_size:
            coupons.generate(session, "post-live", pool_size, prefix="T-")
        campaign = campaigns.start(
            session, flow, tag, app.clock.now(), app.clock.now(), show="Winter Knits"
        )
        campaign_id = campaign.id
    app.dispatcher.run_once()
    deliver(app)
    assert campaign_id is not None
    return campaign_id


def conversation_of(app: App, address: str) -> Conversation:
    with session_scope(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.address == address)).one()
        return session.exec(select(Conversation).where(Conversation.contact_id == contact.id)).one()


def test_a_customer_answers_everything_and_gets_one_coupon_and_thanks(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    intro = simulator.last(ALICE)
    assert intro is not None and "Winter Knits" in intro.text
    assert [c.payload for c in intro.choices][0] == "overall:5"

    say(app, ALICE, choice="overall:4")
    say(app, ALICE, "1")  # product: first choice by number
    say(app, ALICE, "late and damaged")
    say(app, ALICE, "The colour looked brighter on the stream")
    say(app, ALICE, media=())  # an empty message is not an answer
    photo_question = simulator.last(ALICE)
    assert photo_question is not None
    from bot.messages import Media

    say(app, ALICE, media=(Media("https://example.test/p.jpg", "image/jpeg"),))

    conversation = conversation_of(app, ALICE)
    assert conversation.state == ConversationState.COMPLETED
    with session_scope(app.engine) as session:
        answers = {a.question_id: a for a in session.exec(select(Answer)).all()}
        codes = session.exec(select(Coupon).where(Coupon.conversation_id == conversation.id)).all()
    assert answers["overall"].value == "4"
    assert answers["product"].value == "love"
    assert answers["problems"].value == "late,damaged"
    assert answers["improve"].raw_text == "The colour looked brighter on the stream"
    assert answers["photo"].media[0]["content_type"] == "image/jpeg"
    assert len(codes) == 1
    thanks = simulator.last(ALICE)
    assert thanks is not None and codes[0].code in thanks.text
    assert simulator.duplicates == 0


def test_photo_question_is_skipped_when_nothing_went_wrong(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    for answer in ("5", "1", "1", "skip"):
        say(app, ALICE, answer)
    assert conversation_of(app, ALICE).state == ConversationState.COMPLETED


def test_thank_you_speaks_the_customers_language(app: App, simulator: SimulatorChannel) -> None:
    add_contact(app, "+5511987654321", locale="pt-BR", country="BR", timezone="America/Sao_Paulo")
    app.clock.advance(hours=21)  # 19:00 in São Paulo
    start_campaign(app)
    for answer in ("cinco", "1", "1", "Amei!"):
        say(app, "+5511987654321", answer)
    thanks = simulator.last("+5511987654321")
    assert thanks is not None
    flow = app.flows["post-live"]
    assert flow.text("thank_you", "pt-BR") in thanks.text
    assert conversation_of(app, "+5511987654321").state == ConversationState.COMPLETED


def test_customer_who_says_stop_gets_nothing_more(app: App, simulator: SimulatorChannel) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    say(app, ALICE, "STOP")
    confirmation = simulator.last(ALICE)
    sent_before = len(simulator.transcripts[ALICE])
    say(app, ALICE, "5")
    say(app, ALICE, "hello?")
    app.clock.advance(hours=30)
    app.dispatcher.run_once()
    deliver(app)
    assert len(simulator.transcripts[ALICE]) == sent_before
    assert confirmation is not None and confirmation.kind == "stop_confirm"
    assert conversation_of(app, ALICE).state == ConversationState.OPTED_OUT
    with session_scope(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.address == ALICE)).one()
    assert contact.opted_out_at is not None


def test_a_duplicated_webhook_is_handled_once(app: App, simulator: SimulatorChannel) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    assert say(app, ALICE, "5", external_id="SM-dup-1") is True
    assert say(app, ALICE, "5", external_id="SM-dup-1") is False
    with session_scope(app.engine) as session:
        assert session.exec(select(func.count()).select_from(Answer)).one() == 1
    assert conversation_of(app, ALICE).position == 1


def test_unreadable_answer_is_asked_again_twice_then_we_move_on(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    start_campaign(app)
    say(app, ALICE, "hmm what?")
    hint = simulator.last(ALICE)
    assert hint is not None and hint.kind == "hint:overall"
    say(app, ALICE, "no idea")
    assert conversation_of(app, ALICE).position == 0
    say(app, ALICE, "really no idea")
    conversation = conversation_of(app, ALICE)
    assert conversation.position == 1
    with session_scope(app.engine) as session:
        kept = session.exec(select(Answer).where(Answer.question_id == "overall")).one()
    assert kept.value is None and kept.raw_text == "really no idea"


def test_an_empty_coupon_pool_still_thanks_the_customer_and_tells_the_team(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    campaign_id = start_campaign(app, pool_size=0)
    for answer in ("5", "1", "1", "skip"):
        say(app, ALICE, answer)
    thanks = simulator.last(ALICE)
    flow = app.flows["post-live"]
    assert thanks is not None and flow.text("no_coupon", "en-US") in thanks.text
    with session_scope(app.engine) as session:
        assert campaigns.get(session, campaign_id).coupon_shortfall == 1


def test_a_stranger_gets_a_polite_reply_not_silence(app: App, simulator: SimulatorChannel) -> None:
    say(app, "+4915112345678", "Hallo, wo ist meine Bestellung?", language_hint="de")
    reply = simulator.last("+4915112345678")
    assert reply is not None and reply.kind == "no_open"
    from bot.phrases import phrase

    assert reply.text == phrase("no_open_conversation", "de", shop="Luna Live Shop")


def test_contacts_without_whatsapp_opt_in_are_skipped_with_a_reason(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE, consent=False)
    start_campaign(app)
    conversation = conversation_of(app, ALICE)
    assert conversation.state == ConversationState.SKIPPED
    assert conversation.skip_reason == "no recorded WhatsApp opt-in"
    assert ALICE not in simulator.transcripts


def test_a_campaign_started_at_night_waits_for_the_local_window(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, "+819012345678", locale="ja", country="JP", timezone="Asia/Tokyo")
    start_campaign(app)  # 10:00 in Tokyo: before the 19:00-21:00 window
    assert "+819012345678" not in simulator.transcripts
    app.clock.advance(hours=9)  # 19:00 Tokyo
    app.dispatcher.run_once()
    deliver(app)
    intro = simulator.last("+819012345678")
    assert intro is not None and intro.kind == "intro:overall"


def test_reminder_once_then_expiry(app: App, simulator: SimulatorChannel) -> None:
    add_contact(app, ALICE)
    campaign_id = start_campaign(app)
    app.clock.advance(hours=21)
    app.dispatcher.run_once()
    deliver(app)
    reminder = simulator.last(ALICE)
    assert reminder is not None and reminder.kind == "reminder:overall"
    app.clock.advance(hours=21)
    app.dispatcher.run_once()
    deliver(app)
    assert len(simulator.transcripts[ALICE]) == 2
    app.clock.advance(hours=60)
    app.dispatcher.run_once()
    assert conversation_of(app, ALICE).state == ConversationState.EXPIRED
    with session_scope(app.engine) as session:
        assert campaigns.get(session, campaign_id).status == "completed"
        assert session.exec(select(func.count()).select_from(Outbox)).one() == 2
