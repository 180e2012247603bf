"""An answer can be matched to its order: exports carry the shop's order number."""

from __future__ import annotations

from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot import campaigns, coupons
from bot.audience import import_audience
from bot.bootstrap import App
from bot.db import session_scope
from bot.export import rows
from bot.models import AudienceMember, Contact
from tests.conftest import DATA, deliver, say

AVA = "+14155550132"  # orders #1001 and #1003 in the Shopify export


def test_an_exported_answer_carries_its_order_number(app: App, simulator: SimulatorChannel) -> None:
    with session_scope(app.engine) as session:
        import_audience(
            session,
            DATA / "audience" / "shopify_orders.csv",
            "show-9",
            app.clock.now(),
            consent_column="Accepts Marketing",  # this shop asked for WhatsApp there
        )
        coupons.generate(session, "post-live", 10, prefix="T-")
    with session_scope(app.engine) as session:
        ava = session.exec(select(Contact).where(Contact.address == AVA)).one()
        member = session.get(AudienceMember, ("show-9", ava.id))
        assert member is not None and member.order_ref == "#1001 #1003"
        campaign = campaigns.start(
            session,
            app.flows["post-live"],
            "show-9",
            app.clock.now(),
            app.clock.now(),
            ignore_windows=True,
        )
        campaign_id = campaign.id
    app.dispatcher.run_once()
    deliver(app)
    say(app, AVA, "5")
    with session_scope(app.engine) as session:
        exported = list(rows(session, campaign_id))  # type: ignore[arg-type]
    assert exported and exported[0]["order"] == "#1001 #1003"
    assert exported[0]["question_id"] == "overall" and exported[0]["value"] == "5"
