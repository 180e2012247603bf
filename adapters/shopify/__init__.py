"""Shopify: coupon codes created in the shop and redemptions read from its orders,
through the Admin GraphQL API (bot.shop.CouponShop). Off unless SHOPIFY_SHOP and
SHOPIFY_ADMIN_TOKEN are set."""

from __future__ import annotations

from adapters.shopify.admin import (
    AdminClient,
    ShopifyAuthError,
    ShopifyError,
    ShopifyRejected,
    ShopifyUnavailable,
)
from adapters.shopify.discounts import MAX_CODES_PER_CALL, ShopifyCoupons
from bot.settings import Settings

__all__ = [
    "MAX_CODES_PER_CALL",
    "AdminClient",
    "ShopifyAuthError",
    "ShopifyCoupons",
    "ShopifyError",
    "ShopifyRejected",
    "ShopifyUnavailable",
    "shop_from_settings",
]


def shop_from_settings(settings: Settings) -> ShopifyCoupons | None:
    """The shop's coupon API, or None when Shopify is not configured."""
    if not settings.shopify_enabled:
        return None
    assert settings.shopify_shop and settings.shopify_admin_token
    client = AdminClient(
        shop=settings.shopify_shop.strip(),
        token=settings.shopify_admin_token.get_secret_value(),
        api_version=settings.shopify_api_version,
        api_url=settings.shopify_api_url,
    )
    return ShopifyCoupons(client)
