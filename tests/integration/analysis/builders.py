"""Builders for analysis tests: a campaign whose customers already answered."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Answer, Campaign, Contact, Conversation


@dataclass(frozen=True)
class Said:
    """One customer's free-text answer (and their rating, if they gave one)."""

    text: str | None
    rating: int | None = None
    locale: str = "en"
    media: tuple[dict[str, Any], ...] = ()
    question: str = "improve"
    question_type: str = "text"


_addresses = itertools.count(1)


def campaign_with_answers(
    app: App, answers: list[Said], *, show: str = "Winter Knits"
) -> tuple[int, list[int]]:
    """A running campaign whose customers each gave `answers[i]`; returns the campaign id
    and the free-text answers' ids, in order."""
    now = app.clock.now()
    ids: list[int] = []
    with session_scope(app.engine) as session:
        campaign = Campaign(
            flow_id="post-live", audience_tag="show-1", show=show, status="running", created_at=now
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        for said in answers:
            address = f"+1212555{next(_addresses):04d}"
            contact = Contact(channel="whatsapp", address=address, locale=said.locale, consent=True)
            session.add(contact)
            session.flush()
            conversation = Conversation(
                campaign_id=campaign.id,
                contact_id=contact.id,  # type: ignore[arg-type]
                state="completed",
                locale=said.locale,
            )
            session.add(conversation)
            session.flush()
            if said.rating is not None:
                session.add(
                    Answer(
                        conversation_id=conversation.id,  # type: ignore[arg-type]
                        question_id="overall",
                        question_type="rating",
                        raw_text=str(said.rating),
                        value=str(said.rating),
                        locale=said.locale,
                        created_at=now,
                    )
                )
            answer = Answer(
                conversation_id=conversation.id,  # type: ignore[arg-type]
                question_id=said.question,
                question_type=said.question_type,
                raw_text=said.text,
                media=[dict(m) for m in said.media],
                locale=said.locale,
                created_at=now,
            )
            session.add(answer)
            session.flush()
            assert answer.id is not None
            ids.append(answer.id)
        return campaign.id, ids


def answers(app: App, ids: list[int]) -> list[Answer]:
    with session_scope(app.engine) as session:
        found = {a.id: a for a in session.exec(select(Answer).where(col(Answer.id).in_(ids)))}
        return [found[i] for i in ids]
