"""Builders the WhatsApp tests share: a campaign, a drained outbox, table counts."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, func, select

from bot import campaigns, coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.delivery import DeliveryReport
from bot.models import Contact, Outbox
from bot.services import delivery_now

PUBLIC = "https://postlive.example.com"
SENDER = "whatsapp:+14155238886"
INBOUND = f"{PUBLIC}/webhooks/whatsapp"
STATUS = f"{PUBLIC}/webhooks/whatsapp/status"
ALICE = "+12125550101"
BRUNO = "+5511987654321"


async def drain(app: App) -> DeliveryReport:
    """Deliver everything due now, as the worker would, until nothing is left."""
    return await delivery_now.drain(app.engine, app.senders, app.clock)


async def start_campaign(app: App, pool_size: int = 10, show: str = "Winter Knits") -> int:
    flow = app.flows["post-live"]
    with session_scope(app.engine) as session:
        if pool_size:
            coupons.generate(session, "post-live", pool_size, prefix="WA-")
        campaign = campaigns.start(
            session, flow, "show-1", app.clock.now(), app.clock.now(), show=show
        )
        campaign_id = campaign.id
    app.dispatcher.run_once()
    await drain(app)
    assert campaign_id is not None
    return campaign_id


def count(app: App, model: type[SQLModel], *where: Any) -> int:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def contact(app: App, address: str) -> Contact:
    with session_scope(app.engine) as session:
        return session.exec(select(Contact).where(Contact.address == address)).one()


def outbox_rows(app: App, address: str) -> list[Outbox]:
    with session_scope(app.engine) as session:
        return list(
            session.exec(
                select(Outbox).where(Outbox.address == address).order_by(Outbox.id)  # type: ignore[arg-type]
            ).all()
        )
