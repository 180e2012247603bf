"""`postlive coupons ...`: pools with their offer, codes generated or imported, created in
the shop (Shopify) or exported for it, checked, and redeemed."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.errors import ConfigError, PostliveError

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.shop import CouponShop


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""
    coupons_app = typer.Typer(help="Coupon pools.", no_args_is_help=True)
    pool_app = typer.Typer(help="A pool and its offer.", no_args_is_help=True)
    coupons_app.add_typer(pool_app, name="pool")
    app.add_typer(coupons_app, name="coupons")

    @pool_app.command("create")
    def pool_create(
        pool: str,
        percent: Annotated[str | None, typer.Option(help="Percent off the order, e.g. 10.")] = None,
        amount: Annotated[
            str | None, typer.Option(help="Amount off the order, with --currency.")
        ] = None,
        currency: Annotated[str | None, typer.Option(help="ISO 4217 code, e.g. EUR.")] = None,
        min_order: Annotated[
            str | None, typer.Option("--min-order", help="Smallest order the code works on.")
        ] = None,
        expires: Annotated[
            str | None, typer.Option(help="Last day the codes work (YYYY-MM-DD, UTC).")
        ] = None,
        reusable: Annotated[
            bool,
            typer.Option("--reusable", help="Allow a customer more than one use of the offer."),
        ] = False,
    ) -> None:
        """Create a pool with its offer (what the thank-you tells the customer)."""
        _run(_pool_create, pool, percent, amount, currency, min_order, expires, reusable)

    @coupons_app.command("status")
    def status(pool: str) -> None:
        """Codes left, issued and redeemed; where they stand with the shop."""
        _run(_status, pool)

    @coupons_app.command("import")
    def coupons_import(
        file: Path,
        pool: Annotated[str, typer.Option()],
        not_in_shop: Annotated[
            bool,
            typer.Option(
                "--not-in-shop", help="The codes are not in the shop yet: postlive creates them."
            ),
        ] = False,
    ) -> None:
        """Add codes the shop made: one per line, a CSV with a `code` column, a Matrixify
        (Shopify) discounts export (`Code`) or a WooCommerce coupons export (`post_title`)."""
        _run(_import, file, pool, not_in_shop)

    @coupons_app.command("generate")
    def coupons_generate(
        pool: Annotated[str, typer.Option()],
        count: Annotated[int, typer.Option(min=1, max=1_000_000)],
        prefix: str = "",
    ) -> None:
        """Create random unique codes (no 0/O or 1/I, easy to read aloud); with Shopify
        configured they are created in the shop too, ahead of need."""
        _run(_generate, pool, count, prefix)

    @coupons_app.command("sync")
    def sync(
        pool: Annotated[str, typer.Option()],
        ahead: Annotated[
            int | None,
            typer.Option(help="Only keep this many free codes in the shop (default: all)."),
        ] = None,
    ) -> None:
        """Create the pool's pending codes in the Shopify store (retrying refused ones)."""
        _run(_sync, pool, ahead)

    @coupons_app.command("check")
    def check(pool: Annotated[str, typer.Option()]) -> None:
        """Report codes missing in the Shopify store (exit code 1 when any is)."""
        _run(_check, pool)

    @coupons_app.command("export")
    def export(
        pool: Annotated[str, typer.Option()],
        format: Annotated[str, typer.Option("--format", help="shopify, woocommerce or csv.")],
        out: Annotated[Path | None, typer.Option(help="File to write.")] = None,
        free_only: Annotated[
            bool, typer.Option("--free-only", help="Only codes not given yet.")
        ] = False,
    ) -> None:
        """Write the pool's codes in the shop's own bulk-import format."""
        _run(_export, pool, format, out, free_only)

    @coupons_app.command("redeemed")
    def redeemed(file: Path) -> None:
        """Mark codes redeemed from a shop's orders export (Shopify, WooCommerce, or a CSV
        with code and order columns), with each order's number and total."""
        _run(_redeemed, file)


def _run(func: object, *args: object) -> None:
    from bot.cli_common import clean_errors

    clean_errors(func)(*args)  # type: ignore[arg-type]


def _pool_create(
    pool: str,
    percent: str | None,
    amount: str | None,
    currency: str | None,
    min_order: str | None,
    expires: str | None,
    reusable: bool,
) -> None:
    from bot import coupons
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.db import session_scope
    from bot.offers import Offer, OfferKind, describe

    if (percent is None) == (amount is None):
        raise typer.BadParameter("give exactly one of --percent or --amount")
    try:
        offer = Offer(
            kind=OfferKind.PERCENT if percent is not None else OfferKind.AMOUNT,
            value=_decimal(percent if percent is not None else amount, "value"),
            currency=currency.strip().upper() if currency else None,
            min_order=_decimal(min_order, "--min-order") if min_order else None,
            once_per_customer=not reusable,
        )
    except ValueError as exc:
        raise PostliveError(str(exc)) from exc
    if offer.currency and not _known_currency(offer.currency):
        raise PostliveError(f"{offer.currency!r} is not an ISO 4217 currency code")
    ends = _end_of(expires) if expires else None
    application = _app()
    with session_scope(application.engine) as session:
        coupons.create_pool(session, pool, offer, expires_at=ends, now=application.clock.now())
    console.print(
        f"pool {pool}: {describe(offer, 'en', expires=ends)}", highlight=False, soft_wrap=True
    )
    if application.settings.shopify_enabled:
        console.print(
            f"codes you generate are created in {application.settings.shopify_shop} "
            f"ahead of need; now: postlive coupons generate --pool {pool} --count N"
        )


