"""Applies an engine step inside the caller's transaction: state, answers, coupon, outbox.

Everything here happens in one unit of work, so a conversation's new state and the
messages it causes are committed together or not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, SQLModel, col

from bot import coupons, offers, outbox
from bot.clock import utc
from bot.db import upsert_insert
from bot.engine import Completed, Convo, IssueCoupon, OptOut, SaveAnswer, Send, Step
from bot.flows import Flow
from bot.locales import long_date
from bot.messages import Channel, Outbound, Template
from bot.models import Campaign, Contact, Conversation, ConversationState, Outbox

#: How long after a customer's message a business may still write to them freely.
SERVICE_WINDOW = timedelta(hours=24)

#: The answer table itself (sqlmodel does not type `Answer.__table__`).
ANSWERS = SQLModel.metadata.tables["answer"]


def convo_of(conversation: Conversation) -> Convo:
    return Convo(
        state=conversation.state,
        position=conversation.position,
        retries=conversation.retries,
        answers=dict(conversation.answers or {}),
        locale=conversation.locale,
        reminded=conversation.reminded_at is not None,
    )


def apply_step(
    session: Session,
    flow: Flow,
    conversation: Conversation,
    contact: Contact,
    result: Step,
    now: datetime,
    *,
    in_reply: bool,
) -> None:
    """Store `result` for `conversation`. `in_reply`: the customer just wrote to us."""
    assert conversation.id is not None and contact.id is not None
    before = conversation.state
    conversation.steps += 1
    new = result.convo
    conversation.state = new.state
    conversation.position = new.position
    conversation.retries = new.retries
    conversation.answers = dict(new.answers)
    conversation.last_activity_at = now
    if new.reminded and conversation.reminded_at is None:
        conversation.reminded_at = now
    if before != ConversationState.ACTIVE and new.state == ConversationState.ACTIVE:
        conversation.sent_at = now
    if in_reply and conversation.started_at is None and before == ConversationState.ACTIVE:
        conversation.started_at = now
    session.add(conversation)

    for index, effect in enumerate(result.effects):
        key = f"conv:{conversation.id}:{conversation.steps}:{index}"
        match effect:
            case Send():
                send_to_contact(
                    session,
                    flow,
                    contact,
                    effect,
                    key,
                    now,
                    conversation_id=conversation.id,
                    in_reply=in_reply,
                    locale=conversation.locale,
                )
            case SaveAnswer():
                _save_answer(session, conversation, effect, now)
            case IssueCoupon():
                text = _coupon_text(session, conversation, effect, now)
                send_to_contact(
                    session,
                    flow,
                    contact,
                    Send("thank_you", text),
                    key,
                    now,
                    conversation_id=conversation.id,
                    in_reply=in_reply,
                    locale=conversation.locale,
                )
            case OptOut():
                # opt_out updates conversations with SQL: this one's state goes first,
                # or a later flush would write over what opt_out set.
                session.flush()
                opt_out(session, contact, now)
            case Completed():
                conversation.completed_at = now


def send_to_contact(
    session: Session,
    flow: Flow | None,
    contact: Contact,
    send: Send,
    key: str,
    now: datetime,
    *,
    conversation_id: int | None,
    in_reply: bool,
    locale: str,
) -> bool:
    template = None
    if send.template and flow is not None:
        ref = flow.template(send.template, locale)
        if ref:
            template = Template(ref, dict(send.template_vars))
    # WhatsApp lets a business write freely for 24 hours after the customer's last
    # message; only outside that window must a message we start go out as a template.
    last_heard = contact.last_inbound_at
    window_open = last_heard is not None and now - utc(last_heard) < SERVICE_WINDOW
    message = Outbound(
        channel=Channel(contact.channel),
        address=contact.address,
        text=send.text,
        choices=send.choices,
        multiple=send.multiple,
        template=template,
        business_initiated=not in_reply and not window_open,
        kind=send.kind,
    )
    deferred = session.info.get(DEFERRED_OUTBOX)
    if deferred is not None:
        # Written with the batch's others (write_deferred_answers); a key already present
        # is skipped then, as `enqueue` skips it.
        deferred.append(outbox.Queued(key, message, send.kind, now, contact.id, conversation_id))
        return True
    return outbox.enqueue(
        session,
        key,
        message,
        kind=send.kind,
        now=now,
        contact_id=contact.id,
        conversation_id=conversation_id,
    )


def _save_answer(
    session: Session, conversation: Conversation, effect: SaveAnswer, now: datetime
) -> None:
    values = {
        "raw_text": effect.raw_text,
        "value": effect.value,
        "skipped": effect.skipped,
        "media": [dict(m) for m in effect.media],
        "locale": conversation.locale,
        "created_at": now,
        # A re-answered question is analysed again, not left with the old judgement.
        "analyzed_at": None,
    }
    row = {
        "conversation_id": conversation.id,
        "question_id": effect.question_id,
        "question_type": effect.question_type,
        "themes": [],
        **values,
    }
    deferred = session.info.get(DEFERRED_ANSWERS)
    if deferred is not None:
        deferred.append(row)  # written with the batch's others (write_deferred_answers)
        return
    session.connection().execute(_answer_upsert(session), row)


def defer_answers(session: Session) -> None:
    """From now on `session`'s answers and outbox rows are collected, and written
    together by `write_deferred_answers` (bot.intake: once per batch, or once per event
    inside its savepoint; one statement for all answers, one for all outbox rows).

    Whatever else this session does to the outbox (an opt-out cancelling a contact's
    pending rows, an erasure, a receipt) sees the rows collected so far: they are
    written before any of its statements on the outbox."""
    session.info[DEFERRED_ANSWERS] = []
    session.info[DEFERRED_OUTBOX] = []
    event.listen(session, "do_orm_execute", _outbox_first)


def _outbox_first(state: ORMExecuteState) -> None:
    if state.session.info.get(DEFERRED_OUTBOX) and any(
        mapper.class_ is Outbox for mapper in state.all_mappers
    ):
        _write_outbox(cast(Session, state.session))  # the batch's sqlmodel Session


def write_deferred_answers(session: Session) -> None:
    """Write the answers and outbox rows collected so far: one executemany of one
    upsert, one multi-row insert (`outbox.enqueue_many`)."""
    rows = session.info.get(DEFERRED_ANSWERS)
    if rows:
        session.connection().execute(_answer_upsert(session), list(rows))
        rows.clear()
    _write_outbox(session)


def _write_outbox(session: Session) -> None:
    queued = session.info.get(DEFERRED_OUTBOX)
    if queued:
        outbox.enqueue_many(session, list(queued))
        queued.clear()


def discard_deferred_answers(session: Session) -> None:
    """Forget the answers and outbox rows collected since the last write (their event
    rolled back)."""
    for key in (DEFERRED_ANSWERS, DEFERRED_OUTBOX):
        rows = session.info.get(key)
        if rows:
            rows.clear()


def _answer_upsert(session: Session) -> Any:
    """One statement whether or not the answer exists (a re-answered question updates
    it), built once per dialect, the values given as parameters: compiled once, not
    rebuilt and hashed for every answer (the ORM bulk path cost more still)."""
    dialect = session.get_bind().dialect.name
    statement = _ANSWER_UPSERTS.get(dialect)
    if statement is None:
        insert = upsert_insert(session)(ANSWERS)
        statement = _ANSWER_UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=["conversation_id", "question_id"],
            set_={name: insert.excluded[name] for name in _ANSWER_UPDATED},
        )
    return statement


#: `Session.info` key of the answers collected for one batch.
DEFERRED_ANSWERS = "postlive.deferred_answers"
#: `Session.info` key of the outbox rows collected for one batch.
DEFERRED_OUTBOX = "postlive.deferred_outbox"
#: What a re-answered question replaces (everything but its keys, type and themes).
_ANSWER_UPDATED = ("raw_text", "value", "skipped", "media", "locale", "created_at", "analyzed_at")
#: The compiled-once answer upsert per dialect.
_ANSWER_UPSERTS: dict[str, Any] = {}


def _coupon_text(
    session: Session, conversation: Conversation, effect: IssueCoupon, now: datetime
) -> str:
    campaign = session.get(Campaign, conversation.campaign_id)
    pool = (campaign.coupon_pool if campaign and campaign.coupon_pool else None) or effect.pool
    coupon, pool_offer = coupons.assign_offered(
        session,
        pool,
        conversation.id,  # type: ignore[arg-type]
        now,
        effect.expires_days,
    )
    if coupon is None:
        # An empty pool must not break the conversation: thank them, and tell the team.
        if campaign is not None:
            session.execute(
                update(Campaign)
                .where(col(Campaign.id) == campaign.id)
                .values(coupon_shortfall=Campaign.coupon_shortfall + 1)
            )
        return f"{effect.thank_you}\n\n{effect.fallback}"
    expires = coupon.expires_at or now
    try:
        expires_text = long_date(expires, conversation.locale)
    except Exception:  # noqa: BLE001 - an exotic locale must not block the coupon
        expires_text = expires.date().isoformat()
    code = offers.isolate(coupon.code, conversation.locale)
    coupon_line = effect.coupon_text.format(code=code, expires=expires_text)
    # What the code is worth, in their words (bot.offers), when the pool records it.
    says_expiry = "{expires}" in effect.coupon_text
    offer = coupons.offer_sentence(
        pool_offer, conversation.locale, expires, say_expiry=not says_expiry
    )
    if offer:
        coupon_line = f"{coupon_line}\n{offer}"
    return f"{effect.thank_you}\n\n{coupon_line}"


def opt_out(session: Session, contact: Contact, now: datetime) -> None:
    """For good and at once: no pending message leaves, no other survey starts."""
    if contact.opted_out_at is None:
        contact.opted_out_at = now
        session.add(contact)
    outbox.cancel_for_contact(session, contact.id)  # type: ignore[arg-type]
    session.execute(
        update(Conversation)
        .where(
            col(Conversation.contact_id) == contact.id,
            col(Conversation.state).in_([ConversationState.ACTIVE, ConversationState.PLANNED]),
        )
        .values(state=ConversationState.OPTED_OUT)
    )
