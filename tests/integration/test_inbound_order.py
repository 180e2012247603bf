"""Handling apart from the acknowledgement: a customer's messages are handled in the
order they arrived, a failing event holds back only its own customer, and nothing
acknowledged is ever dropped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.handling import handle_all
from bot.intake import MAX_ATTEMPTS, AfterCommit
from bot.messages import Channel, Inbound
from bot.models import ActionClaim, Answer, Conversation, InboundEvent
from tests.conftest import add_contact
from tests.integration.test_survey_journey import start_campaign

ALICE, BRUNO = "+12125550101", "+12125550102"
_sids = iter(range(1, 10**6))


def write(app: App, address: str, text: str) -> int:
    event_id = app.intake.record(
        Inbound(Channel.WHATSAPP, address, f"SM{next(_sids):032x}", text=text)
    )
    assert event_id is not None
    return event_id


def answers(app: App, address: str) -> dict[str, str | None]:
    with session_scope(app.engine) as session:
        rows = session.exec(
            select(Answer.question_id, Answer.raw_text)
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .where(Conversation.contact_id == contact_id(app, address))
        ).all()
    return dict(rows)


def contact_id(app: App, address: str) -> int:
    from bot.models import Contact

    with session_scope(app.engine) as session:
        found = session.exec(select(Contact.id).where(Contact.address == address)).one()
    assert found is not None
    return found


def status_of(app: App, event_id: int) -> InboundEvent:
    with session_scope(app.engine) as session:
        event = session.get(InboundEvent, event_id)
        assert event is not None
        return event


async def test_a_customers_newer_message_waits_for_the_older_one(
    app: App, simulator: SimulatorChannel
) -> None:
    add_contact(app, ALICE)
    add_contact(app, BRUNO)
    start_campaign(app)
    for text in ("4", "2", "1"):  # Alice answers three questions quickly
        write(app, ALICE, text)
    write(app, BRUNO, "5")

    app.intake.budget = 600.0  # no early end of the batch on a busy machine
    first = app.intake.handle_batch()
    # One event per customer per batch: Alice's second and third wait their turn.
    assert (first.claimed, first.handled) == (2, 2)
    assert answers(app, ALICE) == {"overall": "4"}

    await handle_all(app.intake)
    assert answers(app, ALICE) == {"overall": "4", "product": "2", "problems": "1"}
    assert answers(app, BRUNO) == {"overall": "5"}


async def test_a_failing_event_holds_back_only_its_own_customer_and_is_given_up_in_the_end(
    app: App, simulator: SimulatorChannel, clock: FrozenClock
) -> None:
    add_contact(app, ALICE)
    add_contact(app, BRUNO)
    start_campaign(app)
    # A stored event that cannot be handled (a payload no Inbound can be made of).
    broken = app.intake.record_event(
        Channel.WHATSAPP, "SM" + "e" * 32, ALICE, "message", {"channel": "whatsapp"}
    )
    assert broken is not None
    later = write(app, ALICE, "4")
    write(app, BRUNO, "5")

    await handle_all(app.intake)
    assert answers(app, BRUNO) == {"overall": "5"}  # Bruno is not held back
    assert answers(app, ALICE) == {}  # Alice's newer answer waits behind the failure
    assert status_of(app, later).status == "received"
    failing = status_of(app, broken)
    assert (failing.status, failing.attempts) == ("received", 1)
    assert failing.error and "TypeError" in failing.error

    for _ in range(MAX_ATTEMPTS):  # retried with backoff, then given up
        clock.advance(minutes=10)
        await handle_all(app.intake)
    assert status_of(app, broken).status == "failed"
    assert status_of(app, later).status == "handled"
    assert answers(app, ALICE) == {"overall": "4"}


async def test_an_event_kind_of_its_own_is_handled_once_inside_the_batch_then_followed_up(
    app: App, clock: FrozenClock
) -> None:
    followed: list[str] = []

    def click(session: Session, payload: Mapping[str, Any], now: datetime) -> AfterCommit:
        # Inside the batch's transaction: what it writes commits with the event, once.
        session.add(ActionClaim(key=payload["button"], kind="click", actor="U1", claimed_at=now))

        async def answer() -> None:
            followed.append(payload["button"])

        return answer

    app.intake.kinds["click"] = click
    first = app.intake.record_event("slack", "A1", "U1", "click", {"button": "ack"})
    unknown = app.intake.record_event("slack", "A2", "U2", "tap", {"button": "?"})
    assert app.intake.record_event("slack", "A1", "U1", "click", {"button": "ack"}) is None

    assert await handle_all(app.intake) == 1
    # The batch was redone event by event (the unknown kind failed): the click's row is
    # written once, and its follow-up runs once, after the commit.
    with session_scope(app.engine) as session:
        assert session.exec(select(ActionClaim.key)).all() == ["ack"]
    assert followed == ["ack"]
    assert first is not None and status_of(app, first).status == "handled"
    # A kind nobody handles is not dropped: it fails, is retried, and says why.
    assert unknown is not None
    refused = status_of(app, unknown)
    assert (refused.status, refused.attempts) == ("received", 1)
    assert refused.error and "no handler for inbound events of kind 'tap'" in refused.error
    clock.advance(minutes=10)
    await handle_all(app.intake)
    assert followed == ["ack"]
    assert status_of(app, unknown).attempts == 2


async def test_handling_without_anything_pending_claims_nothing(app: App) -> None:
    batch = app.intake.handle_batch()
    assert (batch.claimed, batch.handled, batch.more) == (0, 0, False)
    assert app.intake.lag() == (0, 0.0)


async def test_a_batch_writes_set_wise_a_few_statements_per_answer(
    app: App, simulator: SimulatorChannel
) -> None:
    """Handling cost at scale is statements per answer: the contacts' and conversations'
    new state goes out as one grouped UPDATE each per batch, the erasure check is one
    query per batch, and the answer rows and outbox rows are one statement each per
    batch: a batch costs the same few statements however many answers it holds (an
    answer cost five statements or more before, then one outbox row each)."""
    from sqlalchemy import event

    customers = [f"+121255502{i:02d}" for i in range(8)]
    for address in customers:
        add_contact(app, address)
    start_campaign(app)
    for address in customers:
        write(app, address, "4")

    statements: list[tuple[str, bool]] = []

    def count(_conn: object, _cursor: object, sql: str, _p: object, _c: object, many: bool) -> None:
        statements.append((sql.split(None, 2)[0].upper() + " " + sql.split(None, 2)[1], many))

    app.intake.budget = 600.0  # the whole set in one batch, however busy the machine
    event.listen(app.engine, "before_cursor_execute", count)
    try:
        batch = app.intake.handle_batch()
    finally:
        event.remove(app.engine, "before_cursor_execute", count)

    assert (batch.claimed, batch.handled) == (len(customers), len(customers))
    for address in customers:
        assert answers(app, address) == {"overall": "4"}
    grouped = [sql for sql, many in statements if many]
    assert "UPDATE contact" in grouped and "UPDATE conversation" in grouped
    # One statement for all answer rows and one for all outbox rows (the next question,
    # `outbox.enqueue_many`), plus a fixed few per batch (claim, contacts, erasure
    # questions, conversations, campaign, the grouped updates, events handled,
    # transaction): 12 whatever the batch's size. It was 19 for these 8 with an outbox
    # INSERT per answer.
    inserts = [sql for sql, _many in statements if sql.startswith("INSERT")]
    assert len(inserts) == 2, statements
    assert len(statements) <= 12, statements


def test_a_rolled_back_events_outbox_rows_are_not_written_and_an_opt_out_sees_the_others(
    app: App,
) -> None:
    """Outbox rows of a batch are collected and written together; an event whose
    savepoint rolls back takes its rows with it (as bot.intake does), and a statement on
    the outbox in the same transaction (an opt-out's cancel) sees the rows collected."""
    from bot import outbox
    from bot.effects import (
        defer_answers,
        discard_deferred_answers,
        send_to_contact,
        write_deferred_answers,
    )
    from bot.engine import Send
    from bot.models import Contact, Outbox, OutboxStatus

    alice, bruno = add_contact_id(app, ALICE), add_contact_id(app, BRUNO)
    now = app.clock.now()

    def send(session: object, who: int, key: str) -> None:
        contact = session.get(Contact, who)  # type: ignore[attr-defined]
        send_to_contact(
            session,  # type: ignore[arg-type]
            None,
            contact,
            Send("q", "hello"),
            key,
            now,
            conversation_id=None,
            in_reply=True,
            locale="en-US",
        )

    with session_scope(app.engine) as session:
        defer_answers(session)
        try:
            with session.begin_nested():
                send(session, alice, "k-alice")
                write_deferred_answers(session)  # inside the savepoint, as bot.intake
                raise RuntimeError("the event fails after its row was written")
        except RuntimeError:
            discard_deferred_answers(session)
        try:
            with session.begin_nested():
                send(session, alice, "k-alice-2")
                raise RuntimeError("the event fails before its row was written")
        except RuntimeError:
            discard_deferred_answers(session)
        send(session, bruno, "k-bruno")
        send(session, bruno, "k-bruno")  # a replayed step: one row
        send(session, alice, "k-alice-3")
        assert outbox.cancel_for_contact(session, alice) == 1  # it sees the collected row
        write_deferred_answers(session)
    with session_scope(app.engine) as session:
        rows = {r.idempotency_key: r.status for r in session.exec(select(Outbox)).all()}
    assert rows == {"k-bruno": OutboxStatus.PENDING, "k-alice-3": OutboxStatus.CANCELLED}


def add_contact_id(app: App, address: str) -> int:
    add_contact(app, address)
    return contact_id(app, address)
