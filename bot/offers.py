"""What a coupon is worth, said in the customer's language: "10% off orders of €25.00 or
more. One use per customer. Valid until December 31, 2026."

A code alone ("CHAT-D46Q-XGT2 🎁") tells the customer nothing, and a code that surprises
them at checkout (a minimum they did not know of, a date that passed) becomes a
complaint. The numbers and dates come from Babel with the customer's locale, so a German
reads "10 %" and "25,00 €", a Brazilian "€ 25,00", a Japanese "2026年12月31日".
The sentences are templates per language below; a language without its own falls back
to English sentences with the customer's own number and date formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_percent

from bot.locales import language_of, long_date, normalize_tag

#: First strong isolate / pop directional isolate: a Latin code inside Arabic or Hebrew
#: text keeps its own left-to-right order ("CHAT-D46Q" is not shown as "D46Q-CHAT").
FSI, PDI = "\u2068", "\u2069"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


class OfferKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Offer:
    """A pool's offer; `value` is a percentage (10 = 10 %) or an amount in `currency`."""

    kind: OfferKind
    value: Decimal
    currency: str | None = None
    min_order: Decimal | None = None
    once_per_customer: bool = True

    def __post_init__(self) -> None:
        if self.value <= 0:
            raise ValueError("an offer's value must be above zero")
        if self.kind is OfferKind.PERCENT and self.value > 100:
            raise ValueError("a percentage off cannot exceed 100")
        if (self.kind is OfferKind.AMOUNT or self.min_order is not None) and not self.currency:
            raise ValueError("an amount or a minimum order needs a currency (ISO 4217, e.g. EUR)")
        if self.min_order is not None and self.min_order <= 0:
            raise ValueError("a minimum order must be above zero")


@dataclass(frozen=True)
class _Sentences:
    value: str  # {value}
    value_min: str  # {value}, {minimum}
    once: str
    until: str  # {date}
    joiner: str = " "


SENTENCES: dict[str, _Sentences] = {
    "en": _Sentences(
        value="It takes {value} off your order.",
        value_min="It takes {value} off any order of {minimum} or more.",
        once="One use per customer.",
        until="Valid until {date}.",
    ),
    "de": _Sentences(
        value="Er ist {value} Rabatt auf Ihre Bestellung wert.",
        value_min="Er ist {value} Rabatt auf jede Bestellung ab {minimum} wert.",
        once="Einmal pro Kunde einlösbar.",
        until="Gültig bis {date}.",
    ),
    "ja": _Sentences(
        value="ご注文金額から{value}割引になります。",
        value_min="{minimum}以上のご注文で{value}割引になります。",
        once="お一人様1回限り有効です。",
        until="有効期限は{date}です。",
        joiner="",
    ),
    "ar": _Sentences(
        value="يمنحك خصمًا بقيمة {value} على طلبك.",
        value_min="يمنحك خصمًا بقيمة {value} على أي طلب بقيمة {minimum} أو أكثر.",
        once="صالح للاستخدام مرة واحدة لكل عميل.",
        until="صالح حتى {date}.",
    ),
    "pt": _Sentences(
        value="Vale {value} de desconto no seu pedido.",
        value_min="Vale {value} de desconto em pedidos a partir de {minimum}.",
        once="Uso único por cliente.",
        until="Válido até {date}.",
    ),
    "th": _Sentences(
        value="รับส่วนลด {value} สำหรับคำสั่งซื้อของคุณ",
        value_min="รับส่วนลด {value} เมื่อสั่งซื้อครบ {minimum} ขึ้นไป",
        once="ใช้ได้หนึ่งครั้งต่อลูกค้าหนึ่งท่าน",
        until="ใช้ได้ถึง {date}",
    ),
    "es": _Sentences(
        value="Vale {value} de descuento en tu pedido.",
        value_min="Vale {value} de descuento en pedidos desde {minimum}.",
        once="Un uso por cliente.",
        until="Válido hasta el {date}.",
    ),
    "fr": _Sentences(
        value="Il vous offre {value} de réduction sur votre commande.",
        value_min="Il vous offre {value} de réduction dès {minimum} d’achat.",
        once="Une utilisation par client.",
        until="Valable jusqu’au {date}.",
    ),
    "id": _Sentences(
        value="Berlaku potongan {value} untuk pesananmu.",
        value_min="Berlaku potongan {value} untuk pesanan minimal {minimum}.",
        once="Satu kali pakai per pelanggan.",
        until="Berlaku sampai {date}.",
    ),
    "vi": _Sentences(
        value="Mã giảm {value} cho đơn hàng của bạn.",
        value_min="Mã giảm {value} cho đơn hàng từ {minimum} trở lên.",
        once="Mỗi khách hàng dùng một lần.",
        until="Có hiệu lực đến {date}.",
    ),
    "zh": _Sentences(
        value="可为您的订单减免{value}。",
        value_min="订单满{minimum}即可减免{value}。",
        once="每位顾客限用一次。",
        until="有效期至{date}。",
        joiner="",
    ),
}


def babel_locale(tag: str | None) -> Locale:
    """The customer's Babel locale; English when the tag is unknown."""
    normalized = normalize_tag(tag or "") or "en"
    try:
        return Locale.parse(normalized.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def is_rtl(tag: str | None) -> bool:
    return language_of(normalize_tag(tag or "") or "en") in RTL_LANGUAGES


def isolate(code: str, tag: str | None) -> str:
    """The code as it should sit in a message in `tag`'s language (isolated in RTL text)."""
    return f"{FSI}{code}{PDI}" if is_rtl(tag) else code


def value_text(offer: Offer, tag: str | None) -> str:
    locale = babel_locale(tag)
    if offer.kind is OfferKind.PERCENT:
        # 12.5 % stays 12.5 %, not a rounded 13 %.
        return format_percent(offer.value / 100, locale=locale, decimal_quantization=False)
    assert offer.currency is not None
    return format_currency(offer.value, offer.currency, locale=locale)


def expiry_text(when: datetime, tag: str | None) -> str:
    """A date in the customer's own words and calendar ("31. Dezember 2026",
    "2026年12月31日", "31 ธันวาคม พ.ศ. 2569")."""
    return long_date(when.date(), tag or "en")


def describe(offer: Offer, tag: str | None, *, expires: datetime | None = None) -> str:
    """The offer in the customer's language; with `expires`, the last day it is valid."""
    sentences = SENTENCES.get(language_of(normalize_tag(tag or "") or "en"), SENTENCES["en"])
    locale = babel_locale(tag)
    value = value_text(offer, tag)
    if offer.min_order is not None:
        assert offer.currency is not None
        minimum = format_currency(offer.min_order, offer.currency, locale=locale)
        parts = [sentences.value_min.format(value=value, minimum=minimum)]
    else:
        parts = [sentences.value.format(value=value)]
    if offer.once_per_customer:
        parts.append(sentences.once)
    if expires is not None:
        parts.append(sentences.until.format(date=expiry_text(expires, tag)))
    return sentences.joiner.join(parts)
