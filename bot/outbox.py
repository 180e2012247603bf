"""The persistent outbox: every message to a customer is a row before it is a call.

The same transaction that changes a conversation writes its outbox rows, so a crash
never loses a message; the unique idempotency key means a replayed step never writes a
second row. Workers claim due rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite takes
the database write lock), call the channel, and record the outcome: sent, retry later
with backoff, or failed for good.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, select

from bot.db import session_scope, supports_skip_locked, upsert_insert
from bot.messages import Channel, Choice, Outbound, Template
from bot.models import Outbox, OutboxStatus

MAX_ATTEMPTS = 8
#: A claimed row whose worker died becomes claimable again after this long.
LEASE = timedelta(seconds=120)


def to_payload(message: Outbound) -> dict[str, Any]:
    return {
        "text": message.text,
        "choices": [[c.payload, c.title] for c in message.choices],
        "multiple": message.multiple,
        "media_url": message.media_url,
        "template": (
            {"ref": message.template.ref, "variables": dict(message.template.variables)}
            if message.template
            else None
        ),
        "business_initiated": message.business_initiated,
    }


def from_row(row: Outbox) -> Outbound:
    p = row.payload
    template = p.get("template")
    return Outbound(
        channel=Channel(row.channel),
        address=row.address,
        text=p["text"],
        choices=tuple(Choice(payload, title) for payload, title in p.get("choices", [])),
        multiple=bool(p.get("multiple")),
        media_url=p.get("media_url"),
        template=Template(template["ref"], template.get("variables", {})) if template else None,
        business_initiated=bool(p.get("business_initiated")),
        kind=row.kind,
    )


def enqueue(
    session: Session,
    key: str,
    message: Outbound,
    *,
    kind: str,
    now: datetime,
    contact_id: int | None = None,
    conversation_id: int | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add one row; False when a row with this key already exists (nothing changes)."""
    values = {
        "idempotency_key": key,
        "channel": str(message.channel),
        "address": message.address,
        "contact_id": contact_id,
        "conversation_id": conversation_id,
        "kind": kind,
        "payload": to_payload(message),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": not_before or now,
    }
    # INSERT ... ON CONFLICT DO NOTHING: one statement, race-free on both engines.
    statement = (
        upsert_insert(session)(Outbox)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    return bool(session.execute(statement).rowcount)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    attempts: int
    contact_id: int | None
    conversation_id: int | None
    message: Outbound


def claim(
    engine: Engine, now: datetime, limit: int = 50, channels: set[str] | None = None
) -> list[Claimed]:
    """Take up to `limit` due rows for this worker, oldest first."""
    with session_scope(engine) as session:
        query = (
            select(Outbox)
            .where(
                or_(
                    (Outbox.status == OutboxStatus.PENDING) & (Outbox.next_attempt_at <= now),  # type: ignore[operator]
                    (Outbox.status == OutboxStatus.SENDING) & (Outbox.claimed_until < now),  # type: ignore[operator]
                )
            )
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(limit)
        )
        if channels is not None:
            query = query.where(Outbox.channel.in_(channels))  # type: ignore[attr-defined]
        if supports_skip_locked(engine):
            query = query.with_for_update(skip_locked=True)
        rows = session.exec(query).all()
        claimed = []
        for row in rows:
            row.status = OutboxStatus.SENDING
            row.claimed_until = now + LEASE
            row.attempts += 1
            claimed.append(
                Claimed(
                    row.id,
                    row.idempotency_key,
                    row.kind,
                    row.attempts,  # type: ignore[arg-type]
                    row.contact_id,
                    row.conversation_id,
                    from_row(row),
                )
            )
        return claimed


def mark_sent(session: Session, row_id: int, provider_id: str | None, now: datetime) -> None:
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(
            status=OutboxStatus.SENT,
            provider_id=provider_id,
            sent_at=now,
            claimed_until=None,
            last_error=None,
        )
    )


def mark_retry(
    session: Session,
    row_id: int,
    attempts: int,
    error: str,
    now: datetime,
    retry_after: float | None = None,
) -> bool:
    """Schedule another attempt; returns False (and fails the row) when out of attempts."""
    if attempts >= MAX_ATTEMPTS:
        mark_failed(session, row_id, f"gave up after {attempts} attempts: {error}", None)
        return False
    delay = retry_after if retry_after is not None else backoff(attempts)
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(
            status=OutboxStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            claimed_until=None,
            last_error=error[:2000],
        )
    )
    return True


def mark_failed(session: Session, row_id: int, error: str, code: str | None) -> None:
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(
            status=OutboxStatus.FAILED, claimed_until=None, last_error=error[:2000], error_code=code
        )
    )


def requeue_as_template(session: Session, row: Outbox, now: datetime, error: str, code: str) -> None:
    """Send `row` once more as its business-initiated template: the provider refused the
    free-form text (WhatsApp's 24-hour window had closed). The `template_fallback` flag
    keeps it to once; the provider id is cleared so late receipts of the refused attempt
    no longer match the row."""
    row.payload = {**row.payload, "business_initiated": True, "template_fallback": True}
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now
    row.claimed_until = None
    row.provider_id = None
    row.error_code = code[:32]
    row.last_error = error[:2000]
    session.add(row)


def cancel_for_contact(session: Session, contact_id: int) -> int:
    """Drop everything not yet sent to a contact (they opted out or asked to be forgotten)."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.contact_id == contact_id, Outbox.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount or 0


def backoff(attempts: int, base: float = 2.0, cap: float = 900.0) -> float:
    """Exponential backoff with full jitter: spreads retries after a provider outage."""
    return random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1)))  # noqa: S311
