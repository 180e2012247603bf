"""`postlive chat`: be the customer. The real engine, a throwaway database, your keyboard.

A preview: it is always open (market windows ignored, as `--now` does), and it shows
choices as WhatsApp does, so what you type here means what it means on a phone.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot import campaigns, coupons, rendering
from bot.bootstrap import build, simulator
from bot.clock import Clock
from bot.db import session_scope
from bot.flow_catalog import resolve
from bot.messages import Channel, Choice, Inbound, Media, Outbound
from bot.models import AudienceMember, Contact
from bot.services.delivery_now import drain
from bot.settings import Settings

ADDRESS = "+15550100000"


def run_chat(
    flow_ref: str,
    locale: str,
    console: Console,
    *,
    flows_dir: list[str],
    clock: Clock | None = None,
) -> None:
    """`flow_ref` is a flow id (`flows_dir`, the operator's FLOWS_DIR, then shipped) or
    the path of a flow file."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'chat.db'}",
            _env_file=None,
            flows_dir=flows_dir,
        )
        channel = simulator(on_message=lambda m: _show(console, m))
        app = build(settings, clock=clock, senders={Channel.WHATSAPP: channel})
        flow, _ = resolve(app.flows, flow_ref)
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
            # Now, whatever the hour: a preview must not wait for a market's evening.
            campaigns.start(
                session,
                flow,
                "chat",
                app.clock.now(),
                app.clock.now(),
                show="your live show",
                ignore_windows=True,
                is_test=True,
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
    for line in choice_lines(message.choices):
        console.print(Text(f"      {line}"))


def choice_lines(choices: tuple[Choice, ...]) -> list[str]:
    """As WhatsApp shows them: the one numbered-list rendering (bot.rendering)."""
    return rendering.choice_lines(choices)
