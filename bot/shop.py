"""Codes that work at checkout: keep a pool's codes in the shop and learn which were used.

The shop is reached through the `CouponShop` port; the Shopify Admin API adapter
(adapters/shopify) implements it, and a shop without an API is served by exports
(bot.coupon_exports). Each code carries its state with the shop (Coupon.shop_state), so
`sync` resumes where it stopped, a refused batch is sent again, and `check` can say
which codes a customer would find missing at checkout.

Every batch is committed as soon as the shop has answered: a crash mid-pool loses at
most the batch in flight, and the next sync first asks the shop which of those it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot.clock import utc
from bot.coupons import ShopState, get_pool, offer_of
from bot.db import session_scope
from bot.models import Coupon, CouponPool
from bot.offers import Offer
from bot.redemptions import Tally


@dataclass(frozen=True)
class DiscountSpec:
    """One shop discount for a pool: every code of the pool belongs to it."""

    title: str
    offer: Offer
    starts_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class BatchResult:
    created: tuple[str, ...]
    #: code -> the shop's reason
    refused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShopOrder:
    number: str
    codes: tuple[str, ...]
    total: Decimal | None
    currency: str | None
    created_at: datetime


class CouponShop(Protocol):
    """What postlive needs from a shop's API."""

    #: The largest list of codes `add_codes` should be given at once.
    batch_size: int

    def create_discount(self, spec: DiscountSpec, first_code: str) -> str:
        """Create the discount with its first code; returns the shop's discount id."""
        ...

    def add_codes(self, discount_id: str, codes: Sequence[str]) -> BatchResult:
        """Add codes to the discount; says which the shop created and which it refused."""
        ...

    def codes_in_shop(self, discount_id: str) -> set[str]:
        """Every code the shop has for the discount."""
        ...

    def orders_using(self, codes: Sequence[str]) -> list[ShopOrder]:
        """Orders that used any of `codes`."""
        ...


@dataclass
class SyncReport:
    pool: str
    created: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    found_in_shop: int = 0
    batches: int = 0

    def summary(self) -> str:
        line = (
            f"pool {self.pool}: {self.created} codes created in the shop in {self.batches} batches"
        )
        if self.found_in_shop:
            line += f", {self.found_in_shop} were already there"
        if self.refused:
            sample = "; ".join(f"{c}: {why}" for c, why in list(self.refused.items())[:5])
            line += f"; {len(self.refused)} refused ({sample})"
        return line


