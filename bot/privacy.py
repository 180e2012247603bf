"""Personal data: forgetting a customer, and purging what is older than the retention.

Forgetting keeps anonymous aggregates (a rating of 4 from Brazil still counts) and
removes everything that points at the person: phone number or chat id, name, e-mail,
webhook payloads, message texts sent to them, their free-text words and their photos.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot import outbox
from bot.models import (
    Answer,
    AudienceMember,
    Contact,
    Conversation,
    InboundEvent,
    Outbox,
    OutboxStatus,
)

log = logging.getLogger(__name__)

#: Answer types whose value is the customer's own words, not an aggregate.
FREE_TEXT = ("text", "photo")


@dataclass
class Forgotten:
    contacts: int = 0
    answers_scrubbed: int = 0
    events_deleted: int = 0
    messages_scrubbed: int = 0
    files_deleted: int = 0


def pseudonym(channel: str, address: str) -> str:
    digest = hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:16]
    return f"forgotten:{digest}"


def find_contacts(session: Session, address: str) -> list[Contact]:
    """Every contact with this address, whatever the channel ("+49…" or a chat id)."""
    wanted = address.strip().removeprefix("whatsapp:")
    return list(session.exec(select(Contact).where(Contact.address == wanted)).all())


def forget(session: Session, contact: Contact, now: datetime) -> Forgotten:
    report = Forgotten(contacts=1)
    assert contact.id is not None
    address, channel = contact.address, contact.channel
    outbox.cancel_for_contact(session, contact.id)
    conversation_ids = select(Conversation.id).where(Conversation.contact_id == contact.id)
    answers = session.exec(
        select(Answer).where(col(Answer.conversation_id).in_(conversation_ids))
    ).all()
    for answer in answers:
        report.files_deleted += _delete_media(answer.media)
        if answer.question_type in FREE_TEXT:
            answer.value = None
        answer.raw_text = None
        answer.translation = None
        answer.media = []
        session.add(answer)
        report.answers_scrubbed += 1
    report.events_deleted = (
        session.execute(
            delete(InboundEvent).where(
                InboundEvent.channel == channel, InboundEvent.address == address
            )
        ).rowcount
        or 0
    )
    report.messages_scrubbed = (
        session.execute(
            update(Outbox)
            .where(Outbox.contact_id == contact.id)
            .values(address=pseudonym(channel, address), payload={"text": "", "forgotten": True})
        ).rowcount
        or 0
    )
    session.execute(delete(AudienceMember).where(AudienceMember.contact_id == contact.id))
    contact.address = pseudonym(channel, address)
    contact.name = None
    contact.email = None
    contact.consent = False
    contact.consent_source = None
    contact.opted_out_at = contact.opted_out_at or now
    contact.forgotten_at = now
    session.add(contact)
    session.execute(
        update(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            col(Conversation.state).in_(["planned", "active"]),
        )
        .values(state="opted_out")
    )
    log.info("forgot contact %s", contact.id)
    return report


def _delete_media(media: list[dict[str, object]]) -> int:
    deleted = 0
    for item in media:
        stored = item.get("stored_at")
        if isinstance(stored, str) and stored and "://" not in stored:
            path = Path(stored)
            if path.is_file():
                path.unlink()
                deleted += 1
    return deleted


@dataclass
class Purged:
    events: int = 0
    messages: int = 0
    contacts: int = 0


def purge_expired(session: Session, now: datetime, retention_days: int) -> Purged:
    """Drop personal data older than the retention: raw webhook payloads, the texts of
    messages already sent, and contacts with no activity since (forgotten)."""
    report = Purged()
    if retention_days <= 0:
        return report
    cutoff = now - timedelta(days=retention_days)
    report.events = (
        session.execute(
            delete(InboundEvent).where(
                col(InboundEvent.received_at) < cutoff, InboundEvent.status == "handled"
            )
        ).rowcount
        or 0
    )
    report.messages = (
        session.execute(
            update(Outbox)
            .where(
                col(Outbox.created_at) < cutoff,
                col(Outbox.status).notin_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .values(payload={"text": "", "purged": True})
        ).rowcount
        or 0
    )
    stale = session.exec(
        select(Contact).where(
            col(Contact.forgotten_at).is_(None),
            col(Contact.created_at) < cutoff,
            (col(Contact.last_inbound_at).is_(None)) | (col(Contact.last_inbound_at) < cutoff),
        )
    ).all()
    for contact in stale:
        forget(session, contact, now)
        report.contacts += 1
    return report
