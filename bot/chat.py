"""`postlive chat`: be the customer. The real engine, a throwaway database, your keyboard."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text
from sqlmodel import col

from bot import campaigns, coupons
from bot.bootstrap import build, simulator
from bot.db import session_scope
from bot.errors import NotFound
from bot.messages import Channel, Inbound, Media, Outbound
from bot.models import AudienceMember, Contact
from bot.services.delivery_now import drain
from bot.settings import Settings

ADDRESS = "+15550100000"


def run_chat(flow_id: str, locale: str, console: Console) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'chat.db'}",
            _env_file=None,
        )
        channel = simulator(on_message=lambda m: _show(console, m))
        app = build(settings, senders={Channel.WHATSAPP: channel})
        if flow_id not in app.flows:
            raise NotFound("flow", flow_id)
        flow = app.flows[flow_id]
        with session_scope(app.engine) as session:
            contact = Contact(
                channel=Channel.WHATSAPP,
                address=ADDRESS,
                locale=locale,
                consent=True,
                created_at=app.clock.now(),
            )
            session.add(contact)
            session.flush()
            assert contact.id is not None
            session.add(AudienceMember(tag="chat", contact_id=contact.id))
            if flow.coupon:
                coupons.generate(session, flow.coupon.pool, 1, prefix="CHAT-")
            # Send now, whatever the hour: a market window would make you wait.
            campaign = campaigns.start(
                session, flow, "chat", app.clock.now(), app.clock.now(), show="your live show"
            )
            session.flush()
            from sqlalchemy import update

            from bot.models import Conversation

            session.execute(
                update(Conversation)
                .where(col(Conversation.campaign_id) == campaign.id)
                .values(send_at=app.clock.now())
            )
        console.print("[dim]Type your answers. `photo` sends a picture, Ctrl-D ends.[/dim]")
        asyncio.run(_tick(app))
        for n in itertools.count(1):
            try:
                text = console.input("[bold cyan]you>[/bold cyan] ")
            except (EOFError, KeyboardInterrupt):
                console.print()
                return
            media = (Media("chat://photo.jpg", "image/jpeg"),) if text.strip() == "photo" else ()
            app.intake.receive(
                Inbound(
                    Channel.WHATSAPP,
                    ADDRESS,
                    f"chat-{n}",
                    text=None if media else text,
                    media=media,
                )
            )
            asyncio.run(_tick(app))


async def _tick(app: object) -> None:
    from bot.bootstrap import App

    assert isinstance(app, App)
    await asyncio.to_thread(app.dispatcher.run_once)
    await drain(app.engine, app.senders, app.clock, limit=50)


def _show(console: Console, message: Outbound) -> None:
    console.print(Text.assemble(("bot> ", "bold green"), message.text))
    for index, choice in enumerate(message.choices, 1):
        console.print(Text(f"      {index}. {choice.title}"))
