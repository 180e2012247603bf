"""One code per completed conversation, whatever the timing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event
from sqlmodel import select

from bot import coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Campaign, Contact, Conversation, Coupon
from bot.offers import Offer, OfferKind

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def conversations(app: App, n: int) -> list[int]:
    with session_scope(app.engine) as session:
        campaign = Campaign(flow_id="post-live", audience_tag="t")
        session.add(campaign)
        session.flush()
        ids = []
        for i in range(n):
            contact = Contact(channel="whatsapp", address=f"+1212555{i:04d}")
            session.add(contact)
            session.flush()
            conversation = Conversation(campaign_id=campaign.id, contact_id=contact.id)  # type: ignore[arg-type]
            session.add(conversation)
            session.flush()
            ids.append(conversation.id)
        return ids  # type: ignore[return-value]


def assign(app: App, conversation_id: int) -> str | None:
    with session_scope(app.engine) as session:
        coupon = coupons.assign(session, "pool", conversation_id, NOW, 30)
        return coupon.code if coupon else None


def test_concurrent_completions_get_distinct_codes_and_the_pool_runs_dry_cleanly(app: App) -> None:
    ids = conversations(app, 40)
    with session_scope(app.engine) as session:
        coupons.generate(session, "pool", 30)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda c: assign(app, c), ids))
    given = [c for c in codes if c]
    assert len(given) == 30 and len(set(given)) == 30
    assert codes.count(None) == 10


def test_a_duplicated_completion_keeps_the_first_code(app: App) -> None:
    (conversation_id,) = conversations(app, 1)
    with session_scope(app.engine) as session:
        coupons.generate(session, "pool", 5)
    with ThreadPoolExecutor(4) as pool:
        codes = set(pool.map(lambda _: assign(app, conversation_id), range(8)))
    assert len(codes) == 1
    with session_scope(app.engine) as session:
        held = session.exec(select(Coupon).where(Coupon.conversation_id == conversation_id)).all()
    assert len(held) == 1


def test_reimporting_codes_changes_nothing(app: App) -> None:
    with session_scope(app.engine) as session:
        assert coupons.import_codes(session, "vip", ["A1", "A2", " A2 ", ""]) == (2, 0)
        assert coupons.import_codes(session, "vip", ["A1", "A2", "A3"]) == (1, 2)
        vip = coupons.counts(session, "vip")
        assert (vip.free, vip.issued) == (3, 0)


def test_generated_codes_avoid_characters_people_misread(app: App) -> None:
    with session_scope(app.engine) as session:
        made = coupons.generate(session, "live", 200, prefix="LUNA-")
    assert len(set(made)) == 200
    body = "".join(code.removeprefix("LUNA-").replace("-", "") for code in made)
    assert not set(body) & set("01OIL")


def test_a_code_costs_two_statements_and_a_held_one_one(app: App) -> None:
    """Per completed survey the coupon is one statement reading the held coupon and the
    pool's offer, and one UPDATE ... RETURNING taking a free code (seven before: lock,
    held, pool, pick, update, get, refresh); the offer comes back with it, so the
    thank-you does not read the pool again. Both are counted on the engine."""
    first, second = conversations(app, 2)
    with session_scope(app.engine) as session:
        coupons.create_pool(
            session, "pool", Offer(OfferKind.PERCENT, Decimal(10)), expires_at=None, now=NOW
        )
        coupons.generate(session, "pool", 3)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if not sql.startswith(("BEGIN", "COMMIT")):  # the transaction's, not the coupon's
            statements.append(sql)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        with session_scope(app.engine) as session:
            coupon, offer = coupons.assign_offered(session, "pool", first, NOW, 30)
            assert coupon is not None and coupon.conversation_id == first
            assert offer is not None and offer[0].value == Decimal(10)
            taken = len(statements)
            again, _ = coupons.assign_offered(session, "pool", first, NOW, 30)
            held = len(statements) - taken
            # A pool without an offer or codes: no code, no offer, nothing written.
            other, none = coupons.assign_offered(session, "nothing", second, NOW, 30)
            assert other is None and none is None
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    assert again is not None and again.code == coupon.code
    assert (taken, held) == (2, 1), statements
    with session_scope(app.engine) as session:
        assert coupons.counts(session, "pool").issued == 1
