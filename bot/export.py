"""Campaign answers as CSV or JSON lines, for the team's own tools."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlmodel import Session, col, select

from bot import campaigns
from bot.models import Answer, AudienceMember, Contact, Conversation

COLUMNS = (
    "campaign_id",
    "conversation_id",
    "order",
    "market",
    "channel",
    "locale",
    "question_id",
    "question_type",
    "value",
    "skipped",
    "original",
    "language",
    "translation",
    "category",
    "sentiment_label",
    "sentiment_score",
    "themes",
    "urgency",
    "review_status",
    "answered_at",
)


def rows(session: Session, campaign_id: int) -> Iterator[dict[str, Any]]:
    """Answers without phone numbers or names: the team needs what was said, not who;
    the order number lets them match an answer to its order in the shop."""
    campaign = campaigns.get(session, campaign_id)
    query = (
        select(Answer, Conversation, Contact.channel, AudienceMember.order_ref)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .join(Contact, col(Contact.id) == Conversation.contact_id)
        .outerjoin(
            AudienceMember,
            (col(AudienceMember.contact_id) == Conversation.contact_id)
            & (col(AudienceMember.tag) == campaign.audience_tag),
        )
        .where(Conversation.campaign_id == campaign_id)
        .order_by(col(Answer.conversation_id), col(Answer.id))
    )
    for answer, conversation, channel, order in session.exec(query):
        yield {
            "campaign_id": campaign_id,
            "conversation_id": conversation.id,
            "order": order,
            "market": conversation.market,
            "channel": channel,
            "locale": conversation.locale,
            "question_id": answer.question_id,
            "question_type": answer.question_type,
            "value": answer.value,
            "skipped": answer.skipped,
            "original": answer.raw_text,
            "language": answer.language,
            "translation": answer.translation,
            "category": answer.category,
            "sentiment_label": answer.sentiment_label,
            "sentiment_score": answer.sentiment_score,
            "themes": answer.themes,
            "urgency": answer.urgency,
            "review_status": answer.review_status,
            "answered_at": answer.created_at.isoformat() if answer.created_at else None,
        }


def export_answers(
    session: Session, campaign_id: int, fmt: Literal["csv", "jsonl"], out: Path | None
) -> int:
    handle: TextIO = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    count = 0
    try:
        if fmt == "jsonl":
            for row in rows(session, campaign_id):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        else:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for row in rows(session, campaign_id):
                row["themes"] = "; ".join(row["themes"] or [])
                writer.writerow(row)
                count += 1
    finally:
        if out:
            handle.close()
    return count
