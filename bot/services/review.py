"""Review use cases: the queue of answers the analysis was unsure about, and a human's
decision (confirm the machine's category, or change it). Agents and admins decide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.digest import CATEGORIES, PENDING
from bot.errors import NotFound
from bot.models import Answer, Conversation
from bot.services.actors import Actor, Role, require
from bot.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Queue:
    waiting: int
    rows: list[tuple[Answer, str | None, int]]


def queue(engine: Engine, campaign_id: int | None, page: int) -> Queue:
    """Answers awaiting review (oldest first, `page` of them) and how many wait in all."""
    with UnitOfWork(engine) as uow:
        where: list[Any] = [Answer.review_status == PENDING]
        if campaign_id is not None:
            where.append(Conversation.campaign_id == campaign_id)
        waiting = uow.session.exec(
            select(func.count())
            .select_from(Answer)
            .join(Conversation, col(Conversation.id) == Answer.conversation_id)
            .where(*where)
        ).one()
        rows = uow.session.exec(
            select(Answer, Conversation.market, Conversation.campaign_id)
            .join(Conversation, col(Conversation.id) == Answer.conversation_id)
            .where(*where)
            .order_by(col(Answer.id))
            .limit(page)
        ).all()
        return Queue(int(waiting), [(a, m, int(c)) for a, m, c in rows])


@dataclass(frozen=True)
class Decision:
    answer_id: int
    outcome: str
    #: It had been reviewed before this decision.
    again: bool


def decide(engine: Engine, answer_id: int, category: str | None, *, actor: Actor) -> Decision:
    """Store a reviewer's decision: confirmed as is, or corrected to `category`."""
    with UnitOfWork(engine) as uow:
        decision = decide_in(uow.session, answer_id, category, actor=actor)
        uow.commit()
    return decision


def decide_in(session: Session, answer_id: int, category: str | None, *, actor: Actor) -> Decision:
    """`decide` inside the caller's transaction (a Slack click's handler)."""
    require(actor, Role.AGENT, "change review categories")
    if category is not None and category not in CATEGORIES:
        raise NotFound("category", category)
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise NotFound("answer", answer_id)
    before = answer.review_status
    if category is None or category == answer.category:
        answer.review_status = "confirmed"
        outcome = f"confirmed answer {answer_id} as {answer.category or 'uncategorized'}"
    else:
        outcome = f"changed answer {answer_id}: {answer.category or '?'} → {category}"
        answer.category = category
        answer.review_status = "corrected"
    by = actor.name.removeprefix("slack:")
    answer.review_reason = f"{answer.review_reason or ''} · reviewed by {by}".strip(" ·")[:200]
    session.add(answer)
    session.flush()
    return Decision(answer_id, outcome, before not in (PENDING, None))
