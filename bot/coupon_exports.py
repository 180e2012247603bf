"""A pool's codes in a shop's own bulk-import format, for shops postlive cannot reach by
API (or a Shopify store without an Admin API token).

- `shopify`: the Discounts sheet of Matrixify, the bulk import app Shopify merchants use
  for discount codes (the Shopify admin itself imports no code lists). One row per code;
  rows with the same Title are codes of one discount, and the Command MERGE adds the
  codes to the discount of that Title, which the merchant creates once in the Shopify
  admin with the pool's offer (`postlive coupons status P` prints it). The CSV's file
  name must contain "discount" for the app to recognise it.
- `woocommerce`: the coupon import of WebToffee's Smart Coupons for WooCommerce, whose
  columns are WordPress post fields (post_title is the code) and WooCommerce's coupon
  meta keys (discount_type percent|fixed_cart, coupon_amount, expiry_date, ...).
- `csv`: every code with its offer, state in the shop, and redemption, for anything else.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, col, select

from bot.coupons import get_pool, offer_of
from bot.models import Coupon, CouponPool
from bot.offers import Offer, OfferKind


class ExportFormat(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    CSV = "csv"


SHOPIFY_COLUMNS = ("Title", "Command", "Code")
WOOCOMMERCE_COLUMNS = (
    "post_title",
    "post_excerpt",
    "post_status",
    "discount_type",
    "coupon_amount",
    "individual_use",
    "usage_limit",
    "usage_limit_per_user",
    "minimum_amount",
    "expiry_date",
)
CSV_COLUMNS = (
    "code",
    "pool",
    "offer",
    "value",
    "currency",
    "min_order",
    "expires",
    "once_per_customer",
    "shop_state",
    "given_at",
    "code_expires_at",
    "redeemed_at",
    "order_number",
    "order_amount",
    "order_currency",
)


def default_name(pool: str, fmt: ExportFormat) -> str:
    # Matrixify recognises a Discounts CSV by "discount" in its file name.
    return f"{pool}-discounts.csv" if fmt is ExportFormat.SHOPIFY else f"{pool}-coupons.csv"


def export(
    session: Session, pool: str, fmt: ExportFormat, path: Path, *, only_free: bool = False
) -> int:
    """Write the pool's codes to `path`; returns how many rows."""
    found = get_pool(session, pool)
    offer = offer_of(found)
    rows = _rows(session, found, offer, fmt, only_free)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(_columns(fmt))
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _columns(fmt: ExportFormat) -> tuple[str, ...]:
    return {
        ExportFormat.SHOPIFY: SHOPIFY_COLUMNS,
        ExportFormat.WOOCOMMERCE: WOOCOMMERCE_COLUMNS,
        ExportFormat.CSV: CSV_COLUMNS,
    }[fmt]


def _rows(
    session: Session, pool: CouponPool, offer: Offer, fmt: ExportFormat, only_free: bool
) -> Iterator[list[str]]:
    query = select(Coupon).where(Coupon.pool == pool.name).order_by(col(Coupon.id))
    if only_free:
        query = query.where(col(Coupon.conversation_id).is_(None))
    expires = pool.expires_at.date().isoformat() if pool.expires_at else ""
    for coupon in session.exec(query.execution_options(yield_per=1000)):
        if fmt is ExportFormat.SHOPIFY:
            yield [f"postlive {pool.name}", "MERGE", coupon.code]
        elif fmt is ExportFormat.WOOCOMMERCE:
            yield [
                coupon.code,
                f"postlive {pool.name}",
                "publish",
                "percent" if offer.kind is OfferKind.PERCENT else "fixed_cart",
                _number(offer.value),
                "yes",
                "1",
                "1" if offer.once_per_customer else "",
                _number(offer.min_order) if offer.min_order is not None else "",
                expires,
            ]
        else:
            yield [
                coupon.code,
                pool.name,
                offer.kind.value,
                _number(offer.value),
                offer.currency or "",
                _number(offer.min_order) if offer.min_order is not None else "",
                expires,
                "yes" if offer.once_per_customer else "no",
                coupon.shop_state or "",
                _iso(coupon.assigned_at),
                _iso(coupon.expires_at),
                _iso(coupon.redeemed_at),
                coupon.order_number or "",
                _number(coupon.order_amount) if coupon.order_amount is not None else "",
                coupon.order_currency or "",
            ]


def _number(value: object) -> str:
    text = f"{value}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _iso(value: object) -> str:
    return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]
