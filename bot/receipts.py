"""Delivery receipts: what a provider reports, later, about a message it accepted.

Adapters translate their providers' delivery callbacks into a neutral
`Receipt`; this module applies it to the outbox row the provider id points at, and to
the contact and conversation when the failure says something about them. Receipts
arrive late, twice and out of order, so applying one is idempotent and a status never
goes backwards: read, then a late "delivered", stays read; a message the customer has
seen does not become failed.

    sent < delivered < read             progress, only forwards
    failed | undelivered + reason       terminal, with what it means for the contact:
        outside_window    the free-form text came too late: resent ONCE as the message's
                          template if it has one, else failed with the reason
        unsubscribed      the customer opted out at the provider: opted out here too
        invalid_address   no such customer on this channel: contact unreachable
        (none)            failed, with the provider's code and text for the team
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot import outbox
from bot.db import affected, session_scope
from bot.effects import opt_out
from bot.models import Contact, Conversation, ConversationState, Outbox, OutboxStatus

log = logging.getLogger(__name__)


class Status(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


class Reason(StrEnum):
    OUTSIDE_WINDOW = "outside_window"
    UNSUBSCRIBED = "unsubscribed"
    INVALID_ADDRESS = "invalid_address"


class Outcome(StrEnum):
    UNKNOWN = "unknown"  # no row carries this provider id (yet)
    STALE = "stale"  # the row already knows as much or more: nothing changed
    UPDATED = "updated"
    REQUEUED = "requeued"  # will be sent again through its template
    FAILED = "failed"
    OPTED_OUT = "opted_out"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Receipt:
    channel: str
    provider_id: str
    status: Status
    reason: Reason | None = None
    #: The provider's own error code ("63016"), kept for the team.
    error_code: str | None = None
    detail: str = ""
    #: What else the callback carried that may identify the message (the query string
    #: of the callback URL, for one), kept as strings.
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in (Status.FAILED, Status.UNDELIVERED)


_RANK = {
    OutboxStatus.SENDING: 0,
    OutboxStatus.SENT: 1,
    OutboxStatus.DELIVERED: 2,
    OutboxStatus.READ: 3,
}


def record(engine: Engine, receipt: Receipt, now: datetime) -> Outcome:
    """Apply `receipt` in its own transaction."""
    with session_scope(engine) as session:
        return apply(session, receipt, now)


def from_payload(payload: Mapping[str, Any]) -> Receipt:
    """The receipt a status event stored (`Intake.record_receipt`)."""
    reason = payload.get("reason")
    return Receipt(
        channel=payload["channel"],
        provider_id=payload["provider_id"],
        status=Status(payload["status"]),
        reason=Reason(reason) if reason else None,
        error_code=payload.get("error_code"),
        detail=payload.get("detail") or "",
        extra=dict(payload.get("extra") or {}),
    )


def find_row(session: Session, receipt: Receipt) -> Outbox | None:
    """The outbox row a receipt is about (locked), or None when none is known (yet)."""
    return session.exec(
        select(Outbox)
        .where(Outbox.channel == receipt.channel, Outbox.provider_id == receipt.provider_id)
        .with_for_update()
    ).first()


def apply(session: Session, receipt: Receipt, now: datetime) -> Outcome:
    row = find_row(session, receipt)
    if row is None:
        return Outcome.UNKNOWN
    if receipt.failed:
        return _failed(session, row, receipt, now)
    current = _RANK.get(OutboxStatus(row.status))
    if current is None or _RANK[OutboxStatus(receipt.status)] <= current:
        return Outcome.STALE
    row.status = receipt.status
    if receipt.status in (Status.DELIVERED, Status.READ) and row.delivered_at is None:
        row.delivered_at = now  # a "read" that overtook "delivered" implies it
    session.add(row)
    return Outcome.UPDATED


def _failed(session: Session, row: Outbox, receipt: Receipt, now: datetime) -> Outcome:
    if row.status not in (OutboxStatus.SENT, OutboxStatus.SENDING):
        return Outcome.STALE  # already failed, or delivered/read: a seen message did not fail
    code = receipt.error_code or receipt.reason or receipt.status
    detail = f" ({receipt.detail})" if receipt.detail else ""
    if receipt.reason is Reason.OUTSIDE_WINDOW:
        if row.payload.get("template") and not row.payload.get("template_fallback"):
            outbox.requeue_as_template(
                session,
                row,
                now,
                error=f"{code}: outside the 24-hour window; resent as its template{detail}",
                code=code,
            )
            return Outcome.REQUEUED
        why = (
            "outside the 24-hour window, and the template resend failed too"
            if row.payload.get("template_fallback")
            else "outside the 24-hour window and no approved template for this message"
        )
        _fail(session, row, f"{receipt.status}: {why}{detail}", code, now)
        return Outcome.FAILED
    if receipt.reason is Reason.UNSUBSCRIBED:
        contact = session.get(Contact, row.contact_id) if row.contact_id else None
        if contact is not None:
            opt_out(session, contact, now)  # first: their conversation ends opted out
        _fail(session, row, f"{receipt.status}: unsubscribed at the provider{detail}", code, now)
        return Outcome.OPTED_OUT
    if receipt.reason is Reason.INVALID_ADDRESS:
        why = f"invalid address on {row.channel} ({code})"
        _fail(session, row, f"{receipt.status}: {why}{detail}", code, now)
        if row.contact_id is not None:
            _unreachable(session, row.contact_id, why)
        return Outcome.UNREACHABLE
    _fail(session, row, f"{receipt.status}: provider error {code}{detail}", code, now)
    return Outcome.FAILED


def _fail(session: Session, row: Outbox, error: str, code: str, now: datetime) -> None:
    row.status = OutboxStatus.FAILED
    row.error_code = code[:32]
    row.last_error = error[:2000]
    row.claimed_until = None
    session.add(row)
    if row.kind.startswith("intro") and row.conversation_id is not None:
        # The survey never reached them: say so, rather than wait for an answer.
        session.execute(
            update(Conversation)
            .where(
                col(Conversation.id) == row.conversation_id,
                col(Conversation.state) == ConversationState.ACTIVE,
                col(Conversation.started_at).is_(None),
            )
            .values(state=ConversationState.FAILED)
        )
    log.info("outbox %s failed at the provider: %s", row.id, error)


def _unreachable(session: Session, contact_id: int, reason: str) -> None:
    session.execute(
        update(Contact).where(col(Contact.id) == contact_id).values(unreachable_reason=reason)
    )
    outbox.cancel_for_contact(session, contact_id)
    session.execute(
        update(Conversation)
        .where(
            col(Conversation.contact_id) == contact_id,
            col(Conversation.state).in_([ConversationState.ACTIVE, ConversationState.PLANNED]),
        )
        .values(state=ConversationState.FAILED)
    )


def claim_orphan(engine: Engine, channel: str, key: str, provider_id: str) -> bool:
    """A provider callback names the outbox row its message was sent for (the WhatsApp
    StatusCallback URL carries the row's key): a row still `sending` without a provider
    id (its worker died between the provider's acceptance and our commit) takes the id
    now, so it is recorded as sent when reclaimed and never sent twice. True if claimed."""
    with session_scope(engine) as session:
        return claim_orphan_in(session, channel, key, provider_id)


def claim_orphan_in(session: Session, channel: str, key: str, provider_id: str) -> bool:
    """`claim_orphan` inside the caller's transaction (the inbound handler's batch)."""
    result = session.execute(
        update(Outbox)
        .where(
            col(Outbox.idempotency_key) == key,
            col(Outbox.channel) == channel,
            col(Outbox.status) == OutboxStatus.SENDING,
            col(Outbox.provider_id).is_(None),
        )
        .values(provider_id=provider_id)
    )
    return bool(affected(result))


def refused(
    session: Session, channel: str, address: str, reason: Reason, detail: str, now: datetime
) -> bool:
    """What a provider's immediate refusal of a send says about the contact (the
    customer unsubscribed, the number is invalid), applied as a failed receipt would be:
    unsubscribed opts them out, an invalid address makes them unreachable. The refused
    row itself is the delivery layer's to fail. False when no such contact exists."""
    contact = session.exec(
        select(Contact)
        .where(Contact.channel == channel, Contact.address == address)
        .with_for_update()
    ).first()
    if contact is None:
        return False
    if reason is Reason.UNSUBSCRIBED:
        opt_out(session, contact, now)
    elif reason is Reason.INVALID_ADDRESS:
        _unreachable(session, contact.id, detail)  # type: ignore[arg-type]
    return True
