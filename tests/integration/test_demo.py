"""`postlive demo` runs a real campaign: every market answers, nobody gets a duplicate."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from bot import demo
from bot.db import session_scope
from bot.models import Answer, Contact, Conversation, ConversationState, Coupon


def test_the_demo_campaign_completes_in_every_market_with_one_coupon_each(tmp_path: Path) -> None:
    result = demo.run(tmp_path, scale=0.25)
    assert result.duplicates == 0
    assert result.chart.stat().st_size > 10_000
    with session_scope(result.app.engine) as session:
        completed = session.exec(
            select(Conversation.market, func.count())
            .where(Conversation.state == ConversationState.COMPLETED)
            .group_by(Conversation.market)
        ).all()
        coupons = session.exec(
            select(func.count()).select_from(Coupon).where(Coupon.conversation_id.is_not(None))
        ).one()  # type: ignore[union-attr]
        done = sum(n for _, n in completed)
        opted_out = session.exec(
            select(func.count()).select_from(Contact).where(Contact.opted_out_at.is_not(None))
        ).one()  # type: ignore[union-attr]
        photos = session.exec(
            select(func.count())
            .select_from(Answer)
            .where(Answer.question_id == "photo", Answer.skipped.is_(False))
        ).one()  # type: ignore[attr-defined]
    assert {market for market, _ in completed} == {
        "US",
        "DE",
        "JP",
        "MX",
        "BR",
        "FR",
        "ID",
        "TH",
        "VN",
        "SA",
        "CN",
    }
    assert coupons == done
    assert opted_out >= 1
    assert photos >= 1
    result.app.engine.dispose()
