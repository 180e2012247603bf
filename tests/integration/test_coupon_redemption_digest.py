"""Redemption closes the loop: the digest shows, per market, how many of the codes given
were used and what those orders brought in; the team is warned before a pool runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.console import Console
from sqlmodel import col, select

from bot import coupons, digest
from bot.bootstrap import App
from bot.coupon_alerts import claim_stock_warnings, stock_warnings
from bot.db import session_scope
from bot.models import (
    Campaign,
    CampaignStatus,
    Contact,
    Conversation,
    ConversationState,
    Coupon,
)
from bot.report import render_digest

WHEN = datetime(2026, 11, 27, 12, tzinfo=UTC)


def campaign_with(app: App, markets: dict[str, int], state: str = "completed") -> int:
    """A running campaign with `markets[m]` conversations in market m, each in `state`."""
    with session_scope(app.engine) as session:
        campaign = Campaign(
            flow_id="post-live", audience_tag="t", show="Knits", status=CampaignStatus.RUNNING
        )
        session.add(campaign)
        session.flush()
        n = 0
        for market, count in markets.items():
            for _ in range(count):
                n += 1
                contact = Contact(channel="whatsapp", address=f"+1555{campaign.id:03d}{n:05d}")
                session.add(contact)
                session.flush()
                session.add(
                    Conversation(
                        campaign_id=campaign.id,  # type: ignore[arg-type]
                        contact_id=contact.id,  # type: ignore[arg-type]
                        market=market,
                        state=state,
                    )
                )
        assert campaign.id is not None
        return campaign.id


def give_codes(app: App, campaign_id: int) -> dict[str, list[str]]:
    """Every completed conversation gets a code; returns codes by market."""
    by_market: dict[str, list[str]] = {}
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", 50)
        done = session.exec(
            select(Conversation).where(
                Conversation.campaign_id == campaign_id,
                Conversation.state == ConversationState.COMPLETED,
            )
        ).all()
        for conversation in done:
            coupon = coupons.assign(session, "post-live", conversation.id, WHEN, 30)  # type: ignore[arg-type]
            assert coupon is not None
            by_market.setdefault(conversation.market or "??", []).append(coupon.code)
    return by_market


def test_the_digest_shows_redemption_rate_per_market_and_revenue(app: App) -> None:
    campaign_id = campaign_with(app, {"US": 4, "DE": 2})
    codes = give_codes(app, campaign_id)
    with session_scope(app.engine) as session:
        for code, order, amount, currency in (
            (codes["US"][0], "#1", "54.90", "USD"),
            (codes["US"][1], "#2", "20.10", "USD"),
            (codes["DE"][0], "#3", "80.00", "EUR"),
        ):
            coupons.redeem(
                session,
                code,
                order_number=order,
                amount=Decimal(amount),
                currency=currency,
                when=WHEN,
            )
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        built = digest.build(session, campaign, app.flows["post-live"], now=WHEN)

    assert built.redemptions is not None
    by_market = {m.market: (m.issued, m.redeemed, m.revenue) for m in built.redemptions.markets}
    assert by_market == {
        "DE": (2, 1, {"EUR": Decimal("80.00")}),
        "US": (4, 2, {"USD": Decimal("75.00")}),
    }
    assert built.redemptions.lines() == [
        "coupons redeemed: 3/6 (50%)",
        "revenue from surveyed customers: 80.00 EUR, 75.00 USD",
        "  DE: 1/2 redeemed (50%), 80.00 EUR",
        "  US: 2/4 redeemed (50%), 75.00 USD",
    ]
    console = Console(width=200, record=True)
    console.print(render_digest(built))
    assert "US: 2/4 redeemed (50%), 75.00 USD" in console.export_text()


def test_the_team_is_warned_once_before_a_pool_runs_out(app: App) -> None:
    campaign_id = campaign_with(app, {"US": 30}, state="active")
    pools = {"post-live": "post-live"}
    with session_scope(app.engine) as session:
        made = coupons.generate(session, "post-live", 40)
    with session_scope(app.engine) as session:
        assert stock_warnings(session, pools) == []  # 40 codes for 30 open: enough
        for coupon in session.exec(select(Coupon).where(col(Coupon.code).in_(made[:28]))):
            session.delete(coupon)

    first = claim_stock_warnings(app.engine, pools, WHEN)
    again = claim_stock_warnings(app.engine, pools, WHEN + timedelta(minutes=1))

    # Nobody has finished yet: every open conversation may complete.
    assert [(w.campaign_id, w.pool, w.free, w.expected, w.open) for w in first] == [
        (campaign_id, "post-live", 12, 30, 30)
    ]
    assert "12 codes left for about 30 more completions" in first[0].text()
    assert again == []  # told once


def test_the_warning_counts_on_the_share_of_customers_who_complete(app: App) -> None:
    campaign_id = campaign_with(app, {"US": 30}, state="active")
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.coupon_pool = "small"
        coupons.generate(session, "small", 12)
        # Of 30 who finished so far, 10 completed: a third of the 30 still open will.
        for i in range(30):
            contact = Contact(channel="whatsapp", address=f"+1666000{i:04d}")
            session.add(contact)
            session.flush()
            session.add(
                Conversation(
                    campaign_id=campaign_id,
                    contact_id=contact.id,  # type: ignore[arg-type]
                    market="US",
                    state=ConversationState.COMPLETED if i < 10 else ConversationState.EXPIRED,
                )
            )
    with session_scope(app.engine) as session:
        assert stock_warnings(session, {}) == []  # 12 free for about 10 completions
        for coupon in session.exec(select(Coupon).where(Coupon.pool == "small")).all()[:2]:
            session.delete(coupon)
    with session_scope(app.engine) as session:
        (warning,) = stock_warnings(session, {})
    assert (warning.free, warning.expected, warning.open) == (10, 10, 30)
