"""What the alert buttons do to the database: acknowledge, not a complaint, and the
team's reply to the customer, translated into the customer's language and queued in the
outbox to their own channel (key `alert-reply:{answer}:{n}`, one per reply written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select

from adapters.slack.alerts import AlertView, load
from adapters.slack.team import SlackTeam
from adapters.slack.translate import UNTRANSLATED_NOTE, TranslationError, same_language
from bot import outbox
from bot.clock import utc
from bot.db import session_scope
from bot.errors import NotFound
from bot.messages import Channel, Outbound
from bot.models import Answer, Outbox

#: WhatsApp's customer-service window: free-form replies only within 24 h of their message.
SERVICE_WINDOW = timedelta(hours=24)
MAX_REPLY = 1500


def acknowledge(team: SlackTeam, answer_id: int) -> bool:
    """open -> acknowledged; False when it was no longer open."""
    with session_scope(team.app.engine) as session:
        return bool(
            session.execute(
                update(Answer)
                .where(col(Answer.id) == answer_id, Answer.alert_status == "open")
                .values(alert_status="acknowledged")
            ).rowcount
        )


def not_a_complaint(team: SlackTeam, answer_id: int, user: str) -> str:
    """Stored as a reviewer's correction; returns the category it now has."""
    with session_scope(team.app.engine) as session:
        answer = session.get(Answer, answer_id)
        if answer is None:
            raise NotFound("answer", answer_id)
        category = "praise" if answer.sentiment_label == "positive" else "other"
        answer.alert_status = "not_complaint"
        answer.category = category
        answer.urgency = "none"
        answer.review_status = "corrected"
        answer.review_reason = f"not a complaint (Slack {user})"[:200]
        session.add(answer)
        return category


@dataclass(frozen=True)
class ReplyOutcome:
    queued: bool
    #: What the customer will read (translated, or the team's text as typed).
    text: str
    locale: str
    note: str | None = None
    key: str | None = None


async def reply(team: SlackTeam, answer_id: int, text: str, user: str) -> ReplyOutcome:
    text = text.strip()[:MAX_REPLY]
    view = await team.db(_view, team, answer_id)
    locale = view.conversation.locale
    contact = view.contact
    if contact.forgotten_at or contact.opted_out_at or contact.unreachable_reason:
        why = (
            "asked to be forgotten"
            if contact.forgotten_at
            else "opted out"
            if contact.opted_out_at
            else f"unreachable: {contact.unreachable_reason}"
        )
        return ReplyOutcome(False, text, locale, f"not sent: the customer {why}")
    note = None
    out = text
    if not same_language(locale, team.settings.team_language):
        if team.translator is None:
            note = UNTRANSLATED_NOTE
        else:
            try:
                out = await team.translator.translate(text, locale)
            except TranslationError as exc:
                # Never send a half-understood reply: the team decides what to do.
                return ReplyOutcome(False, text, locale, f"not sent: {exc}")
    key = await team.db(_enqueue, team, answer_id, out, user)
    return ReplyOutcome(True, out, locale, note, key)


def _view(team: SlackTeam, answer_id: int) -> AlertView:
    with session_scope(team.app.engine) as session:
        view = load(session, answer_id)
    if view is None:
        raise NotFound("answer", answer_id)
    return view


def _enqueue(team: SlackTeam, answer_id: int, text: str, user: str) -> str:
    now = team.app.clock.now()
    prefix = f"alert-reply:{answer_id}:"
    with session_scope(team.app.engine) as session:
        view = load(session, answer_id)
        if view is None:
            raise NotFound("answer", answer_id)
        written = session.exec(
            select(func.count())
            .select_from(Outbox)
            .where(col(Outbox.idempotency_key).startswith(prefix))
        ).one()
        key = f"{prefix}{written + 1}"
        contact = view.contact
        outbox.enqueue(
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
            conversation_id=view.conversation.id,
        )
        session.execute(
            update(Answer).where(col(Answer.id) == answer_id).values(alert_status="replied")
        )
        return key


def _in_service_window(last_inbound: datetime | None, now: datetime) -> bool:
    return last_inbound is not None and now - utc(last_inbound) < SERVICE_WINDOW
