"""Which codes were used at checkout: read from a shop's orders export, and summed per
market for the digest (redemption rate, revenue from surveyed customers).

Shopify's orders export has one row per line item; the order's columns ("Name",
"Discount Code", "Total", "Currency", "Created at") are filled on its first row only.
WooCommerce exports (the Customer/Order CSV Export extension's default columns) give
`order_number`, `order_total`, `order_currency`, `order_date` and the coupons as
`coupon_items` ("code:LIVE-AB12|amount:5.00", several joined by ";"). A plain CSV with
`code` and `order` (and optionally `amount`, `currency`, `date`) columns works too.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.coupons import Redeemed, redeem
from bot.errors import PostliveError
from bot.models import Conversation, Coupon


class OrdersFileError(PostliveError):
    pass


@dataclass(frozen=True)
class OrderRow:
    line: int
    number: str
    codes: tuple[str, ...]
    total: Decimal | None
    currency: str | None
    when: datetime | None


class Order(Protocol):
    """An order that used discount codes: a row of an orders file, or the shop's API."""

    @property
    def number(self) -> str: ...
    @property
    def codes(self) -> tuple[str, ...]: ...
    @property
    def total(self) -> Decimal | None: ...
    @property
    def currency(self) -> str | None: ...


@dataclass(kw_only=True)
class Tally:
    """What recording orders did. The one loop that marks codes redeemed, whether the
    orders come from an export file (`mark_redeemed`) or the shop's API
    (`bot.shop.read_redemptions`)."""

    orders: int = 0
    marked: int = 0
    already: int = 0
    #: Codes used in orders that are not ours (other promotions): counted, not an error.
    other_codes: int = 0

    def record(self, session: Session, order: Order, when: datetime) -> None:
        """One order: each of its codes marked redeemed (a re-read changes nothing)."""
        self.orders += 1
        for code in order.codes:
            outcome = redeem(
                session,
                code,
                order_number=order.number,
                amount=order.total,
                currency=order.currency,
                when=when,
            )
            if outcome is Redeemed.MARKED:
                self.marked += 1
            elif outcome is Redeemed.ALREADY:
                self.already += 1
            else:
                self.other_codes += 1


@dataclass
class RedeemedReport(Tally):
    format: str
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"{self.format} orders export: {self.orders} orders with discount codes, "
            f"{self.marked} of our codes newly redeemed, {self.already} already recorded, "
            f"{self.other_codes} other codes"
        )
        if self.rejected:
            line += f"; {len(self.rejected)} rows rejected"
        return line


SHOPIFY = ("Name", "Discount Code", "Total")
WOOCOMMERCE = ("order_number", "coupon_items")


