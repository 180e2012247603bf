"""Live comments kept with their show, and the host's page tokens.

Writes are batched (a session flushes every tick) and idempotent: a comment is one row
per (show, platform, id), so a source that reconnects and re-reads, or an export imported
twice, changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from bot.db import session_scope, upsert_insert
from bot.models import LivePage, ShowComment

if TYPE_CHECKING:
    from bot.radar.board import Seen

_CHUNK = 500


def save(engine: Engine, seen: Sequence[Seen], labels: dict[str, str] | None = None) -> int:
    """Store comments (and what the radar read in them); returns how many were new."""
    labels = labels or {}
    rows = [
        {
            "show": s.comment.show[:64],
            "platform": s.comment.platform[:32],
            "external_id": s.comment.identity(),
            "author_id": s.comment.author_id[:128],
            "author_name": s.comment.author_name[:200],
            "text": s.comment.text,
            "language": s.language,
            "at": s.comment.at,
            "question_key": s.reading.key if s.reading else None,
            "question_label": (labels.get(s.reading.key) or "")[:300] or None
            if s.reading
            else None,
        }
        for s in seen
    ]
    added = 0
    with session_scope(engine) as session:
        insert = upsert_insert(session)
        for start in range(0, len(rows), _CHUNK):
            statement = insert(ShowComment).values(rows[start : start + _CHUNK])
            # RETURNING counts what was new: psycopg reports -1 rows for ON CONFLICT.
            result = session.execute(
                statement.on_conflict_do_nothing().returning(ShowComment.__table__.c.id)  # type: ignore[attr-defined]
            )
            added += len(result.all())
    return added


def mark_answered(engine: Engine, show: str, key: str, at: datetime) -> int:
    with session_scope(engine) as session:
        result = session.execute(
            update(ShowComment)
            .where(ShowComment.show == show)  # type: ignore[arg-type]
            .where(ShowComment.question_key == key)  # type: ignore[arg-type]
            .where(ShowComment.answered_at.is_(None))  # type: ignore[union-attr]
            .values(answered_at=at)
        )
        return result.rowcount or 0  # type: ignore[attr-defined]


def page_token(engine: Engine, show: str, now: datetime) -> str:
    """The show's page token, made once (an unguessable 128-bit URL-safe string)."""
    with session_scope(engine) as session:
        page = session.exec(select(LivePage).where(LivePage.show == show)).first()
        if page is None:
            page = LivePage(token=secrets.token_urlsafe(16), show=show, created_at=now)
            session.add(page)
        return page.token


def show_of_token(engine: Engine, token: str) -> str | None:
    with session_scope(engine) as session:
        page = session.get(LivePage, token)
        return page.show if page else None


@dataclass(frozen=True)
class AskedQuestion:
    """One question viewers asked during a show, for the digest and the next show's FAQ."""

    key: str
    label: str
    viewers: int
    answered: bool
    originals: tuple[str, ...]


def asked(engine: Engine, shows: Iterable[str], limit: int = 10) -> list[AskedQuestion]:
    with session_scope(engine) as session:
        return asked_in(session, shows, limit)


def asked_in(session: Session, shows: Iterable[str], limit: int = 10) -> list[AskedQuestion]:
    """The shows' questions by distinct viewers, unanswered first: the next show's FAQ."""
    names = [s for s in dict.fromkeys(shows) if s]
    if not names:
        return []
    counts = session.execute(
        select(
            ShowComment.question_key,
            func.count(func.distinct(ShowComment.author_id)),
            func.max(ShowComment.question_label),
            func.max(ShowComment.answered_at),
        )
        .where(ShowComment.show.in_(names))  # type: ignore[attr-defined]
        .where(ShowComment.question_key.is_not(None))  # type: ignore[union-attr]
        .group_by(ShowComment.question_key)
    ).all()
    ranked = sorted(counts, key=lambda row: (row[3] is not None, -row[1], row[0]))[:limit]
    found = []
    for key, viewers, label, answered in ranked:
        texts = session.exec(
            select(ShowComment.text)
            .where(ShowComment.show.in_(names))  # type: ignore[attr-defined]
            .where(ShowComment.question_key == key)
            .order_by(ShowComment.id)  # type: ignore[arg-type]
            .limit(20)
        ).all()
        originals = tuple(dict.fromkeys(texts))[:3]
        found.append(
            AskedQuestion(key, label or originals[0], viewers, answered is not None, originals)
        )
    return found
