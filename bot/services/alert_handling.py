"""Urgent-complaint use cases: acknowledge, not a complaint, reply to the customer.

Agents (and admins) act; everyone else is refused by `require`. The alert's state moves
only along `TRANSITIONS`. A reply is keyed by the form it was written in: the key is
claimed in the transaction that queues the outbox row, so a replayed submission, a
second app instance or a restart sends it once; a refused enqueue is reported.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, or_, update
from sqlmodel import Session, col, select

from bot import outbox
from bot.alert_states import AlertStatus, move, sources
from bot.clock import utc
from bot.db import affected
from bot.errors import NotFound, PostliveError
from bot.messages import Channel, Outbound
from bot.models import Answer, Campaign, Contact, Conversation
from bot.services import claims
from bot.services.actors import Actor, Role, require
from bot.services.unit_of_work import UnitOfWork
from bot.translation import UNTRANSLATED_NOTE, TranslationError, Translator, same_language

#: WhatsApp's customer-service window: free-form replies only within 24 h of their message.
SERVICE_WINDOW = timedelta(hours=24)
MAX_REPLY = 1500


@dataclass(frozen=True)
class AlertView:
    answer: Answer
    conversation: Conversation
    contact: Contact
    campaign: Campaign


def load(session: Session, answer_id: int) -> AlertView | None:
    row = session.exec(
        select(Answer, Conversation, Contact, Campaign)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .join(Contact, col(Contact.id) == Conversation.contact_id)
        .join(Campaign, col(Campaign.id) == Conversation.campaign_id)
        .where(col(Answer.id) == answer_id)
    ).first()
    return AlertView(*row) if row else None


def view(engine: Engine, answer_id: int) -> AlertView:
    with UnitOfWork(engine) as uow:
        found = load(uow.session, answer_id)
    if found is None:
        raise NotFound("answer", answer_id)
    return found


def _status_in(states: tuple[AlertStatus | None, ...]) -> ColumnElement[bool]:
    """WHERE alert_status is one of `states` (None: not an alert)."""
    named = [s for s in states if s is not None]
    clause = col(Answer.alert_status).in_(named)
    return or_(clause, col(Answer.alert_status).is_(None)) if None in states else clause


def acknowledge(engine: Engine, answer_id: int, *, actor: Actor) -> bool:
    """open -> acknowledged; False when it could not move there any more (a second
    click, or another agent replied first): acknowledging is a no-op, not an error."""
    with UnitOfWork(engine) as uow:
        changed = acknowledge_in(uow.session, answer_id, actor=actor)
        uow.commit()
        return changed


def acknowledge_in(session: Session, answer_id: int, *, actor: Actor) -> bool:
    """`acknowledge` inside the caller's transaction (a Slack click's handler)."""
    require(actor, Role.AGENT, "acknowledge alerts")
    return bool(
        affected(
            session.execute(
                update(Answer)
                .where(col(Answer.id) == answer_id, _status_in(sources(AlertStatus.ACKNOWLEDGED)))
                .values(alert_status=AlertStatus.ACKNOWLEDGED)
            )
        )
    )


def not_a_complaint(engine: Engine, answer_id: int, *, actor: Actor) -> str:
    """Stored as a reviewer's correction; returns the category it now has."""
    with UnitOfWork(engine) as uow:
        category = not_a_complaint_in(uow.session, answer_id, actor=actor)
        uow.commit()
        return category


def not_a_complaint_in(session: Session, answer_id: int, *, actor: Actor) -> str:
    """`not_a_complaint` inside the caller's transaction (a Slack click's handler)."""
    require(actor, Role.AGENT, "change review categories")
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise NotFound("answer", answer_id)
    category = "praise" if answer.sentiment_label == "positive" else "other"
    answer.alert_status = move(answer.alert_status, AlertStatus.NOT_COMPLAINT)
    answer.category = category
    answer.urgency = "none"
    answer.review_status = "corrected"
    answer.review_reason = f"not a complaint ({actor.name})"[:200]
    session.add(answer)
    session.flush()
    return category


