"""Campaigns with answers already analysed, written straight into the database (what
bot/analysis would have stored), so Slack tests do not depend on the analysis."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import select

from bot.bootstrap import App
from bot.db import session_scope
from bot.models import (
    Answer,
    AnswerTheme,
    AudienceMember,
    Campaign,
    CampaignStatus,
    Contact,
    Conversation,
    ConversationState,
    Theme,
)

#: (country, locale, time zone, a complaint, its English translation)
MARKETS = (
    ("US", "en-US", "America/New_York", "The color looked way brighter on the stream.", None),
    (
        "DE",
        "de",
        "Europe/Berlin",
        "Die Farbe war viel dunkler als im Stream.",
        "The colour was much darker than in the stream.",
    ),  # noqa: E501
    (
        "JP",
        "ja",
        "Asia/Tokyo",
        "配信で見た色と違いました。",
        "The colour differed from the stream.",
    ),
    (
        "BR",
        "pt-BR",
        "America/Sao_Paulo",
        "A cor era diferente da live.",
        "The colour was different from the live.",
    ),  # noqa: E501
    (
        "FR",
        "fr",
        "Europe/Paris",
        "La couleur n'était pas la même que pendant le live.",
        "The colour was not the same as during the live.",
    ),  # noqa: E501
    (
        "ID",
        "id",
        "Asia/Jakarta",
        "Warnanya beda sama yang di live.",
        "The colour is different from the live.",
    ),  # noqa: E501
    ("TH", "th", "Asia/Bangkok", "สีไม่เหมือนในไลฟ์ค่ะ", "The colour is not like in the live."),
    (
        "CN",
        "zh-CN",
        "Asia/Shanghai",
        "颜色和直播里看到的不一样。",
        "The colour is different from what I saw in the live.",
    ),  # noqa: E501
)
CATEGORIES = ("complaint", "suggestion", "praise", "usage_experience", "product_question", "other")


@dataclass
class Seeded:
    campaign_id: int
    theme_ids: list[int] = field(default_factory=list)
    #: answer id -> (contact id, locale)
    text_answers: dict[int, tuple[int, str]] = field(default_factory=dict)
    contacts: dict[int, str] = field(default_factory=dict)


def seed(
    app: App,
    conversations: int = 1000,
    themes: int = 12,
    *,
    show: str = "Luna Live: Winter Knits",
    offline_every: int = 7,
    pending_every: int = 11,
    long_texts: bool = False,
    seed_value: int = 5,
) -> Seeded:
    """`conversations` completed surveys spread over eight markets and languages: each a
    rating and an analysed free-text answer linked to one of `themes` themes."""
    rng = random.Random(seed_value)
    now = app.clock.now()
    with session_scope(app.engine) as session:
        campaign = Campaign(
            flow_id="post-live",
            audience_tag="show-1",
            show=show,
            status=CampaignStatus.RUNNING,
            starts_at=now - timedelta(days=1),
            created_at=now - timedelta(days=1),
            analysis_prompt_tokens=1_500_000,
            analysis_completion_tokens=200_000,
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        result = Seeded(campaign.id)
        for t in range(themes):
            label = f"Colour differs from the stream, variant {t}"
            if long_texts:
                label = (label + " — " + "very " * 60)[:200]
            theme = Theme(
                campaign_id=campaign.id,
                key=f"colour-{t}",
                label=label,
                category=CATEGORIES[t % len(CATEGORIES)],
                created_at=now,
            )
            session.add(theme)
            session.flush()
            assert theme.id is not None
            result.theme_ids.append(theme.id)
        # Bulk inserts: a thousand surveys in well under a second.
        people = []
        for i in range(conversations):
            country, locale, tz, _, _ = MARKETS[i % len(MARKETS)]
            people.append(
                {
                    "channel": "whatsapp",
                    "address": f"+1999{i:07d}",
                    "locale": locale,
                    "country": country,
                    "timezone": tz,
                    "consent": True,
                    "created_at": now,
                    "last_inbound_at": now - timedelta(hours=2),
                }
            )
        session.execute(insert(Contact), people)
        ids = dict(session.exec(select(Contact.address, Contact.id)).all())
        contact_ids = [ids[p["address"]] for p in people]
        session.execute(
            insert(AudienceMember), [{"tag": "show-1", "contact_id": c} for c in contact_ids]
        )
        session.execute(
            insert(Conversation),
            [
                {
                    "campaign_id": campaign.id,
                    "contact_id": contact_id,
                    "state": ConversationState.COMPLETED,
                    "locale": MARKETS[i % len(MARKETS)][1],
                    "market": MARKETS[i % len(MARKETS)][0],
                    "answers": {},
                    "position": 0,
                    "retries": 0,
                    "steps": 0,
                    "sent_at": now - timedelta(hours=20),
                    "started_at": now - timedelta(hours=19),
                    "completed_at": now - timedelta(hours=18),
                }
                for i, contact_id in enumerate(contact_ids)
            ],
        )
        conversation_of = dict(
            session.exec(
                select(Conversation.contact_id, Conversation.id).where(
                    Conversation.campaign_id == campaign.id
                )
            ).all()
        )
        rows = []
        for i, contact_id in enumerate(contact_ids):
            _, locale, _, said, translation = MARKETS[i % len(MARKETS)]
            result.contacts[contact_id] = locale
            rating = str(rng.choice((1, 2, 3, 4, 4, 5, 5, 5)))
            base = {
                "conversation_id": conversation_of[contact_id],
                "media": [],
                "locale": locale,
                "skipped": False,
            }
            rows.append(
                {
                    **base,
                    "question_id": "overall",
                    "question_type": "rating",
                    "raw_text": rating,
                    "value": rating,
                    "themes": [],
                    "created_at": now,
                    "language": None,
                    "translation": None,
                    "category": None,
                    "sentiment_label": None,
                    "sentiment_score": None,
                    "urgency": None,
                    "confidence": None,
                    "analyzer": None,
                    "analyzed_at": None,
                    "review_status": None,
                }
            )
            offline = i % offline_every == 0
            rows.append(
                {
                    **base,
                    "question_id": "improve",
                    "question_type": "text",
                    "raw_text": said + (" " + "so much detail " * 200 if long_texts else ""),
                    "value": None,
                    "created_at": now - timedelta(hours=rng.choice((1, 30))),
                    "language": locale.split("-")[0],
                    "translation": None if offline else (translation or said),
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "sentiment_label": "negative" if i % 3 else "positive",
                    "sentiment_score": -0.6 if i % 3 else 0.7,
                    "themes": ["colour", "stream"] if i % 2 else ["shipping", "late delivery"],
                    "urgency": "none",
                    "confidence": 0.9,
                    "analyzer": "offline" if offline else "openai:gpt-4.1-mini",
                    "analyzed_at": now,
                    "review_status": "pending" if i % pending_every == 0 else None,
                }
            )
        session.execute(insert(Answer), rows)
        text_answers = session.exec(
            select(Answer.id, Conversation.contact_id)
            .join(Conversation, Conversation.id == Answer.conversation_id)  # type: ignore[arg-type]
            .where(Conversation.campaign_id == campaign.id, Answer.question_id == "improve")
        ).all()
        index = {contact_id: i for i, contact_id in enumerate(contact_ids)}
        links = []
        for answer_id, contact_id in text_answers:
            assert answer_id is not None
            result.text_answers[answer_id] = (contact_id, result.contacts[contact_id])
            theme_id = result.theme_ids[index[contact_id] % themes]
            links.append({"answer_id": answer_id, "theme_id": theme_id})
        session.execute(insert(AnswerTheme), links)
    return result


def answers_of_theme(app: App, theme_id: int) -> list[int]:
    with session_scope(app.engine) as session:
        return list(
            session.exec(select(AnswerTheme.answer_id).where(AnswerTheme.theme_id == theme_id))
        )
