"""The live part of `postlive demo`: a short recorded show replayed into the radar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.live import replay
from bot.radar.hub import hub_for

if TYPE_CHECKING:
    from bot.bootstrap import App

DEMO_SHOW = Path(__file__).with_name("demo_show.csv")


def replay_demo_show(app: App, show: str, top: int = 5) -> str:
    """Replay the demo show (as fast as possible) and describe its board."""

    async def play() -> str:
        hub = hub_for(app)
        await asyncio.to_thread(hub.open, show)
        session = hub.open(show)
        recorded = replay.read(DEMO_SHOW, show)
        await replay.play(recorded, session.feed, app.clock, speed=0)
        await session.stop()
        lines = [f"Live show {show}: {len(recorded)} comments replayed; viewers ask:"]
        for number, entry in enumerate(session.board[:top], 1):
            markets = " · ".join(entry.markets)
            said = f"“{entry.original}”" if entry.original != entry.label else ""
            lines.append(f"  {number}. {entry.label}  ({entry.count} viewers · {markets})  {said}")
        lines.append(f"host's page (while `postlive serve` runs): {hub.page_url(session)}")
        return "\n".join(lines)

    return asyncio.run(play())
