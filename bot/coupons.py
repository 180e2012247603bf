"""Coupon pools: import, generate, and assign exactly one code per completed conversation.

"Exactly one" is the database's job: `coupon.conversation_id` is unique and a code is
taken with a conditional UPDATE, so a duplicated or concurrent completion can never give
two codes, and two conversations can never get the same code.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.db import affected
from bot.models import Conversation, Coupon

#: No 0/O, 1/I/L: codes are read aloud in live streams and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def assign(
    session: Session, pool: str, conversation_id: int, now: datetime, expires_days: int
) -> Coupon | None:
    """The conversation's coupon, taking a free one from `pool` if it has none yet."""
    # Two completions of one conversation must not both find "no coupon yet" and each
    # take one (PostgreSQL would then refuse the second with a unique violation): lock
    # the conversation first. A no-op when the caller already holds it (the engine path);
    # SQLite serializes writers anyway.
    session.exec(
        select(Conversation.id).where(Conversation.id == conversation_id).with_for_update()
    )
    held = session.exec(select(Coupon).where(Coupon.conversation_id == conversation_id)).first()
    if held is not None:
        return held
    skip_locked = session.get_bind().dialect.name == "postgresql"
    for _ in range(20):  # another worker may take the row we picked: pick again
        query = (
            select(Coupon.id)
            .where(col(Coupon.pool) == pool, col(Coupon.conversation_id).is_(None))
            .order_by(col(Coupon.id))
            .limit(1)
        )
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        coupon_id = session.exec(query).first()
        if coupon_id is None:
            return None
        taken = session.execute(
            update(Coupon)
            .where(col(Coupon.id) == coupon_id, col(Coupon.conversation_id).is_(None))
            .values(
                conversation_id=conversation_id,
                assigned_at=now,
                expires_at=now + timedelta(days=expires_days),
            )
        )
        if affected(taken) == 1:
            coupon = session.get(Coupon, coupon_id)
            assert coupon is not None
            session.refresh(coupon)
            return coupon
    return None


def import_codes(session: Session, pool: str, codes: Iterable[str]) -> tuple[int, int]:
    """Add codes to a pool; returns (added, already present). Re-importing is harmless."""
    fresh, present = _insert_new(session, pool, codes)
    return len(fresh), present


def generate(session: Session, pool: str, count: int, prefix: str = "") -> list[str]:
    """Create `count` new random codes; a clash with an existing code is simply redrawn."""
    made: list[str] = []
    while len(made) < count:
        fresh, _ = _insert_new(session, pool, {_code(prefix) for _ in range(count - len(made))})
        made.extend(fresh)
    return made


def _insert_new(session: Session, pool: str, codes: Iterable[str]) -> tuple[list[str], int]:
    wanted = {c.strip() for c in codes if c and c.strip()}
    existing: set[str] = set()
    ordered = sorted(wanted)
    for i in range(0, len(ordered), 500):  # stay under SQLite's bound-parameter limit
        chunk = ordered[i : i + 500]
        existing.update(session.exec(select(Coupon.code).where(Coupon.code.in_(chunk))).all())  # type: ignore[attr-defined]
    fresh = [c for c in ordered if c not in existing]
    session.add_all(Coupon(pool=pool, code=code) for code in fresh)
    session.flush()
    return fresh, len(existing)


def _code(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}{body[:4]}-{body[4:]}"


def stock(session: Session, pool: str) -> tuple[int, int]:
    """(free, assigned) codes in a pool."""
    rows = session.execute(
        select(Coupon.conversation_id.is_(None), func.count())  # type: ignore[union-attr]
        .where(Coupon.pool == pool)
        .group_by(Coupon.conversation_id.is_(None))  # type: ignore[union-attr]
    ).all()
    counts = {bool(free): n for free, n in rows}
    return counts.get(True, 0), counts.get(False, 0)
