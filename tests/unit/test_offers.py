"""The offer, said in the customer's language with Babel's own number, money and dates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.offers import FSI, PDI, Offer, OfferKind, describe, isolate

TEN_PERCENT_OVER_25 = Offer(OfferKind.PERCENT, Decimal(10), "EUR", Decimal(25))
FIVE_EUROS = Offer(OfferKind.AMOUNT, Decimal(5), "EUR")
NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
NBSP = "\xa0"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "en",
            "It takes 10% off any order of €25.00 or more. One use per customer. "
            "Valid until December 31, 2026.",
        ),
        (
            "de",
            f"Er ist 10{NBSP}% Rabatt auf jede Bestellung ab 25,00{NBSP}€ wert. "
            "Einmal pro Kunde einlösbar. Gültig bis 31. Dezember 2026.",
        ),
        (
            "ja",
            "€25.00以上のご注文で10%割引になります。お一人様1回限り有効です。"
            "有効期限は2026年12月31日です。",
        ),
        (
            "ar",
            f"يمنحك خصمًا بقيمة 10% على أي طلب بقيمة \u200f25.00{NBSP}€ أو أكثر. "
            "صالح للاستخدام مرة واحدة لكل عميل. صالح حتى 31 ديسمبر 2026.",
        ),
        (
            "pt-BR",
            f"Vale 10% de desconto em pedidos a partir de €{NBSP}25,00. Uso único por cliente. "
            "Válido até 31 de dezembro de 2026.",
        ),
        (
            "th",
            "รับส่วนลด 10% เมื่อสั่งซื้อครบ €25.00 ขึ้นไป ใช้ได้หนึ่งครั้งต่อลูกค้าหนึ่งท่าน ใช้ได้ถึง 31 ธันวาคม พ.ศ. 2569",
        ),
    ],
)
def test_a_percentage_with_a_minimum_is_said_in_each_language(locale: str, expected: str) -> None:
    assert describe(TEN_PERCENT_OVER_25, locale, expires=NEW_YEARS_EVE) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "It takes €5.00 off your order. One use per customer."),
        ("de", f"Er ist 5,00{NBSP}€ Rabatt auf Ihre Bestellung wert. Einmal pro Kunde einlösbar."),
        ("ja", "ご注文金額から€5.00割引になります。お一人様1回限り有効です。"),
        ("ar", f"يمنحك خصمًا بقيمة \u200f5.00{NBSP}€ على طلبك. صالح للاستخدام مرة واحدة لكل عميل."),
        ("pt-BR", f"Vale €{NBSP}5,00 de desconto no seu pedido. Uso único por cliente."),
        ("th", "รับส่วนลด €5.00 สำหรับคำสั่งซื้อของคุณ ใช้ได้หนึ่งครั้งต่อลูกค้าหนึ่งท่าน"),
    ],
)
def test_a_fixed_amount_uses_the_customers_currency_format(locale: str, expected: str) -> None:
    assert describe(FIVE_EUROS, locale) == expected


def test_a_fractional_percentage_is_not_rounded_and_yen_have_no_decimals() -> None:
    offer = Offer(OfferKind.PERCENT, Decimal("12.5"), "JPY", Decimal(3000), once_per_customer=False)
    assert describe(offer, "en-US") == "It takes 12.5% off any order of ¥3,000 or more."


def test_an_unknown_language_gets_english_sentences_and_a_code_is_isolated_only_in_rtl() -> None:
    assert describe(FIVE_EUROS, "xx-YY") == "It takes €5.00 off your order. One use per customer."
    assert isolate("CHAT-D46Q", "ar") == f"{FSI}CHAT-D46Q{PDI}"
    assert isolate("CHAT-D46Q", "he-IL") == f"{FSI}CHAT-D46Q{PDI}"
    assert isolate("CHAT-D46Q", "de") == "CHAT-D46Q"


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": OfferKind.PERCENT, "value": Decimal(0)},
        {"kind": OfferKind.PERCENT, "value": Decimal(120)},
        {"kind": OfferKind.AMOUNT, "value": Decimal(5)},
        {"kind": OfferKind.PERCENT, "value": Decimal(5), "min_order": Decimal(20)},
    ],
)
def test_an_offer_that_cannot_be_said_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Offer(**bad)  # type: ignore[arg-type]