def read_orders(path: Path) -> tuple[str, list[OrderRow], list[tuple[int, str]]]:
    """(format, orders with codes, rejected rows with reasons) from an orders export."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OrdersFileError(f"cannot read {path}: {exc}") from exc
    lowered = {h.lower() for h in header}
    if all(h in header for h in SHOPIFY):
        fmt, parsed = "Shopify", _shopify(rows)
    elif all(h in lowered for h in WOOCOMMERCE):
        fmt, parsed = "WooCommerce", _woocommerce(rows)
    elif {"code", "order"} <= lowered:
        fmt, parsed = "CSV", _plain(rows)
    else:
        raise OrdersFileError(
            f"{path}: not an orders export postlive knows (Shopify: Name, Discount Code, "
            "Total; WooCommerce: order_number, coupon_items; or code, order columns)"
        )
    orders: list[OrderRow] = []
    rejected: list[tuple[int, str]] = []
    for item in parsed:
        if isinstance(item, OrderRow):
            orders.append(item)
        else:
            rejected.append(item)
    return fmt, orders, rejected


def mark_redeemed(session: Session, path: Path, now: datetime) -> RedeemedReport:
    fmt, orders, rejected = read_orders(path)
    report = RedeemedReport(fmt, rejected=rejected)
    for order in orders:
        report.record(session, order, order.when or now)
    return report


Parsed = OrderRow | tuple[int, str]


def _get(row: dict[str, str], *names: str) -> str:
    lowered = {(k or "").strip().lower(): v for k, v in row.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value and value.strip():
            return value.strip()
    return ""


def _shopify(rows: list[dict[str, str]]) -> Iterator[Parsed]:
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        number = _get(row, "Name")
        codes = _split(_get(row, "Discount Code"), ",")
        # Line-item rows after an order's first row repeat its Name with the rest blank.
        if not number or number in seen or not codes:
            continue
        seen.add(number)
        yield from _order(line, number, codes, row, ("Total",), ("Currency",), ("Created at",))


def _woocommerce(rows: list[dict[str, str]]) -> Iterator[Parsed]:
    for line, row in enumerate(rows, start=2):
        number = _get(row, "order_number", "order_id")
        items = _split(_get(row, "coupon_items"), ";")
        codes = []
        for item in items:
            fields = dict(part.split(":", 1) for part in item.split("|") if ":" in part)
            if fields.get("code"):
                codes.append(fields["code"].strip())
        if not number or not codes:
            continue
        yield from _order(
            line, number, codes, row, ("order_total",), ("order_currency",), ("order_date",)
        )


def _plain(rows: list[dict[str, str]]) -> Iterator[Parsed]:
    for line, row in enumerate(rows, start=2):
        codes = _split(_get(row, "code"), ",")
        number = _get(row, "order")
        if not codes:
            continue
        if not number:
            yield (line, "no order number")
            continue
        yield from _order(line, number, codes, row, ("amount",), ("currency",), ("date",))


def _order(
    line: int,
    number: str,
    codes: Iterable[str],
    row: dict[str, str],
    total_names: tuple[str, ...],
    currency_names: tuple[str, ...],
    date_names: tuple[str, ...],
) -> Iterator[Parsed]:
    total_text = _get(row, *total_names)
    total: Decimal | None = None
    if total_text:
        try:
            total = Decimal(total_text.replace(",", ""))
        except InvalidOperation:
            yield (line, f"order {number}: total {total_text!r} is not a number")
            return
    currency = _get(row, *currency_names).upper()[:3] or None
    yield OrderRow(line, number, tuple(codes), total, currency, _date(_get(row, *date_names)))


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


def _date(text: str) -> datetime | None:
    if not text:
        return None
    for candidate in (text, text.replace(" ", "T", 1)):
        try:
            value = datetime.fromisoformat(candidate.replace(" +", "+").replace(" -", "-"))
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


# -- the digest's figures ------------------------------------------------------------------


@dataclass(frozen=True)
class MarketRedemption:
    market: str
    issued: int
    redeemed: int
    #: currency -> revenue of the orders that used the codes
    revenue: dict[str, Decimal]

    @property
    def rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None


@dataclass(frozen=True)
class Redemptions:
    markets: tuple[MarketRedemption, ...]

    @property
    def issued(self) -> int:
        return sum(m.issued for m in self.markets)

    @property
    def redeemed(self) -> int:
        return sum(m.redeemed for m in self.markets)

    @property
    def rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None

    @property
    def revenue(self) -> dict[str, Decimal]:
        total: dict[str, Decimal] = defaultdict(Decimal)
        for market in self.markets:
            for currency, amount in market.revenue.items():
                total[currency] += amount
        return dict(sorted(total.items()))

    def lines(self) -> list[str]:
        """Plain lines for a digest: the whole campaign, then each market."""
        if not self.issued:
            return []
        lines = [f"coupons redeemed: {self.redeemed}/{self.issued} ({_pct(self.rate)})"]
        if self.revenue:
            lines.append("revenue from surveyed customers: " + _money(self.revenue))
        for m in self.markets:
            line = f"  {m.market}: {m.redeemed}/{m.issued} redeemed ({_pct(m.rate)})"
            if m.revenue:
                line += f", {_money(m.revenue)}"
            lines.append(line)
        return lines


def for_campaign(session: Session, campaign_id: int) -> Redemptions:
    """Codes given in a campaign, and used, per market; revenue per currency."""
    rows = session.execute(
        sa_select(
            col(Conversation.market),
            col(Coupon.order_currency),
            func.count(),
            func.count(col(Coupon.redeemed_at)),
            func.sum(col(Coupon.order_amount)),
        )
        .select_from(Coupon)
        .join(Conversation, col(Conversation.id) == Coupon.conversation_id)
        .where(col(Conversation.campaign_id) == campaign_id)
        .group_by(col(Conversation.market), col(Coupon.order_currency))
    ).all()
    issued: dict[str, int] = defaultdict(int)
    redeemed: dict[str, int] = defaultdict(int)
    revenue: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for market, currency, count, used, amount in rows:
        key = market or "??"
        issued[key] += count
        redeemed[key] += used
        if currency and amount is not None:
            revenue[key][currency] = Decimal(amount)
    return Redemptions(
        tuple(
            MarketRedemption(m, issued[m], redeemed[m], dict(sorted(revenue[m].items())))
            for m in sorted(issued)
        )
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{amount:,.2f} {currency}" for currency, amount in amounts.items())
