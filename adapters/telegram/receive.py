"""One path for every Update, whether it came by webhook or by polling.

`accept` parses and records (the webhook acknowledges only after it returns); the
engine's handling runs apart, in the handler loop (bot.handling), which keeps photos and
voice notes after it (`register_follow_up`). `follow_up` does what Telegram's UI needs at
once, without waiting on that handling: the answer to a button tap and the keyboard
marked with the chosen answer.

A membership change (the customer blocked the bot, or came back) is not a message for
the engine: its record and its effect on the contact are one transaction, stored as
handled, so the handler loop never mistakes it for something the customer said.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from telegram import Bot
from telegram.error import TelegramError

from adapters.telegram.media import keep_media
from adapters.telegram.render import answered_keyboard
from adapters.telegram.sender import BLOCKED
from adapters.telegram.updates import (
    CallbackUpdate,
    MembershipUpdate,
    MessageUpdate,
    ParsedUpdate,
    parse_update,
)
from bot.db import session_scope
from bot.locales import normalize_tag
from bot.messages import Channel, Inbound
from bot.models import Contact, InboundEvent

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    update: ParsedUpdate
    #: Seen before: acknowledged, nothing more to do.
    duplicate: bool = False


async def accept(app: App, data: object) -> Accepted:
    """Parse and durably record one Update. Raises MalformedUpdate for a bad body."""
    update = parse_update(data)
    match update:
        case MessageUpdate(inbound=inbound) | CallbackUpdate(inbound=inbound) if inbound:
            kind = "callback_query" if isinstance(update, CallbackUpdate) else "message"
            fresh = await app.intake.acknowledge(inbound, kind)
            return Accepted(update, duplicate=not fresh)
        case MembershipUpdate():
            fresh = await asyncio.to_thread(record_membership, app, update)
            return Accepted(update, duplicate=not fresh)
    return Accepted(update)


async def follow_up(app: App, bot: Bot, accepted: Accepted) -> None:
    """Telegram's UI side of a recorded update; never raises. The engine's handling is
    the handler loop's (the event is recorded), so nothing here can lose an answer."""
    if accepted.duplicate:
        return
    try:
        await _follow_up(app, bot, accepted)
    except Exception:  # noqa: BLE001 - after the ack there is nobody to tell but the log
        log.exception("telegram update %s: follow-up failed", accepted.update.update_id)


async def _follow_up(app: App, bot: Bot, accepted: Accepted) -> None:
    update = accepted.update
    if isinstance(update, CallbackUpdate):
        # First: until it is answered, the customer's app shows a spinner on the button.
        await _quietly(bot, bot.answer_callback_query(update.callback_id), "answerCallbackQuery")
    if (
        isinstance(update, CallbackUpdate)
        and update.inbound is not None
        and update.title is not None
        and update.chat_id is not None
        and update.message_id is not None
    ):
        await _quietly(
            bot,
            bot.edit_message_reply_markup(
                chat_id=update.chat_id,
                message_id=update.message_id,
                reply_markup=answered_keyboard(update.title),
            ),
            "editMessageReplyMarkup",
        )


async def process(app: App, bot: Bot, data: object) -> Accepted:
    """accept + follow_up, for polling."""
    accepted = await accept(app, data)
    await follow_up(app, bot, accepted)
    return accepted


def register_follow_up(app: App, bot: Callable[[], Bot]) -> None:
    """After the handler loop handled a Telegram message: keep its photos and voice notes."""

    async def keep(inbound: Inbound) -> None:
        if inbound.media:
            await keep_media(app, bot(), inbound)

    app.intake.follow_ups[Channel.TELEGRAM] = keep


def record_membership(app: App, update: MembershipUpdate) -> bool:
    """Store the change once and apply it; False when this update was seen before."""
    now = app.clock.now()
    try:
        with session_scope(app.engine) as session:
            session.add(
                InboundEvent(
                    channel=Channel.TELEGRAM,
                    external_id=str(update.update_id),
                    address=update.address,
                    kind="my_chat_member",
                    payload={"status": update.status, "language_hint": update.language_hint},
                    status="handled",
                    attempts=1,
                    received_at=now,
                    handled_at=now,
                )
            )
            session.flush()
            contact = session.exec(
                select(Contact)
                .where(Contact.channel == Channel.TELEGRAM, Contact.address == update.address)
                .with_for_update()
            ).first()
            if contact is None:
                return True  # never wrote to us: nothing to mark
            if update.status == "kicked":
                contact.unreachable_reason = BLOCKED
            elif update.status == "member" and contact.unreachable_reason == BLOCKED:
                contact.unreachable_reason = None
            if contact.locale is None and update.language_hint:
                contact.locale = normalize_tag(update.language_hint)
            session.add(contact)
            return True
    except IntegrityError:
        return False


async def _quietly(bot: Bot, call: Awaitable[object], what: str) -> None:
    try:
        await call
    except TelegramError as exc:
        # A tap older than ~15 s can no longer be answered; the survey goes on regardless.
        log.warning("telegram %s failed: %s", what, str(exc).replace(bot.token, "<token>"))
