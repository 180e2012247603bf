"""Coupon pools: their offer, import, generate, assign exactly one code per completed
conversation, and record the orders that redeemed them.

"Exactly one" is the database's job: `coupon.conversation_id` is unique and a code is
taken with a conditional UPDATE, so a duplicated or concurrent completion can never give
two codes, and two conversations can never get the same code.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from bot.clock import utc
from bot.errors import PostliveError
from bot.models import Conversation, Coupon, CouponPool
from bot.offers import Offer, OfferKind, describe

#: No 0/O, 1/I/L: codes are read aloud in live streams and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class ShopState(StrEnum):
    """Where a code stands with the shop (Coupon.shop_state; None: no shop sync)."""

    PENDING = "pending"  # to be created in the shop
    IN_SHOP = "in_shop"  # the shop confirmed it
    FAILED = "failed"  # the shop refused it (shop_error says why); sync retries
    MISSING = "missing"  # we created it, a check no longer finds it


#: The coupon table, for the Core statements of `assign_offered`.
COUPONS = cast(Table, Coupon.__table__)  # type: ignore[attr-defined]
#: 1 for a code still on its way to the shop, else 0 (on the table's column, so that a
#: Core statement ordering by it stays Core).
_not_yet_in_shop = case(
    (COUPONS.c.shop_state.in_((ShopState.PENDING, ShopState.FAILED, ShopState.MISSING)), 1),
    else_=0,
)


class PoolError(PostliveError):
    pass


def create_pool(
    session: Session, name: str, offer: Offer, *, expires_at: datetime | None, now: datetime
) -> CouponPool:
    """A pool with its offer. An existing pool's offer can be changed only while none of
    its codes is in a shop or in a customer's hands: they were promised the old one."""
    pool = session.get(CouponPool, name)
    if pool is None:
        pool = CouponPool(name=name, kind=offer.kind, value=offer.value, created_at=now)
    else:
        given = session.exec(
            select(func.count())
            .select_from(Coupon)
            .where(
                Coupon.pool == name,
                or_(
                    col(Coupon.conversation_id).is_not(None),
                    col(Coupon.shop_state) == ShopState.IN_SHOP,
                ),
            )
        ).one()
        if given or pool.shop_discount_id:
            raise PoolError(
                f"pool {name!r} already has codes in customers' hands or in the shop; "
                "create a new pool for a new offer"
            )
    pool.kind = offer.kind
    pool.value = offer.value
    pool.currency = offer.currency
    pool.min_order = offer.min_order
    pool.once_per_customer = offer.once_per_customer
    pool.expires_at = expires_at
    session.add(pool)
    session.flush()
    return pool


def get_pool(session: Session, name: str) -> CouponPool:
    pool = session.get(CouponPool, name)
    if pool is None:
        raise PoolError(
            f"pool {name!r} has no offer yet: postlive coupons pool create {name} "
            "--percent N | --amount N --currency XXX"
        )
    return pool


def offer_of(pool: CouponPool) -> Offer:
    return Offer(
        kind=OfferKind(pool.kind),
        value=Decimal(pool.value),
        currency=pool.currency,
        min_order=Decimal(pool.min_order) if pool.min_order is not None else None,
        once_per_customer=pool.once_per_customer,
    )


def pool_offer(session: Session, name: str) -> tuple[Offer, datetime | None] | None:
    """The offer of pool `name` and its last valid moment; None for a pool without one."""
    pool = session.get(CouponPool, name)
    if pool is None:
        return None
    return offer_of(pool), utc(pool.expires_at) if pool.expires_at else None


PoolOffer = tuple[Offer, datetime | None]


def assign(
    session: Session, pool: str, conversation_id: int, now: datetime, expires_days: int
) -> Coupon | None:
    """The conversation's coupon, taking a free one from `pool` if it has none yet.

    It expires `expires_days` after it is given, or when the pool's offer ends if that
    comes first (the shop's discount ends then too)."""
    return assign_offered(session, pool, conversation_id, now, expires_days)[0]


