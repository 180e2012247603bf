"""`postlive coupons`: a pool with its offer, codes exported in each shop's own import
format (checked against the columns the platforms document), imported from the shop,
redeemed from orders exports, and kept in a Shopify store (a local fake Admin API)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from bot import coupons
from bot.bootstrap import build
from bot.cli import app as cli
from bot.coupons import ShopState
from bot.db import session_scope
from bot.models import Coupon
from bot.settings import Settings
from tests.integration.shopify.fake_shopify import (
    TOKEN,
    VERSION,
    FakeShopify,
    RealTime,
    remove_code,
    serve,
)
from tests.unit.test_coupons import conversations

runner = CliRunner()

#: Matrixify's Discounts sheet (https://matrixify.app/documentation/discounts/): ID (left
#: empty to create), Title (the discount; rows with the same Title are its codes),
#: Command (NEW, MERGE, UPDATE, REPLACE, DELETE, IGNORE) and Code (unique, <= 255 chars).
MATRIXIFY_DISCOUNT_COLUMNS = {"ID", "Title", "Command", "Code"}
MATRIXIFY_COMMANDS = {"NEW", "MERGE", "UPDATE", "REPLACE", "DELETE", "IGNORE"}
#: WebToffee Smart Coupons for WooCommerce, "Bulk Import Coupons - Coupon Data"
#: (https://www.webtoffee.com/bulk-import-coupons-using-csv-file-coupon-data/): post_*
#: fields (post_title, the code, is required), then WooCommerce's coupon meta keys.
WOOCOMMERCE_COUPON_COLUMNS = {
    "post_title",
    "post_excerpt",
    "post_status",
    "post_parent",
    "menu_order",
    "post_date",
    "discount_type",
    "coupon_amount",
    "free_shipping",
    "expiry_date",
    "minimum_amount",
    "maximum_amount",
    "individual_use",
    "exclude_sale_items",
    "customer_email",
    "usage_limit",
    "usage_limit_per_user",
    "limit_usage_to_x_items",
}
WOOCOMMERCE_DISCOUNT_TYPES = {"percent", "fixed_cart", "fixed_product", "percent_product"}


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SHOPIFY_SHOP", "SHOPIFY_ADMIN_TOKEN", "SHOPIFY_API_URL"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_pool_states_its_offer_and_exports_in_each_shops_import_format(
    tmp_path: Path,
) -> None:
    out = run(
        "coupons", "pool", "create", "post-live", "--percent", "10", "--currency", "eur",
        "--min-order", "25", "--expires", "2026-12-31",
    )  # fmt: skip
    assert "It takes 10% off any order of €25.00 or more." in out
    assert "Valid until December 31, 2026." in out
    run("coupons", "generate", "--pool", "post-live", "--count", "5", "--prefix", "LIVE-")

    shopify = tmp_path / "post-live-discounts.csv"
    assert "5 codes written" in run(
        "coupons", "export", "--pool", "post-live", "--format", "shopify", "--out", str(shopify)
    )
    rows = rows_of(shopify)
    assert set(rows[0]) <= MATRIXIFY_DISCOUNT_COLUMNS and "Code" in rows[0]
    assert {r["Command"] for r in rows} <= MATRIXIFY_COMMANDS
    assert len({r["Title"] for r in rows}) == 1  # one discount, five codes
    assert all(r["Code"].startswith("LIVE-") and len(r["Code"]) <= 255 for r in rows)

    woo = tmp_path / "woo.csv"
    run("coupons", "export", "--pool", "post-live", "--format", "woocommerce", "--out", str(woo))
    rows = rows_of(woo)
    assert set(rows[0]) <= WOOCOMMERCE_COUPON_COLUMNS and "post_title" in rows[0]
    first = rows[0]
    assert (
        first["discount_type"] in WOOCOMMERCE_DISCOUNT_TYPES and first["discount_type"] == "percent"
    )
    assert (first["coupon_amount"], first["minimum_amount"]) == ("10", "25")
    assert first["expiry_date"] == "2026-12-31" and first["usage_limit"] == "1"
    assert first["usage_limit_per_user"] == "1" and first["post_status"] == "publish"

    plain = tmp_path / "plain.csv"
    run("coupons", "export", "--pool", "post-live", "--format", "csv", "--out", str(plain))
    rows = rows_of(plain)
    assert {r["code"] for r in rows} == {r["post_title"] for r in rows_of(woo)}
    assert rows[0]["offer"] == "percent" and rows[0]["currency"] == "EUR"

    result = runner.invoke(cli, ["coupons", "export", "--pool", "post-live", "--format", "magento"])
    assert result.exit_code != 0 and "shopify, woocommerce or csv" in result.output


def test_an_amount_needs_a_known_currency_and_one_kind_of_offer(tmp_path: Path) -> None:
    for args, message in (
        (["--amount", "5"], "needs a currency"),
        (["--amount", "5", "--currency", "XYZ"], "not an ISO 4217"),
        (["--percent", "10", "--amount", "5"], "exactly one"),
        (["--percent", "ten"], "must be a number"),
    ):
        result = runner.invoke(cli, ["coupons", "pool", "create", "p", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    out = run("coupons", "pool", "create", "p", "--amount", "5", "--currency", "JPY")
    assert "It takes ¥5 off your order." in out


def test_codes_the_shop_made_are_imported_from_its_exports(tmp_path: Path) -> None:
    matrixify = tmp_path / "discounts.csv"
    matrixify.write_text("ID,Title,Command,Code\n,Live,MERGE,SHOP-AAAA\n,Live,MERGE,SHOP-BBBB\n")
    woo = tmp_path / "woo.csv"
    woo.write_text("post_title,discount_type,coupon_amount\nWOO-CCCC,percent,10\n")
    lines = tmp_path / "codes.txt"
    lines.write_text("LINE-DDDD\nLINE-EEEE\n")
    assert "2 added" in run("coupons", "import", str(matrixify), "--pool", "p")
    assert "1 added" in run("coupons", "import", str(woo), "--pool", "p")
    assert "2 added, 0 already" in run("coupons", "import", str(lines), "--pool", "p")
    assert "0 added, 2 already present" in run("coupons", "import", str(matrixify), "--pool", "p")
    app = build(Settings())
    with session_scope(app.engine) as session:
        found = dict(session.exec(select(Coupon.code, Coupon.shop_state)).all())  # type: ignore[arg-type]
    app.engine.dispose()
    assert found == {
        code: ShopState.IN_SHOP
        for code in ("SHOP-AAAA", "SHOP-BBBB", "WOO-CCCC", "LINE-DDDD", "LINE-EEEE")
    }


SHOPIFY_ORDERS_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price"
)


def given_codes(n: int) -> list[str]:
    app = build(Settings())
    ids = conversations(app, n)
    with session_scope(app.engine) as session:
        coupons.generate(session, "p", n + 2)
        codes = [coupons.assign(session, "p", i, app.clock.now(), 30) for i in ids]
        result = [c.code for c in codes if c]
    app.engine.dispose()
    return result


def redeemed_rows() -> dict[str, tuple[str | None, str | None, str | None]]:
    app = build(Settings())
    with session_scope(app.engine) as session:
        found = {
            c.code: (c.order_number, str(c.order_amount), c.order_currency)
            for c in session.exec(select(Coupon).where(col(Coupon.redeemed_at).is_not(None)))
        }
    app.engine.dispose()
    return found


def test_a_shopify_orders_export_marks_codes_redeemed_once(tmp_path: Path) -> None:
    a, b, _ = given_codes(3)
    export = tmp_path / "orders_export.csv"
    export.write_text(
        f"{SHOPIFY_ORDERS_HEADER}\n"
        f"#1001,x@example.com,paid,2026-11-26 10:00:00 +0100,,,no,EUR,60.00,4.90,0,54.90,{a},"
        "10.00,Standard,2026-11-26 10:00:00 +0100,1,Scarf,30.00\n"
        "#1001,x@example.com,,,,,,,,,,,,,,,1,Hat,30.00\n"
        f"#1002,y@example.com,paid,2026-11-27 09:00:00 +0100,,,no,EUR,130.00,0,0,120.00,"
        f"{b.lower()},10.00,Standard,2026-11-27 09:00:00 +0100,1,Coat,130.00\n"
        "#1003,z@example.com,paid,,,,no,EUR,10.00,0,0,10.00,WELCOME5,0.50,Standard,,1,Pin,10\n"
        "#1004,w@example.com,paid,,,,no,EUR,10.00,0,0,10.00,,0,Standard,,1,Pin,10\n",
        encoding="utf-8",
    )
    out = run("coupons", "redeemed", str(export))
    assert "Shopify orders export: 3 orders with discount codes, 2 of our codes newly" in out
    assert "1 other codes" in out
    assert redeemed_rows() == {a: ("#1001", "54.90", "EUR"), b: ("#1002", "120.00", "EUR")}
    assert "0 of our codes newly redeemed, 2 already recorded" in run(
        "coupons", "redeemed", str(export)
    )


def test_a_woocommerce_orders_export_marks_codes_redeemed(tmp_path: Path) -> None:
    (a,) = given_codes(1)
    export = tmp_path / "woo-orders.csv"
    export.write_text(
        "order_id,order_number,order_date,status,order_total,order_currency,coupon_items\n"
        f"88,88,2026-11-28 12:00:00,completed,42.50,USD,code:{a}|amount:4.25\n"
        "89,89,2026-11-28 13:00:00,completed,notanumber,USD,code:OTHER|amount:1\n",
        encoding="utf-8",
    )
    out = run("coupons", "redeemed", str(export))
    assert "WooCommerce orders export" in out and "1 of our codes newly redeemed" in out
    assert "line 3: order 89: total 'notanumber' is not a number" in out
    assert redeemed_rows() == {a: ("88", "42.50", "USD")}


def test_an_unknown_orders_file_is_one_clear_error(tmp_path: Path) -> None:
    export = tmp_path / "what.csv"
    export.write_text("foo,bar\n1,2\n")
    out = run("coupons", "redeemed", str(export), code=1)
    assert "not an orders export postlive knows" in out and "Traceback" not in out


@pytest.fixture
def shopify(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeShopify]:
    # The CLI's client sleeps for real: so does this shop's bucket (a fast one).
    store = FakeShopify(RealTime(), restore_rate=1000.0)
    server, url = serve(store)
    monkeypatch.setenv("SHOPIFY_SHOP", "luna-live.myshopify.com")
    monkeypatch.setenv("SHOPIFY_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPIFY_API_VERSION", VERSION)
    monkeypatch.setenv("SHOPIFY_API_URL", url)
    monkeypatch.setenv("SHOPIFY_CODES_AHEAD", "300")
    yield store
    server.shutdown()
    server.server_close()


def test_with_shopify_configured_codes_are_created_in_the_shop_and_checked(
    shopify: FakeShopify,
) -> None:
    run("coupons", "pool", "create", "p", "--amount", "5", "--currency", "EUR")
    out = run("coupons", "generate", "--pool", "p", "--count", "400")
    assert "300 codes created in the shop" in out  # ahead of need, not all at once
    assert len(shopify.codes) == 300
    assert "100 codes created in the shop" in run("coupons", "sync", "--pool", "p")
    assert "all 400 codes are in the shop" in run("coupons", "check", "--pool", "p")
    gone = next(iter(shopify.discounts.values()))["codes"][7]
    remove_code(shopify, gone)
    out = run("coupons", "check", "--pool", "p", code=1)
    assert "1 codes missing in the shop" in out and f"missing: {gone}" in out
    run("coupons", "sync", "--pool", "p")
    assert "all 400 codes are in the shop" in run("coupons", "check", "--pool", "p")
    assert "400 left, 0 issued, 0 redeemed; shop: 400 in the shop" in run("coupons", "status", "p")


def test_sync_without_shopify_says_how_to_configure_it() -> None:
    run("coupons", "pool", "create", "p", "--percent", "10")
    out = run("coupons", "sync", "--pool", "p", code=1)
    assert "SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN" in out and "Traceback" not in out


def test_exporting_a_pool_without_an_offer_says_how_to_give_it_one(tmp_path: Path) -> None:
    run("coupons", "generate", "--pool", "legacy", "--count", "3")
    out = run("coupons", "export", "--pool", "legacy", "--format", "csv", code=1)
    assert "postlive coupons pool create legacy" in out and "Traceback" not in out
