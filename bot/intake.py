"""Inbound messages: record once, then hand to the engine.

Recording and handling are two transactions on purpose: the webhook is acknowledged as
soon as the event is durably stored, and a handling failure (a bug, a lost database
connection) leaves the event `received` so `retry_pending` can handle it later; nothing
a customer said is lost, and nothing is handled twice (the event row is claimed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import engine as conversation_engine
from bot import erasure_request
from bot.answers import is_stop
from bot.clock import Clock
from bot.db import session_scope
from bot.effects import apply_step, convo_of, opt_out, send_to_contact
from bot.engine import Send
from bot.flows import Flow
from bot.join import join_by_code
from bot.locales import normalize_tag
from bot.messages import Channel, Inbound, Media
from bot.models import Campaign, Contact, Conversation, ConversationState, InboundEvent
from bot.phrases import phrase

log = logging.getLogger(__name__)


class Intake:
    def __init__(
        self,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Clock,
        shop: str = "our shop",
        default_locale: str = "en",
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.shop = shop
        self.default_locale = default_locale

    def receive(self, inbound: Inbound) -> bool:
        """Record and handle; False when this event was seen before."""
        event_id = self.record(inbound)
        if event_id is None:
            return False
        self.handle(event_id)
        return True

    def record(self, inbound: Inbound, kind: str = "message") -> int | None:
        """Store the event once; returns its id, or None for a duplicate delivery."""
        now = self.clock.now()
        inbound = _without_nul(inbound)
        try:
            with session_scope(self.engine) as session:
                event = InboundEvent(
                    channel=inbound.channel,
                    external_id=inbound.external_id,
                    address=inbound.address,
                    kind=kind,
                    payload=_payload(inbound),
                    received_at=now,
                )
                session.add(event)
                session.flush()
                return event.id
        except IntegrityError:
            return None

    def handle(self, event_id: int) -> None:
        try:
            with session_scope(self.engine) as session:
                event = session.get(InboundEvent, event_id, with_for_update=True)
                if event is None or event.status == "handled":
                    return
                self._handle(session, _inbound(event))
                if inspect(event).deleted or inspect(event).detached:
                    return  # the customer asked to be forgotten: the event is gone too
                event.status = "handled"
                event.handled_at = self.clock.now()
                event.attempts += 1
        except Exception as exc:
            log.exception("inbound event %s could not be handled", event_id)
            with session_scope(self.engine) as session:
                session.execute(
                    update(InboundEvent)
                    .where(InboundEvent.id == event_id)
                    .values(attempts=InboundEvent.attempts + 1, error=repr(exc)[:2000])
                )

    def retry_pending(self, older_than: datetime, limit: int = 100) -> int:
        """Handle events a crash or an error left behind."""
        with session_scope(self.engine) as session:
            ids = session.exec(
                select(InboundEvent.id)
                .where(
                    InboundEvent.status == "received",
                    InboundEvent.received_at < older_than,  # type: ignore[operator]
                    InboundEvent.attempts < 5,
                )
                .order_by(InboundEvent.id)
                .limit(limit)
            ).all()
        for event_id in ids:
            self.handle(event_id)  # type: ignore[arg-type]
        return len(ids)

    # -- inside the transaction -----------------------------------------------------

    def _handle(self, session: Session, inbound: Inbound) -> None:
        now = self.clock.now()
        contact = self._contact(session, inbound, now)
        if contact.forgotten_at is None and join_by_code(
            session, contact, inbound, now, shop=self.shop, default_locale=self.default_locale
        ):
            return  # a viewer joining a live show's audience (bot.join), not an answer
        if contact.forgotten_at is None and erasure_request.handle(
            session, contact, inbound, now, shop=self.shop, default_locale=self.default_locale
        ):
            return  # "delete my data": asked back, erased on "yes" (bot.erasure_request)
        if contact.opted_out_at is not None or contact.forgotten_at is not None:
            return  # for good: nothing is ever sent after STOP
        conversation = self._current_conversation(session, contact)
        if conversation is None:
            self._without_conversation(session, contact, inbound, now)
            return
        campaign = session.get(Campaign, conversation.campaign_id)
        flow = self.flows.get(campaign.flow_id) if campaign else None
        if flow is None:
            log.error("conversation %s uses unknown flow", conversation.id)
            self._without_conversation(session, contact, inbound, now)
            return
        result = conversation_engine.step(flow, convo_of(conversation), inbound, shop=self.shop)
        apply_step(session, flow, conversation, contact, result, now, in_reply=True)

    def _contact(self, session: Session, inbound: Inbound, now: datetime) -> Contact:
        contact = session.exec(
            select(Contact)
            .where(Contact.channel == inbound.channel, Contact.address == inbound.address)
            .with_for_update()
        ).first()
        if contact is None:
            contact = Contact(
                channel=inbound.channel,
                address=inbound.address,
                name=inbound.profile_name,
                created_at=now,
            )
        if contact.locale is None and inbound.language_hint:
            contact.locale = normalize_tag(inbound.language_hint)
        if contact.name is None and inbound.profile_name:
            contact.name = inbound.profile_name[:200]
        contact.last_inbound_at = now
        session.add(contact)
        session.flush()
        return contact

    def _current_conversation(self, session: Session, contact: Contact) -> Conversation | None:
        """The open conversation if any, else the most recent one that reached them."""
        rows = session.exec(
            select(Conversation)
            .where(
                Conversation.contact_id == contact.id,
                Conversation.state.in_(
                    [
                        ConversationState.ACTIVE,
                        ConversationState.COMPLETED,  # type: ignore[attr-defined]
                        ConversationState.EXPIRED,
                    ]
                ),
            )
            .order_by(Conversation.id.desc())  # type: ignore[union-attr]
            .with_for_update()
        ).all()
        active = [c for c in rows if c.state == ConversationState.ACTIVE]
        return (active or rows or [None])[0]

    def _without_conversation(
        self, session: Session, contact: Contact, inbound: Inbound, now: datetime
    ) -> None:
        locale = contact.locale or self.default_locale
        key = f"inbound:{inbound.channel}:{inbound.external_id}"
        if is_stop(inbound.text):
            opt_out(session, contact, now)
            send = Send("stop_confirm", phrase("stop_confirm", locale, shop=self.shop))
        else:
            send = conversation_engine.no_open_conversation(locale, self.shop)
        send_to_contact(
            session,
            None,
            contact,
            send,
            key,
            now,
            conversation_id=None,
            in_reply=True,
            locale=locale,
        )


def _without_nul(inbound: Inbound) -> Inbound:
    """PostgreSQL text cannot hold U+0000; a customer's NUL becomes U+FFFD (the visible
    "unreadable character") so the rest of what they wrote is stored exactly."""

    def clean(value: str | None) -> str | None:
        return value.replace("\x00", "\ufffd") if value and "\x00" in value else value

    return replace(
        inbound,
        text=clean(inbound.text),
        choice=clean(inbound.choice),
        profile_name=clean(inbound.profile_name),
        address=clean(inbound.address) or "",
        external_id=clean(inbound.external_id) or "",
        language_hint=clean(inbound.language_hint),
    )


def _payload(inbound: Inbound) -> dict[str, Any]:
    data = asdict(inbound)
    data["media"] = [asdict(m) for m in inbound.media]
    data["received_at"] = inbound.received_at.isoformat() if inbound.received_at else None
    return data


def _inbound(event: InboundEvent) -> Inbound:
    p = dict(event.payload)
    p["channel"] = Channel(p["channel"])
    p["media"] = tuple(Media(**m) for m in p.get("media", []))
    p["received_at"] = datetime.fromisoformat(p["received_at"]) if p.get("received_at") else None
    return Inbound(**p)