def assign_offered(
    session: Session, pool: str, conversation_id: int, now: datetime, expires_days: int
) -> tuple[Coupon | None, PoolOffer | None]:
    """`assign`, with the pool's offer (None for a pool without one) read on the way, so
    the thank-you need not look the pool up again. Two statements for a new code: one
    reads the held coupon and the pool, one takes a free code (UPDATE ... RETURNING); a
    third only when none was free."""
    statements = _assign_statements(session.get_bind().dialect.name)
    row = session.execute(statements.held, {"conv": conversation_id, "pool_name": pool}).first()
    if row is not None:
        held, pool_row = row[1], row[2]
    else:  # no such conversation: the unique constraint still guards it
        held = session.execute(statements.mine, {"conv": conversation_id}).scalars().first()
        pool_row = session.get(CouponPool, pool)
    offer = (
        (offer_of(pool_row), utc(pool_row.expires_at) if pool_row.expires_at else None)
        if pool_row is not None
        else None
    )
    if held is not None:
        return held, offer
    expires = now + timedelta(days=expires_days)
    if offer is not None and offer[1] is not None:
        expires = min(expires, offer[1])
    taken = (
        session.connection()
        .execute(  # Core: no ORM bulk-update machinery
            statements.take,
            {"conv": conversation_id, "pool_name": pool, "assigned": now, "expires": expires},
        )
        .first()
    )
    if taken is not None:
        return Coupon(**taken._mapping), offer
    # An empty pool, or the code given meanwhile by the lock's holder.
    return session.execute(statements.mine, {"conv": conversation_id}).scalars().first(), offer


@dataclass(frozen=True)
class _AssignStatements:
    held: Any  # the conversation (locked on PostgreSQL), its coupon if any, the pool
    take: Any  # a free code given to the conversation, RETURNING it
    mine: Any  # the conversation's coupon


_ASSIGN_STATEMENTS: dict[str, _AssignStatements] = {}


def _assign_statements(dialect: str) -> _AssignStatements:
    """Built once per dialect, the values bound as parameters: each completion reuses
    the compiled statements instead of building and hashing three new ones, which cost
    more than running them."""
    found = _ASSIGN_STATEMENTS.get(dialect)
    if found is not None:
        return found
    conv: Any = bindparam("conv")
    pool: Any = bindparam("pool_name")
    postgres = dialect == "postgresql"
    # Two completions of one conversation must not both find "no coupon yet" and each
    # take one (PostgreSQL would then refuse the second with a unique violation): lock
    # the conversation first. A no-op when the caller already holds it (the engine path);
    # SQLite serializes writers anyway. The same statement reads the coupon it may
    # already hold and the pool's offer.
    held = (
        select(Conversation.id, Coupon, CouponPool)
        .select_from(Conversation)
        .outerjoin(Coupon, col(Coupon.conversation_id) == col(Conversation.id))
        .outerjoin(CouponPool, col(CouponPool.name) == pool)
        .where(col(Conversation.id) == conv)
    )
    if postgres:
        held = held.with_for_update(of=Conversation)
    table = COUPONS
    free = (
        sql_select(table.c.id)
        .where(table.c.pool == pool, table.c.conversation_id.is_(None))
        # A code the shop already has before one still on its way there.
        .order_by(_not_yet_in_shop, table.c.id)
        .limit(1)
    )
    if postgres:
        # The code picked is locked by this statement, and skipped by any other worker's:
        # nothing can take it between the pick and the update, so no row back means no
        # free code (as the separate select said before).
        free = free.with_for_update(skip_locked=True)
    # On PostgreSQL the first statement's snapshot predates the lock it waited for: a
    # completion that held the lock may have given this conversation a code it did not
    # see. This statement's snapshot is taken after the lock, so it does see it.
    already = sql_select(table.c.id).where(table.c.conversation_id == conv)
    take = (
        update(table)
        .where(
            table.c.id == free.scalar_subquery(),
            table.c.conversation_id.is_(None),  # never a code given to another
            ~already.exists(),
        )
        .values(
            conversation_id=conv, assigned_at=bindparam("assigned"), expires_at=bindparam("expires")
        )
        .returning(*table.c)
    )
    mine = select(Coupon).where(col(Coupon.conversation_id) == conv)
    found = _ASSIGN_STATEMENTS[dialect] = _AssignStatements(held, take, mine)
    return found


def import_codes(
    session: Session, pool: str, codes: Iterable[str], *, shop_state: ShopState | None = None
) -> tuple[int, int]:
    """Add codes to a pool; returns (added, already present). Re-importing is harmless.

    Codes the shop made itself are imported with `shop_state=IN_SHOP`; codes postlive
    will create in the shop with PENDING."""
    fresh, present = _insert_new(session, pool, codes, shop_state)
    return len(fresh), present


def generate(
    session: Session,
    pool: str,
    count: int,
    prefix: str = "",
    *,
    shop_state: ShopState | None = None,
) -> list[str]:
    """Create `count` new random codes; a clash with an existing code is simply redrawn."""
    made: list[str] = []
    while len(made) < count:
        batch = {_code(prefix) for _ in range(count - len(made))}
        fresh, _ = _insert_new(session, pool, batch, shop_state)
        made.extend(fresh)
    return made


