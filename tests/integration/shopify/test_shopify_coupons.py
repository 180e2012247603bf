"""Codes that exist at checkout: created in Shopify through its Admin GraphQL API (a local
fake that enforces the documented limits), audited, and read back from orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import col, select

from adapters.shopify import AdminClient, ShopifyAuthError, ShopifyCoupons
from bot import coupons, shop
from bot.bootstrap import App
from bot.coupons import ShopState
from bot.db import session_scope
from bot.models import Coupon
from bot.offers import Offer, OfferKind
from tests.integration.shopify.fake_shopify import (
    TOKEN,
    VERSION,
    FakeShopify,
    FakeTime,
    Order,
    remove_code,
    serve,
)
from tests.unit.test_coupons import conversations

POOL = "post-live"
OFFER = Offer(OfferKind.PERCENT, Decimal(10), "EUR", Decimal(25))
ENDS = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake(fake_time: FakeTime) -> Iterator[tuple[FakeShopify, str]]:
    store = FakeShopify(fake_time)
    server, url = serve(store)
    yield store, url
    server.shutdown()
    server.server_close()


def client_for(url: str, fake_time: FakeTime, token: str = TOKEN) -> ShopifyCoupons:
    return ShopifyCoupons(
        AdminClient(
            shop="luna-live.myshopify.com",
            token=token,
            api_version=VERSION,
            api_url=url,
            sleep=fake_time.sleep,
            monotonic=fake_time.monotonic,
        )
    )


def pool_with_codes(app: App, count: int) -> list[str]:
    with session_scope(app.engine) as session:
        coupons.create_pool(session, POOL, OFFER, expires_at=ENDS, now=app.clock.now())
        return coupons.generate(session, POOL, count, shop_state=ShopState.PENDING)


def states(app: App) -> dict[str, str | None]:
    with session_scope(app.engine) as session:
        return dict(session.exec(select(Coupon.code, Coupon.shop_state)).all())  # type: ignore[arg-type]


def test_a_20000_code_pool_is_created_in_the_shop_within_its_limits(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    # A small bucket (100 points, 5 per second): the pool costs several bucketfuls.
    store.maximum = store.available = 100.0
    store.restore_rate = 5.0
    made = pool_with_codes(app, 20_000)
    client = client_for(url, fake_time)

    report = shop.sync(app.engine, client, POOL, app.clock.now())

    assert report.created == 20_000 and not report.refused
    assert store.throttled == 0 and store.oversized == 0 and store.duplicates_refused == 0
    (discount,) = store.discounts.values()
    assert sorted(discount["codes"]) == sorted(made)  # every code once, nothing else
    adds = store.calls("discountRedeemCodeBulkAdd")
    assert len(adds) == 80 and max(len(a["codes"]) for a in adds) == 250
    assert set(states(app).values()) == {ShopState.IN_SHOP}
    # The pool cost far more than one bucket: the client paced itself on throttleStatus.
    assert store.spent > 5 * store.maximum and client.client.stats.waited_seconds > 0
    # Only the cheap status of each batch was read (nothing failed): ~12 points a batch.
    assert store.spent < 80 * 15
    sent = discount["input"]
    assert sent["customerGets"]["value"] == {"percentage": 0.1}
    assert sent["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal": "25.00"}}
    assert sent["appliesOncePerCustomer"] is True and sent["endsAt"] == "2026-12-31T23:59:59Z"


def test_a_failed_batch_is_retried_and_no_code_is_added_twice(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    made = pool_with_codes(app, 1_000)
    store.fail("discountRedeemCodeBulkAdd", 503)  # the first batch: refused, not done
    store.lose_answer("discountRedeemCodeBulkAdd", 502)  # done, but the answer is lost
    store.flaky_codes.update(made[700:705])  # a bulk creation refuses these once
    client = client_for(url, fake_time)

    first = shop.sync(app.engine, client, POOL, app.clock.now())

    # The retried call that had in fact worked is refused as duplicates by the shop...
    assert store.duplicates_refused > 0 and len(first.refused) >= 5
    assert client.client.stats.retried >= 2
    failed = {c for c, s in states(app).items() if s == ShopState.FAILED}
    assert set(made[700:705]) <= failed

    second = shop.sync(app.engine, client, POOL, app.clock.now())

    # ...and the next sync asks the shop first: those are found, the rest are sent again.
    assert second.found_in_shop == len(failed) - 5 and second.created == 5
    assert set(states(app).values()) == {ShopState.IN_SHOP}
    (discount,) = store.discounts.values()
    assert sorted(discount["codes"]) == sorted(made)
    assert store.throttled == 0


def test_a_throttled_call_waits_for_the_missing_points_and_goes_through(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    pool_with_codes(app, 10)
    client = client_for(url, fake_time)
    # Another app of the shop spends the bucket behind our back: our projection is wrong.
    store.other_app_spends["discountRedeemCodeBulkAdd"] = 995.0
    before = fake_time.now

    report = shop.sync(app.engine, client, POOL, app.clock.now())

    assert report.created == 10
    assert store.throttled == 1 and client.client.stats.throttled == 1
    assert fake_time.now - before >= 5 / store.restore_rate  # it waited for the points


def test_codes_are_created_lazily_ahead_of_need(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    pool_with_codes(app, 1_000)
    client = client_for(url, fake_time)

    shop.sync(app.engine, client, POOL, app.clock.now(), ahead=300)
    assert len(store.codes) == 300
    shop.sync(app.engine, client, POOL, app.clock.now(), ahead=300)
    assert len(store.codes) == 300  # still 300 free in the shop: nothing to do

    with session_scope(app.engine) as session:  # the codes still to come now sort first...
        there = session.exec(select(Coupon).where(Coupon.shop_state == ShopState.IN_SHOP)).all()
        for coupon in there:
            session.delete(coupon)
            session.flush()
            session.add(Coupon(pool=POOL, code=coupon.code, shop_state=ShopState.IN_SHOP))
    ids = conversations(app, 120)
    with session_scope(app.engine) as session:
        given = [coupons.assign(session, POOL, i, app.clock.now(), 30) for i in ids]
    # ...yet the codes already in the shop are given first.
    assert all(c is not None and c.shop_state == ShopState.IN_SHOP for c in given)
    shop.sync(app.engine, client, POOL, app.clock.now(), ahead=300)
    assert len(store.codes) == 420


def test_check_reports_codes_missing_in_the_shop(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    made = pool_with_codes(app, 40)
    client = client_for(url, fake_time)
    shop.sync(app.engine, client, POOL, app.clock.now())
    (conversation_id,) = conversations(app, 1)
    with session_scope(app.engine) as session:
        given = coupons.assign(session, POOL, conversation_id, app.clock.now(), 30)
        assert given is not None
        given_code = given.code
    gone = [given_code, next(c for c in made if c != given_code)]
    for code in gone:
        remove_code(store, code)  # deleted by hand in the Shopify admin

    result = shop.check(app.engine, client, POOL, app.clock.now())

    assert sorted(result.missing) == sorted(gone)
    assert result.missing_given == (given_code,)
    assert result.in_shop == 38
    assert "2 codes missing in the shop, 1 of them already given" in result.summary()
    # A sync puts them back.
    shop.sync(app.engine, client, POOL, app.clock.now())
    assert shop.check(app.engine, client, POOL, app.clock.now()).missing == ()


def test_orders_that_used_our_codes_mark_them_redeemed(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    pool_with_codes(app, 30)
    client = client_for(url, fake_time)
    shop.sync(app.engine, client, POOL, app.clock.now())
    ids = conversations(app, 3)
    with session_scope(app.engine) as session:
        given = [coupons.assign(session, POOL, i, app.clock.now(), 30) for i in ids]
        codes = [c.code for c in given if c]
    store.orders = [
        Order("#1001", [codes[0].lower()], "54.90", "EUR"),  # typed in lower case
        Order("#1002", ["WELCOME5", codes[1]], "120.00", "EUR"),
        Order("#1003", ["SOMEONE-ELSES"], "9.00", "EUR"),
    ]

    first = shop.read_redemptions(app.engine, client, app.clock.now())
    again = shop.read_redemptions(app.engine, client, app.clock.now())

    assert (first.orders, first.marked) == (2, 2)
    # The same tally as an orders file's (bot.redemptions.Tally), the shop's wording.
    assert first.summary() == "2 orders with our codes: 2 codes newly redeemed, 0 already recorded"
    assert again.marked == 0  # redeemed codes are not asked about again
    with session_scope(app.engine) as session:
        redeemed = {
            c.code: (c.order_number, c.order_amount, c.order_currency)
            for c in session.exec(select(Coupon).where(col(Coupon.redeemed_at).is_not(None)))
        }
    assert redeemed == {
        codes[0]: ("#1001", Decimal("54.90"), "EUR"),
        codes[1]: ("#1002", Decimal("120.00"), "EUR"),
    }
    first_query, second_query = (c["query"] for c in store.calls("orders"))
    assert all(f"discount_code:{code}" in first_query for code in codes)
    assert second_query == f"discount_code:{codes[2]}"


def test_a_wrong_token_is_one_clear_error(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    _, url = fake
    pool_with_codes(app, 3)
    with pytest.raises(ShopifyAuthError, match="SHOPIFY_ADMIN_TOKEN"):
        shop.sync(app.engine, client_for(url, fake_time, token="wrong"), POOL, app.clock.now())
    assert set(states(app).values()) == {ShopState.PENDING}  # nothing lost


def test_a_pool_in_another_currency_than_the_shop_is_refused(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    store, url = fake
    store.currency = "USD"
    pool_with_codes(app, 3)
    with pytest.raises(Exception, match="sells in USD"):
        shop.sync(app.engine, client_for(url, fake_time), POOL, app.clock.now())
    assert store.discounts == {}


def test_the_periodic_job_tops_up_codes_and_reads_redemptions(
    app: App, fake: tuple[FakeShopify, str], fake_time: FakeTime
) -> None:
    from adapters.shopify.jobs import run_once

    store, url = fake
    pool_with_codes(app, 700)
    client = client_for(url, fake_time)

    run_once(app, client)  # SHOPIFY_CODES_AHEAD (500) created, not all 700
    assert len(store.codes) == app.settings.shopify_codes_ahead == 500

    (conversation_id,) = conversations(app, 1)
    with session_scope(app.engine) as session:
        given = coupons.assign(session, POOL, conversation_id, app.clock.now(), 30)
        assert given is not None
        code = given.code
    store.orders = [Order("#2001", [code], "31.00", "EUR")]
    run_once(app, client)

    assert len(store.codes) == 501  # one given, one more created ahead
    with session_scope(app.engine) as session:
        redeemed = session.exec(select(Coupon).where(Coupon.code == code)).one()
    assert (redeemed.order_number, redeemed.order_amount) == ("#2001", Decimal("31.00"))
