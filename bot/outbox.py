"""The persistent outbox: every message to a customer is a row before it is a call.

The same transaction that changes a conversation writes its outbox rows, so a crash
never loses a message; the unique idempotency key means a replayed step never writes a
second row. Workers claim due rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite takes
the database write lock), call the channel, and record the outcome: sent, retry later
with backoff, or failed for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from bot.db import affected, session_scope, supports_skip_locked, upsert_insert
from bot.messages import Channel, Choice, Outbound, Template
from bot.models import Outbox, OutboxStatus
from bot.ratelimit import DEFAULT_POLICY, RetryPolicy

MAX_ATTEMPTS = DEFAULT_POLICY.attempts
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
        **({"source": dict(message.source)} if message.source else {}),
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
        source=p.get("source"),
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
    values = _values(Queued(key, message, kind, now, contact_id, conversation_id, not_before))
    # INSERT ... ON CONFLICT DO NOTHING: one statement, race-free on both engines. It goes
    # straight to the connection with the values as parameters, so it is compiled once:
    # the ORM path rebuilt and hashed it for every message, two-thirds of a dispatch.
    connection = session.connection()
    statement = _INSERTS.get(connection.dialect.name)
    if statement is None:
        table = Outbox.__table__  # type: ignore[attr-defined]
        # RETURNING tells a new row from a duplicate on both engines: psycopg reports a
        # rowcount of -1 for ON CONFLICT DO NOTHING.
        statement = (
            upsert_insert(session)(table)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(table.c.id)
        )
        _INSERTS[connection.dialect.name] = statement
    return connection.execute(statement, values).first() is not None


#: The compiled-once INSERT ... ON CONFLICT DO NOTHING per dialect.
_INSERTS: dict[str, Any] = {}


@dataclass(frozen=True)
class Queued:
    """One row for `enqueue_many`: `enqueue`'s arguments."""

    key: str
    message: Outbound
    kind: str
    now: datetime
    contact_id: int | None = None
    conversation_id: int | None = None
    not_before: datetime | None = None


def _values(row: Queued) -> dict[str, Any]:
    return {
        "idempotency_key": row.key,
        "channel": str(row.message.channel),
        "address": row.message.address,
        "contact_id": row.contact_id,
        "conversation_id": row.conversation_id,
        "kind": row.kind,
        "payload": to_payload(row.message),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": row.now,
        "next_attempt_at": row.not_before or row.now,
    }


def enqueue_many(session: Session, rows: Sequence[Queued]) -> set[str]:
    """`enqueue` for several rows in one statement (a batch's messages). Returns the keys
    of the rows added; a key already present changes nothing, as with `enqueue`, and a
    key given twice is added once, in its first place. Rows keep their order (ids ascend).

    The rows go as parameters of `enqueue`'s compiled-once statement, run as one
    executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues", paged
    under SQLite's bound-parameter limit). A multi-row `.values([...])` built here
    instead was compiled anew for every batch, a tenth of the inbound handler's CPU."""
    unique: dict[str, Queued] = {}
    for row in rows:
        unique.setdefault(row.key, row)
    if not unique:
        return set()
    connection = session.connection()
    statement = _insert_returning_key(session)
    result = connection.execute(statement, [_values(row) for row in unique.values()])
    return set(result.scalars())