def _insert_new(
    session: Session, pool: str, codes: Iterable[str], shop_state: ShopState | None = None
) -> tuple[list[str], int]:
    wanted = {c.strip() for c in codes if c and c.strip()}
    existing: set[str] = set()
    ordered = sorted(wanted)
    for i in range(0, len(ordered), 500):  # stay under SQLite's bound-parameter limit
        chunk = ordered[i : i + 500]
        existing.update(session.exec(select(Coupon.code).where(Coupon.code.in_(chunk))).all())  # type: ignore[attr-defined]
    fresh = [c for c in ordered if c not in existing]
    session.add_all(Coupon(pool=pool, code=code, shop_state=shop_state) for code in fresh)
    session.flush()
    return fresh, len(existing)


def _code(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}{body[:4]}-{body[4:]}"


@dataclass(frozen=True)
class PoolCounts:
    """A pool at a glance: what the team asks in Slack and the CLI prints."""

    pool: str
    free: int
    issued: int
    redeemed: int
    in_shop: int
    pending: int
    failed: int
    missing: int

    @property
    def total(self) -> int:
        return self.free + self.issued

    def summary(self) -> str:
        line = f"pool {self.pool}: {self.free} left, {self.issued} issued, {self.redeemed} redeemed"
        if self.in_shop or self.pending or self.failed or self.missing:
            line += f"; shop: {self.in_shop} in the shop, {self.pending} pending"
            if self.failed:
                line += f", {self.failed} refused"
            if self.missing:
                line += f", {self.missing} missing"
        return line

    def slack_text(self, number: Callable[[int], str] = str) -> str:
        """Left, issued (assigned), redeemed, and the shop's side when it is synced."""
        rate = f" ({self.redeemed / self.issued:.0%})" if self.issued else ""
        text = (
            f"pool `{self.pool}`: *{number(self.free)}* free, {number(self.issued)} assigned, "
            f"{number(self.redeemed)} redeemed{rate}"
        )
        if self.pending or self.failed or self.missing:
            text += (
                f" · shop: {number(self.in_shop)} in the shop, {number(self.pending)} pending"
                + (
                    f", ⚠️ {number(self.failed + self.missing)} refused or missing"
                    if self.failed or self.missing
                    else ""
                )
            )
        return text


def counts(session: Session, pool: str) -> PoolCounts:
    """A pool's codes counted in one query: free and issued (given to a customer),
    redeemed, and where they stand in the shop."""
    issued = col(Coupon.conversation_id).is_not(None)

    def n(condition: object) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # type: ignore[arg-type]

    row = session.execute(
        select(  # type: ignore[call-overload]
            func.count(),
            n(issued),
            n(col(Coupon.redeemed_at).is_not(None)),
            n(Coupon.shop_state == ShopState.IN_SHOP),
            n(Coupon.shop_state == ShopState.PENDING),
            n(Coupon.shop_state == ShopState.FAILED),
            n(Coupon.shop_state == ShopState.MISSING),
        ).where(Coupon.pool == pool)
    ).one()
    total, given, redeemed, in_shop, pending, failed, missing = (int(v or 0) for v in row)
    return PoolCounts(pool, total - given, given, redeemed, in_shop, pending, failed, missing)


class Redeemed(StrEnum):
    MARKED = "marked"
    ALREADY = "already"  # the same order was recorded before: a re-read changes nothing
    UNKNOWN = "unknown"  # not one of our codes (another promotion)


def redeem(
    session: Session,
    code: str,
    *,
    order_number: str,
    amount: Decimal | None,
    currency: str | None,
    when: datetime,
) -> Redeemed:
    """Record the order that used `code` (codes compare case-insensitively, as at
    Shopify's and WooCommerce's checkouts). The first order that used it is kept."""
    wanted = code.strip()
    # The unique index finds a code typed as given; only a differently cased one scans.
    coupon = session.exec(select(Coupon).where(Coupon.code == wanted)).first() or (
        session.exec(select(Coupon).where(func.upper(Coupon.code) == wanted.upper())).first()
    )
    if coupon is None:
        return Redeemed.UNKNOWN
    if coupon.redeemed_at is not None:
        return Redeemed.ALREADY
    coupon.redeemed_at = when
    coupon.order_number = order_number[:64]
    coupon.order_amount = amount
    coupon.order_currency = currency.upper()[:3] if currency else None
    session.add(coupon)
    return Redeemed.MARKED


def offer_sentence(
    found: PoolOffer | None, locale: str | None, expires: datetime, *, say_expiry: bool
) -> str | None:
    """What a code of a pool with offer `found` (`assign_offered`) is worth, in the
    customer's language, to follow the code in the thank-you; None for a pool without a
    recorded offer. The expiry is said only when the flow's own coupon text does not
    already say it."""
    if found is None:
        return None
    return describe(found[0], locale, expires=expires if say_expiry else None)