def _status(pool: str) -> None:
    from bot import coupons
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.db import session_scope
    from bot.offers import describe

    application = _app()
    with session_scope(application.engine) as session:
        counts = coupons.counts(session, pool)
        offer = coupons.pool_offer(session, pool)
    console.print(counts.summary(), highlight=False, soft_wrap=True)
    if offer:
        console.print(
            f"offer: {describe(offer[0], 'en', expires=offer[1])}", highlight=False, soft_wrap=True
        )


def _import(file: Path, pool: str, not_in_shop: bool) -> None:
    from bot import coupons
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.db import session_scope

    codes = read_codes(file)
    application = _app()
    state = coupons.ShopState.PENDING if not_in_shop else coupons.ShopState.IN_SHOP
    with session_scope(application.engine) as session:
        added, present = coupons.import_codes(session, pool, codes, shop_state=state)
        counts = coupons.counts(session, pool)
    console.print(
        f"pool {pool}: {added} added, {present} already present; "
        f"{counts.free} free, {counts.issued} assigned"
    )


#: The column that holds the code in the exports sellers have, by how it is spelled.
CODE_COLUMNS = ("code", "discount code", "post_title", "coupon_code", "coupon code")


def read_codes(file: Path) -> list[str]:
    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    column = next((header.index(name) for name in CODE_COLUMNS if name in header), None)
    if column is None:
        return [row[0] for row in rows if row]  # one code per line, no header
    return [row[column] for row in rows[1:] if len(row) > column]


def _generate(pool: str, count: int, prefix: str) -> None:
    from bot import coupons
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.db import session_scope

    application = _app()
    shop = _shop(application, required=False)
    state = coupons.ShopState.PENDING if shop else None
    with session_scope(application.engine) as session:
        if shop:
            coupons.get_pool(session, pool)  # the shop's discount needs the pool's offer
        made = coupons.generate(session, pool, count, prefix=prefix, shop_state=state)
        counts = coupons.counts(session, pool)
    console.print(
        f"pool {pool}: {len(made)} generated; {counts.free} free, {counts.issued} assigned"
    )
    if shop:
        _sync_with(application, shop, pool, application.settings.shopify_codes_ahead)


def _sync(pool: str, ahead: int | None) -> None:
    from bot import shop as shop_sync
    from bot.cli_common import load_app as _app

    application = _app()
    shop = _shop(application, required=True)
    assert shop is not None
    shop_sync.mark_for_shop(application.engine, pool)
    _sync_with(application, shop, pool, ahead)


def _sync_with(application: App, shop: CouponShop, pool: str, ahead: int | None) -> None:
    from bot import shop as shop_sync
    from bot.cli_common import console
    from bot.cli_common import progress as _progress

    with _progress() as progress:
        task = progress.add_task("creating codes in the shop", total=None)
        report = shop_sync.sync(
            application.engine,
            shop,
            pool,
            application.clock.now(),
            ahead=ahead,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(report.summary(), highlight=False, soft_wrap=True)


def _check(pool: str) -> None:
    from bot import shop as shop_sync
    from bot.cli_common import console
    from bot.cli_common import load_app as _app

    application = _app()
    shop = _shop(application, required=True)
    assert shop is not None
    report = shop_sync.check(application.engine, shop, pool, application.clock.now())
    console.print(report.summary(), highlight=False, soft_wrap=True)
    for code in report.missing[:50]:
        given = " (given to a customer)" if code in report.missing_given else ""
        console.print(f"  missing: {code}{given}", highlight=False, soft_wrap=True)
    if len(report.missing) > 50:
        console.print(f"  … and {len(report.missing) - 50} more")
    if report.missing:
        console.print(f"put them back with: postlive coupons sync --pool {pool}")
        raise typer.Exit(1)


def _export(pool: str, format: str, out: Path | None, free_only: bool) -> None:
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.coupon_exports import ExportFormat, default_name, export
    from bot.db import session_scope

    try:
        fmt = ExportFormat(format.lower())
    except ValueError as exc:
        raise typer.BadParameter("--format must be shopify, woocommerce or csv") from exc
    target = out or Path(default_name(pool, fmt))
    application = _app()
    with session_scope(application.engine) as session:
        rows = export(session, pool, fmt, target, only_free=free_only)
    console.print(f"pool {pool}: {rows} codes written to {target} ({fmt} import format)")


def _redeemed(file: Path) -> None:
    from bot.cli_common import console
    from bot.cli_common import load_app as _app
    from bot.db import session_scope
    from bot.redemptions import mark_redeemed

    application = _app()
    with session_scope(application.engine) as session:
        report = mark_redeemed(session, file, application.clock.now())
    console.print(report.summary(), highlight=False, soft_wrap=True)
    for line, reason in report.rejected[:20]:
        console.print(f"  line {line}: {reason}", highlight=False, soft_wrap=True)


def _shop(application: App, *, required: bool) -> CouponShop | None:
    # The CLI builds the shop client from settings, like the scheduler's job does.
    shop = application.coupon_shop()
    if shop is None and required:
        raise ConfigError(
            "Shopify is not configured: set SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN "
            "(or use `postlive coupons export --format shopify`)"
        )
    return shop


def _decimal(text: str | None, name: str) -> Decimal:
    try:
        return Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{name} must be a number, not {text!r}") from exc


def _end_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"--expires must be a date (YYYY-MM-DD), not {text!r}") from exc
    if len(text.strip()) == 10:  # a day: the codes work until its end
        value = datetime.combine(value.date(), time(23, 59, 59))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _known_currency(code: str) -> bool:
    from babel.numbers import get_currency_name

    return len(code) == 3 and get_currency_name(code, locale="en") != code
