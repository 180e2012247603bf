"""Claiming a team action once, in the database (table `action_claim`).

`claim()` inserts the key with ON CONFLICT DO NOTHING inside the caller's unit of work:
the claim and the work commit together or not at all, and the second claimant (another
app instance, a replayed request, a restart) learns it lost and what the first produced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.clock import Clock
from bot.db import upsert_insert
from bot.models import ActionClaim, InboundEvent
from bot.services.unit_of_work import UnitOfWork


def claim(session: Session, key: str, kind: str, actor: str, now: datetime) -> bool:
    """True when this call took the key; False when it was taken before."""
    table = ActionClaim.__table__  # type: ignore[attr-defined]
    statement = (
        upsert_insert(session)(table)
        .values(key=key[:128], kind=kind[:32], actor=actor[:64], claimed_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        # RETURNING, not rowcount: psycopg reports -1 rows for ON CONFLICT DO NOTHING.
        .returning(table.c.key)
    )
    return session.connection().execute(statement).first() is not None


def record(session: Session, key: str, outcome: str) -> None:
    session.execute(
        update(ActionClaim).where(col(ActionClaim.key) == key[:128]).values(outcome=outcome[:128])
    )


def outcome_of(session: Session, key: str) -> ActionClaim | None:
    return session.get(ActionClaim, key[:128])


def first_event(engine: Engine, channel: str, external_id: str, kind: str, clock: Clock) -> bool:
    """Record a platform event once (the inbound log); False when it was seen before."""
    now = clock.now()
    try:
        with UnitOfWork(engine) as uow:
            uow.session.add(
                InboundEvent(
                    channel=channel,
                    external_id=external_id[:128],
                    kind=kind,
                    status="handled",
                    received_at=now,
                    handled_at=now,
                )
            )
            uow.commit()
    except IntegrityError:
        return False
    return True