class ReplyAlreadySent(PostliveError):
    """This reply form was sent before (a replayed submission, another instance)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__("this reply was sent already; it is not sent twice")


@dataclass(frozen=True)
class ReplyOutcome:
    queued: bool
    #: What the customer will read (translated, or the team's text as typed).
    text: str
    locale: str
    note: str | None = None
    key: str | None = None


def reply_key(answer_id: int, nonce: str) -> str:
    return f"alert-reply:{answer_id}:{nonce}"


async def reply(
    engine: Engine,
    answer_id: int,
    text: str,
    *,
    actor: Actor,
    nonce: str,
    translator: Translator | None,
    team_language: str,
    now: datetime,
) -> ReplyOutcome:
    """Translate the team's reply into the customer's language and queue it once per
    `nonce` (the form it was written in); a second delivery raises ReplyAlreadySent.
    Database work runs off the event loop."""
    text, key = _checked_reply(actor, answer_id, nonce, text)
    found = await asyncio.to_thread(view, engine, answer_id)
    move(found.answer.alert_status, AlertStatus.REPLIED)  # refused before translating
    if await asyncio.to_thread(_claimed, engine, key):
        raise ReplyAlreadySent(key)
    locale = found.conversation.locale
    unreachable = _unreachable(found, text)
    if unreachable is not None:
        return unreachable
    note = None
    out = text
    if not same_language(locale, team_language):
        if translator is None:
            note = UNTRANSLATED_NOTE
        else:
            try:
                out = await translator.translate(text, locale)
            except TranslationError as exc:
                # Never send a half-understood reply: the team decides what to do.
                return ReplyOutcome(False, text, locale, f"not sent: {exc}")
    await asyncio.to_thread(_enqueue, engine, answer_id, out, key, actor, now)
    return ReplyOutcome(True, out, locale, note, key)


def _checked_reply(actor: Actor, answer_id: int, nonce: str, text: str) -> tuple[str, str]:
    """What every reply passes before anything is read: the role and the form's key.
    Returns the text as it will be sent and the reply's claim key."""
    require(actor, Role.AGENT, "reply to customers")
    if not nonce:
        raise PostliveError("a reply needs the key of the form it was written in")
    return text.strip()[:MAX_REPLY], reply_key(answer_id, nonce)


def _unreachable(found: AlertView, text: str) -> ReplyOutcome | None:
    """The outcome of a reply this customer cannot receive, or None when they can."""
    contact = found.contact
    if contact.forgotten_at:
        why = "asked to be forgotten"
    elif contact.opted_out_at:
        why = "opted out"
    elif contact.unreachable_reason:
        why = f"unreachable: {contact.unreachable_reason}"
    else:
        return None
    return ReplyOutcome(False, text, found.conversation.locale, f"not sent: the customer {why}")


def _claimed(engine: Engine, key: str) -> bool:
    with UnitOfWork(engine) as uow:
        return claims.outcome_of(uow.session, key) is not None


def _enqueue(
    engine: Engine, answer_id: int, text: str, key: str, actor: Actor, now: datetime
) -> None:
    with UnitOfWork(engine) as uow:
        enqueue_in(uow.session, answer_id, text, key, actor, now)
        uow.commit()