def _insert_returning_key(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    statement = _MANY_INSERTS.get(dialect)
    if statement is None:
        table = Outbox.__table__  # type: ignore[attr-defined]
        statement = _MANY_INSERTS[dialect] = (
            upsert_insert(session)(table)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING.
            .returning(table.c.idempotency_key)
        )
    return statement


#: `enqueue_many`'s compiled-once statement per dialect.
_MANY_INSERTS: dict[str, Any] = {}


def enqueue_one(engine: Engine, key: str, message: Outbound, *, kind: str, now: datetime) -> bool:
    """`enqueue` in a transaction of its own, for a caller that changes nothing else (a
    team-side post: the claim that made it due was committed by its service)."""
    with session_scope(engine) as session:
        return enqueue(session, key, message, kind=kind, now=now)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    attempts: int
    contact_id: int | None
    conversation_id: int | None
    message: Outbound
    #: Reclaimed after its lease ran out: the worker holding it died, maybe after the
    #: provider accepted the message and before we recorded it. See `claim`.
    in_doubt: bool = False
    #: For a row in doubt: the earliest the lost attempt can have reached the provider
    #: (the row was not due before), where a lookup starts.
    since: datetime | None = None


def claim(
    engine: Engine,
    now: datetime,
    limit: int = 50,
    channels: set[str] | None = None,
    lease: timedelta = LEASE,
) -> list[Claimed]:
    """Take up to `limit` due rows for this worker, oldest first, for `lease`.

    A row left `sending` by a worker that died is in doubt. If a delivery receipt has
    recorded a provider id on it meanwhile, the provider has the message: it is marked
    sent here, never resent. Otherwise it is handed out again flagged `in_doubt`, and the
    worker asks the provider (when the channel can look a message up) before resending.
    """
    with session_scope(engine) as session:
        query = (
            select(Outbox)
            .where(
                or_(
                    (col(Outbox.status) == OutboxStatus.PENDING)
                    & (col(Outbox.next_attempt_at) <= now),
                    (col(Outbox.status) == OutboxStatus.SENDING)
                    & (col(Outbox.claimed_until) < now),
                )
            )
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            .limit(limit)
        )
        if channels is not None:
            query = query.where(col(Outbox.channel).in_(channels))
        if supports_skip_locked(engine):
            query = query.with_for_update(skip_locked=True)
        rows = session.exec(query).all()
        claimed = []
        for row in rows:
            in_doubt = row.status == OutboxStatus.SENDING
            if in_doubt and row.provider_id:
                row.status = OutboxStatus.SENT
                row.claimed_until = None
                row.sent_at = row.sent_at or now
                continue
            since: datetime | None = None
            if in_doubt:
                assert row.next_attempt_at is not None  # enqueue always sets it
                since = _aware(row.next_attempt_at)
            row.status = OutboxStatus.SENDING
            row.claimed_until = now + lease
            row.attempts += 1
            claimed.append(
                Claimed(
                    row.id,  # type: ignore[arg-type]
                    row.idempotency_key,
                    row.kind,
                    row.attempts,
                    row.contact_id,
                    row.conversation_id,
                    from_row(row),
                    in_doubt,
                    since,
                )
            )
        return claimed


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def release(session: Session, row_id: int) -> None:
    """Give back a row this worker claimed but never sent (shutdown, lease nearly out):
    due again at once, and the claim does not count as an attempt."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id, col(Outbox.status) == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_until=None, attempts=Outbox.attempts - 1)
    )


def mark_sent(session: Session, row_id: int, provider_id: str | None, now: datetime) -> None:
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id)
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
    *,
    rate_limited: bool = False,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> bool:
    """Schedule another attempt; returns False (and fails the row) when out of attempts.

    The one retry policy (bot.ratelimit.RetryPolicy) decides: Retry-After honoured, else
    jittered backoff; a provider's "not now" (`rate_limited`, a 429) is flow control and
    has a larger bound than failures, but a bound all the same.
    """
    if policy.gives_up(attempts, rate_limited=rate_limited):
        mark_failed(session, row_id, f"gave up after {attempts} attempts: {error}", "gave_up")
        return False
    delay = policy.delay(attempts, retry_after)
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id)
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
        .where(col(Outbox.id) == row_id)
        .values(
            status=OutboxStatus.FAILED, claimed_until=None, last_error=error[:2000], error_code=code
        )
    )


def requeue_as_template(
    session: Session, row: Outbox, now: datetime, error: str, code: str
) -> None:
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


def outcome(engine: Engine, key: str) -> tuple[str, str | None] | None:
    """(status, error_code) of the row queued under `key`; None when there is none."""
    with session_scope(engine) as session:
        row = session.exec(select(Outbox).where(Outbox.idempotency_key == key)).first()
        return (row.status, row.error_code) if row else None


def cancel_for_contact(session: Session, contact_id: int) -> int:
    """Drop everything not yet sent to a contact (they opted out or asked to be forgotten)."""
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.contact_id) == contact_id, col(Outbox.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
    )
    return affected(result) or 0


def backoff(attempts: int) -> float:
    """Exponential backoff with full jitter: spreads retries after a provider outage."""
    return DEFAULT_POLICY.delay(attempts)
