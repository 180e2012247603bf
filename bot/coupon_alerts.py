"""A warning before a campaign's coupon pool runs out, while there is time to add codes.

An empty pool does not break a conversation (the customer is thanked and owed a code,
bot.effects), but every owed code is a promise the team must keep by hand. So while a
campaign runs, the codes still free are compared with the completions still to come:
the conversations not finished yet times the share of finished ones that completed (all
of them while fewer than `MIN_OUTCOMES` have finished, to be safe). The team is warned
once per campaign and pool.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot import coupons
from bot.db import session_scope, upsert_insert
from bot.models import (
    Campaign,
    CampaignStatus,
    Conversation,
    ConversationState,
    CouponStockWarning,
)

#: Below this many finished conversations the completion share is not trusted yet.
MIN_OUTCOMES = 20
#: Codes to spare on top of the expected need before the team is warned.
MARGIN = 0.10

_OPEN = (ConversationState.PLANNED, ConversationState.ACTIVE)
_FINISHED = (
    ConversationState.COMPLETED,
    ConversationState.EXPIRED,
    ConversationState.OPTED_OUT,
    ConversationState.FAILED,
)


@dataclass(frozen=True)
class StockWarning:
    campaign_id: int
    show: str
    pool: str
    free: int
    expected: int
    open: int

    def text(self) -> str:
        short = max(0, self.expected - self.free)
        return (
            f"Coupon pool `{self.pool}` is running out in campaign #{self.campaign_id} "
            f"{self.show}: {self.free} codes left for about {self.expected} more completions "
            f"({self.open} conversations still open); about {short} customers would be owed "
            f"a code. Add codes: `postlive coupons generate --pool {self.pool} --count N`."
        )


def stock_warnings(session: Session, pools_by_flow: Mapping[str, str | None]) -> list[StockWarning]:
    """Running campaigns whose pool will not cover the completions still to come."""
    found: list[StockWarning] = []
    running = session.exec(select(Campaign).where(Campaign.status == CampaignStatus.RUNNING))
    for campaign in running.all():
        pool = campaign.coupon_pool or pools_by_flow.get(campaign.flow_id)
        if not pool or campaign.id is None:
            continue
        counts = dict(
            session.execute(
                select(Conversation.state, func.count())
                .where(Conversation.campaign_id == campaign.id)
                .group_by(Conversation.state)
            ).all()
        )
        still_open = sum(counts.get(state, 0) for state in _OPEN)
        if not still_open:
            continue
        finished = sum(counts.get(state, 0) for state in _FINISHED)
        share = (
            counts.get(ConversationState.COMPLETED, 0) / finished
            if finished >= MIN_OUTCOMES
            else 1.0
        )
        expected = math.ceil(still_open * share)
        free = coupons.counts(session, pool).free
        if expected and free < expected * (1 + MARGIN):
            found.append(StockWarning(campaign.id, campaign.show, pool, free, expected, still_open))
    return found


def claim_stock_warnings(
    engine: Engine, pools_by_flow: Mapping[str, str | None], now: datetime
) -> list[StockWarning]:
    """The warnings not given yet; each is recorded as given in the same transaction, so
    several processes never post it twice."""
    claimed: list[StockWarning] = []
    with session_scope(engine) as session:
        for warning in stock_warnings(session, pools_by_flow):
            inserted = session.execute(
                upsert_insert(session)(CouponStockWarning)
                .values(
                    campaign_id=warning.campaign_id,
                    pool=warning.pool,
                    free=warning.free,
                    expected=warning.expected,
                    warned_at=now,
                )
                .on_conflict_do_nothing(index_elements=["campaign_id", "pool"])
                # A row comes back only when this call inserted it (rowcount of an
                # ORM-level INSERT is not reliable on every driver).
                .returning(CouponStockWarning.campaign_id)
            ).first()
            if inserted is not None:
                claimed.append(warning)
    return claimed


def flow_pools(flows: Mapping[str, object]) -> dict[str, str | None]:
    """flow id -> its coupon pool (the default when a campaign names none)."""
    pools: dict[str, str | None] = {}
    for flow_id, flow in flows.items():
        coupon = getattr(flow, "coupon", None)
        pools[flow_id] = coupon.pool if coupon is not None else None
    return pools