def mark_for_shop(engine: Engine, pool: str) -> int:
    """Codes of `pool` that no shop knows of yet become PENDING; returns how many."""
    with session_scope(engine) as session:
        get_pool(session, pool)
        result = session.execute(
            update(Coupon)
            .where(col(Coupon.pool) == pool, col(Coupon.shop_state).is_(None))
            .values(shop_state=ShopState.PENDING)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def sync(
    engine: Engine,
    shop: CouponShop,
    pool: str,
    now: datetime,
    *,
    ahead: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Create `pool`'s pending (and earlier refused) codes in the shop, batch by batch.

    With `ahead`, only enough to keep that many free codes in the shop: the rest wait
    for a later run (codes are created lazily, ahead of need)."""
    report = SyncReport(pool)
    discount_id = _discount(engine, shop, pool, now, report)
    if discount_id is None:
        return report
    if _count(engine, pool, ShopState.FAILED, ShopState.MISSING):
        # A code refused or lost earlier may in fact be there (an answer lost on the
        # way back): ask the shop before sending it again, so nothing is added twice.
        report.found_in_shop += reconcile(engine, shop, pool, now, discount_id=discount_id)
    budget = _wanted(engine, pool, ahead)
    while budget > 0:
        batch = _next_batch(engine, pool, min(shop.batch_size, budget))
        if not batch:
            break
        result = shop.add_codes(discount_id, batch)
        _record(engine, result, now)
        report.batches += 1
        report.created += len(result.created)
        report.refused.update(result.refused)
        budget -= len(batch)
        if progress:
            progress(len(batch))
    return report


def reconcile(
    engine: Engine, shop: CouponShop, pool: str, now: datetime, *, discount_id: str | None = None
) -> int:
    """Ask the shop which codes it has; found codes become IN_SHOP, codes we created that
    it no longer has become MISSING. Returns how many not-yet-confirmed codes were found."""
    if discount_id is None:
        with session_scope(engine) as session:
            discount_id = get_pool(session, pool).shop_discount_id
        if discount_id is None:
            return 0
    present = shop.codes_in_shop(discount_id)
    found = 0
    with session_scope(engine) as session:
        rows = session.exec(
            select(Coupon).where(Coupon.pool == pool, col(Coupon.shop_state).is_not(None))
        ).all()
        for coupon in rows:
            there = coupon.code in present
            if there and coupon.shop_state != ShopState.IN_SHOP:
                found += 1
                coupon.shop_state, coupon.shop_error = ShopState.IN_SHOP, None
            elif not there and coupon.shop_state == ShopState.IN_SHOP:
                coupon.shop_state = ShopState.MISSING
                coupon.shop_error = "not found in the shop"
            elif not there and coupon.shop_state == ShopState.FAILED:
                # Refused last time (it keeps its reason): sent again by this run.
                coupon.shop_state = ShopState.PENDING
            coupon.shop_checked_at = now
            session.add(coupon)
    return found


@dataclass(frozen=True)
class CheckReport:
    pool: str
    in_shop: int
    missing: tuple[str, ...]
    #: Missing codes already in a customer's hands: they fail at checkout.
    missing_given: tuple[str, ...]

    def summary(self) -> str:
        if not self.missing:
            return f"pool {self.pool}: all {self.in_shop} codes are in the shop"
        line = f"pool {self.pool}: {len(self.missing)} codes missing in the shop"
        if self.missing_given:
            line += f", {len(self.missing_given)} of them already given to customers"
        return line


def check(engine: Engine, shop: CouponShop, pool: str, now: datetime) -> CheckReport:
    """Which of the pool's codes a customer would not find at checkout."""
    reconcile(engine, shop, pool, now)
    with session_scope(engine) as session:
        rows = session.exec(
            select(Coupon.code, Coupon.conversation_id, Coupon.shop_state).where(
                Coupon.pool == pool
            )
        ).all()
    missing = tuple(sorted(code for code, _, state in rows if state != ShopState.IN_SHOP))
    given = tuple(sorted(code for code, conv, state in rows if state != ShopState.IN_SHOP and conv))
    in_shop = sum(1 for _, _, state in rows if state == ShopState.IN_SHOP)
    return CheckReport(pool, in_shop, missing, given)


@dataclass
class RedemptionReport(Tally):
    def summary(self) -> str:
        return (
            f"{self.orders} orders with our codes: {self.marked} codes newly redeemed, "
            f"{self.already} already recorded"
        )


def read_redemptions(
    engine: Engine, shop: CouponShop, now: datetime, *, batch: int = 25
) -> RedemptionReport:
    """Orders in the shop that used a code we gave and not yet seen redeemed."""
    report = RedemptionReport()
    with session_scope(engine) as session:
        codes = session.exec(
            select(Coupon.code).where(
                col(Coupon.conversation_id).is_not(None),
                col(Coupon.redeemed_at).is_(None),
                Coupon.shop_state == ShopState.IN_SHOP,
            )
        ).all()
    for i in range(0, len(codes), batch):
        orders = shop.orders_using(codes[i : i + batch])
        with session_scope(engine) as session:
            for order in orders:
                report.record(session, order, order.created_at)
    return report


def _discount(
    engine: Engine, shop: CouponShop, pool: str, now: datetime, report: SyncReport
) -> str | None:
    with session_scope(engine) as session:
        found = get_pool(session, pool)
        if found.shop_discount_id:
            return found.shop_discount_id
        first = _next_batch_in(session, pool, 1)
        if not first:
            return None
        spec = DiscountSpec(
            title=f"postlive {pool}",
            offer=offer_of(found),
            starts_at=utc(found.created_at) if found.created_at else now,
            ends_at=utc(found.expires_at) if found.expires_at else None,
        )
    discount_id = shop.create_discount(spec, first[0])
    # Recorded at once: a second discount for the same pool would split its codes.
    with session_scope(engine) as session:
        session.execute(
            update(CouponPool)
            .where(col(CouponPool.name) == pool)
            .values(shop_discount_id=discount_id)
        )
    _record(engine, BatchResult(created=(first[0],)), now)
    report.created += 1
    return discount_id


def _wanted(engine: Engine, pool: str, ahead: int | None) -> int:
    if ahead is None:
        return 1 << 62
    with session_scope(engine) as session:
        free_in_shop = session.exec(
            select(func.count())
            .select_from(Coupon)
            .where(
                Coupon.pool == pool,
                col(Coupon.conversation_id).is_(None),
                Coupon.shop_state == ShopState.IN_SHOP,
            )
        ).one()
    return max(0, ahead - int(free_in_shop))


def _count(engine: Engine, pool: str, *states: ShopState) -> int:
    with session_scope(engine) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Coupon)
                .where(Coupon.pool == pool, col(Coupon.shop_state).in_(states))
            ).one()
        )


def _next_batch(engine: Engine, pool: str, size: int) -> list[str]:
    with session_scope(engine) as session:
        return _next_batch_in(session, pool, size)


def _next_batch_in(session: Session, pool: str, size: int) -> list[str]:
    # Codes already given to customers first: they are the ones that must work today.
    return list(
        session.exec(
            select(Coupon.code)
            .where(
                Coupon.pool == pool,
                col(Coupon.shop_state).in_((ShopState.PENDING, ShopState.MISSING)),
            )
            .order_by(col(Coupon.conversation_id).is_(None), col(Coupon.id))
            .limit(size)
        ).all()
    )


def _record(engine: Engine, result: BatchResult, now: datetime) -> None:
    with session_scope(engine) as session:
        if result.created:
            session.execute(
                update(Coupon)
                .where(col(Coupon.code).in_(result.created))
                .values(shop_state=ShopState.IN_SHOP, shop_error=None, shop_checked_at=now)
            )
        for code, reason in result.refused.items():
            session.execute(
                update(Coupon)
                .where(col(Coupon.code) == code)
                .values(shop_state=ShopState.FAILED, shop_error=reason[:255], shop_checked_at=now)
            )
