"""A customer who finishes the survey reads what the code is worth, in their language,
through the real engine, database and outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot import campaigns, coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Coupon
from bot.offers import FSI, PDI, Offer, OfferKind
from tests.conftest import add_contact, deliver, say

NBSP = "\xa0"
ADDRESS = "+12125550177"


def finish_survey(app: App, simulator: SimulatorChannel, locale: str, offer: Offer) -> str:
    with session_scope(app.engine) as session:
        # The pool's offer ends before the flow's 30 days would: the code ends with it.
        coupons.create_pool(
            session,
            "post-live",
            offer,
            expires_at=datetime(2026, 12, 20, 23, 59, 59, tzinfo=UTC),
            now=app.clock.now(),
        )
        coupons.generate(session, "post-live", 3, prefix="LIVE-")
    add_contact(app, ADDRESS, locale=locale)
    with session_scope(app.engine) as session:
        flow = app.flows["post-live"]
        campaigns.start(session, flow, "show-1", app.clock.now(), app.clock.now(), show="Knits")
    app.dispatcher.run_once()
    deliver(app)
    for answer in ("5", "1", "1", "great"):  # nothing went wrong: no photo question
        say(app, ADDRESS, answer)
    thanks = simulator.last(ADDRESS)
    assert thanks is not None
    return thanks.text


def given_code(app: App) -> Coupon:
    with session_scope(app.engine) as session:
        coupon = session.exec(select(Coupon).where(Coupon.conversation_id.is_not(None))).one()  # type: ignore[union-attr]
        session.expunge(coupon)
        return coupon


PERCENT = Offer(OfferKind.PERCENT, Decimal(10), "EUR", Decimal(25))


@pytest.mark.parametrize(
    ("locale", "offer_line", "expiry"),
    [
        (
            "en",
            "It takes 10% off any order of €25.00 or more. One use per customer.",
            "December 20, 2026",
        ),
        (
            "de",
            f"Er ist 10{NBSP}% Rabatt auf jede Bestellung ab 25,00{NBSP}€ wert. "
            "Einmal pro Kunde einlösbar.",
            "20. Dezember 2026",
        ),
        (
            "ja",
            "€25.00以上のご注文で10%割引になります。お一人様1回限り有効です。",
            "2026年12月20日",
        ),
        (
            "ar",
            f"يمنحك خصمًا بقيمة 10% على أي طلب بقيمة \u200f25.00{NBSP}€ أو أكثر. "
            "صالح للاستخدام مرة واحدة لكل عميل.",
            "20 ديسمبر 2026",
        ),
        (
            "pt-BR",
            f"Vale 10% de desconto em pedidos a partir de €{NBSP}25,00. Uso único por cliente.",
            "20 de dezembro de 2026",
        ),
        (
            "th",
            "รับส่วนลด 10% เมื่อสั่งซื้อครบ €25.00 ขึ้นไป ใช้ได้หนึ่งครั้งต่อลูกค้าหนึ่งท่าน",
            "20 ธันวาคม พ.ศ. 2569",
        ),
    ],
)
def test_the_thank_you_states_the_offer_in_the_customers_language(
    app: App, simulator: SimulatorChannel, locale: str, offer_line: str, expiry: str
) -> None:
    text = finish_survey(app, simulator, locale, PERCENT)
    coupon = given_code(app)
    assert offer_line in text
    assert text.index(coupon.code) < text.index(offer_line)  # the code first, then its worth
    # The flow's own line says the expiry, capped by the pool's end; it is not said twice.
    assert expiry in text and text.count(expiry) == 1
    assert coupon.expires_at is not None and coupon.expires_at.day == 20
    if locale == "ar":
        assert f"{FSI}{coupon.code}{PDI}" in text
    else:
        assert FSI not in text


def test_a_pool_without_a_recorded_offer_still_gives_its_code(
    app: App, simulator: SimulatorChannel
) -> None:
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", 2)
    add_contact(app, ADDRESS, locale="en")
    with session_scope(app.engine) as session:
        campaigns.start(session, app.flows["post-live"], "show-1", app.clock.now(), app.clock.now())
    app.dispatcher.run_once()
    deliver(app)
    for answer in ("5", "1", "1", "great"):
        say(app, ADDRESS, answer)
    thanks = simulator.last(ADDRESS)
    assert thanks is not None and given_code(app).code in thanks.text
    assert "off" not in thanks.text.split(given_code(app).code)[1]
