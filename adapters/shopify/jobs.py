"""The scheduler's Shopify work: keep codes created ahead of need, and read the orders
that used the codes given (redemptions), every SHOPIFY_SYNC_MINUTES."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlmodel import col, select

from adapters.shopify.admin import ShopifyError

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.scheduler import JobSpec
    from bot.shop import CouponShop

log = logging.getLogger(__name__)


def jobs(app: App) -> list[JobSpec]:
    from adapters.shopify import shop_from_settings
    from bot.scheduler import every

    shop = shop_from_settings(app.settings)
    if shop is None:
        return []
    return [
        every(
            "shopify-coupons",
            lambda: run_once(app, shop),
            minutes=app.settings.shopify_sync_minutes,
        )
    ]


def run_once(app: App, shop: CouponShop) -> None:
    """Top up every synced pool, then record redemptions; a shop error waits for the next
    run (codes keep their state, nothing is lost)."""
    from bot import shop as shop_sync
    from bot.coupons import ShopState
    from bot.db import session_scope
    from bot.models import Coupon

    with session_scope(app.engine) as session:
        pools = session.exec(
            select(Coupon.pool)
            .where(col(Coupon.shop_state).in_((ShopState.PENDING, ShopState.FAILED)))
            .distinct()
        ).all()
    now = app.clock.now()
    for pool in pools:
        try:
            report = shop_sync.sync(
                app.engine, shop, pool, now, ahead=app.settings.shopify_codes_ahead
            )
        except ShopifyError as exc:
            log.warning("shopify sync of pool %s: %s", pool, exc)
            continue
        if report.created or report.refused:
            log.info("%s", report.summary())
    try:
        redeemed = shop_sync.read_redemptions(app.engine, shop, now)
    except ShopifyError as exc:
        log.warning("shopify orders: %s", exc)
        return
    if redeemed.marked:
        log.info("shopify orders: %s", redeemed.summary())