def reply_in(
    session: Session,
    answer_id: int,
    text: str,
    *,
    actor: Actor,
    nonce: str,
    team_language: str,
    now: datetime,
    can_translate: bool,
) -> ReplyOutcome | None:
    """`reply` inside the caller's transaction, for a reply that needs no translation
    call (the customer reads the team's language, or no translator is set: sent as
    written, with the note). None when it needs one: call `reply`, which translates
    first (an HTTP call never runs inside a transaction). Raises ReplyAlreadySent."""
    text, key = _checked_reply(actor, answer_id, nonce, text)
    found = load(session, answer_id)
    if found is None:
        raise NotFound("answer", answer_id)
    move(found.answer.alert_status, AlertStatus.REPLIED)
    if claims.outcome_of(session, key) is not None:
        raise ReplyAlreadySent(key)
    locale = found.conversation.locale
    unreachable = _unreachable(found, text)
    if unreachable is not None:
        return unreachable
    note = None
    if not same_language(locale, team_language):
        if can_translate:
            return None
        note = UNTRANSLATED_NOTE
    enqueue_in(session, answer_id, text, key, actor, now)
    return ReplyOutcome(True, text, locale, note, key)


def enqueue_in(
    session: Session, answer_id: int, text: str, key: str, actor: Actor, now: datetime
) -> None:
    """Claim the reply's key, queue the reply and mark the alert replied, in the caller's
    transaction (all or nothing)."""
    if not claims.claim(session, key, "alert_reply", actor.name, now):
        raise ReplyAlreadySent(key)
    found = load(session, answer_id)
    if found is None:
        raise NotFound("answer", answer_id)
    status = move(found.answer.alert_status, AlertStatus.REPLIED)
    contact = found.contact
    # enqueue counts with RETURNING: False means the key was taken, on both databases.
    queued = outbox.enqueue(
        session,
        key,
        Outbound(
            channel=Channel(contact.channel),
            address=contact.address,
            text=text,
            business_initiated=not _in_service_window(contact.last_inbound_at, now),
            kind="alert_reply",
        ),
        kind="alert_reply",
        now=now,
        contact_id=contact.id,
        conversation_id=found.conversation.id,
    )
    if not queued:
        # The claim is new, so the outbox row cannot be ours: say so, change nothing.
        raise PostliveError(f"the reply was not queued: outbox key {key} is taken")
    claims.record(session, key, key)
    session.execute(update(Answer).where(col(Answer.id) == answer_id).values(alert_status=status))


def _in_service_window(last_inbound: datetime | None, now: datetime) -> bool:
    return last_inbound is not None and now - utc(last_inbound) < SERVICE_WINDOW


#: A poster that took an alert and did not post it within this time has died.
CLAIM_TTL = timedelta(minutes=5)


def claim_for_posting(engine: Engine, now: datetime, limit: int) -> list[int]:
    """Open alerts not yet posted, each leased to this caller (alert_claimed_at = now), so
    two posters never post one twice; a lease older than CLAIM_TTL is taken again."""
    stale = now - CLAIM_TTL
    free = (
        col(Answer.alert_ref).is_(None),
        col(Answer.alert_claimed_at).is_(None) | (col(Answer.alert_claimed_at) < stale),
    )
    with UnitOfWork(engine) as uow:
        ids = uow.session.exec(
            select(Answer.id)
            .where(col(Answer.alert_status) == AlertStatus.OPEN, *free)
            .order_by(col(Answer.id))
            .limit(limit)
        ).all()
        won = []
        for answer_id in ids:
            taken = affected(
                uow.session.execute(
                    update(Answer)
                    .where(
                        col(Answer.id) == answer_id,
                        col(Answer.alert_status) == AlertStatus.OPEN,
                        *free,
                    )
                    .values(alert_claimed_at=now)
                )
            )
            if taken and answer_id is not None:
                won.append(answer_id)
        uow.commit()
    return won


def posted(engine: Engine, answer_id: int, ref: str | None) -> None:
    """The alert is posted at `ref` (channel:ts); None hands it back for the next round."""
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(Answer)
            .where(col(Answer.id) == answer_id)
            .values(
                alert_ref=ref, alert_claimed_at=None if ref is None else Answer.alert_claimed_at
            )
        )
        uow.commit()


def find(engine: Engine, answer_id: int) -> AlertView | None:
    with UnitOfWork(engine) as uow:
        return load(uow.session, answer_id)
