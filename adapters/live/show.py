"""Run a live show: its sources, its Slack board and (optionally) the web app, together.

`postlive live start` and `postlive live replay` both come here. Every source gets the
same stop event; the session keeps ticking until the end, then stores what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.live import replay as replaying
from bot.radar.hub import hub_for
from bot.radar.session import LiveSession

if TYPE_CHECKING:
    from bot.bootstrap import App


@dataclass
class ShowPlan:
    show: str
    youtube: str | None = None
    tiktok: str | None = None
    replay: Path | None = None
    speed: float = 1.0
    #: (host, port) to serve the web app on, or None for no web server.
    serve: tuple[str, int] | None = None
    slack: bool = True


async def run_show(
    app: App, plan: ShowPlan, *, stop: asyncio.Event | None = None, started: Any = None
) -> LiveSession:
    """Listen until `stop` is set, or, for a replay-only show, until the file ends."""
    if stop is None:
        stop = asyncio.Event()
        # Ctrl-C ends the show cleanly: the last comments are stored, sources close.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    hub = hub_for(app)
    await asyncio.to_thread(hub.open, plan.show)  # the page token, off the loop
    session = hub.open(plan.show)
    url = hub.page_url(session)
    tasks: list[asyncio.Task[Any]] = []

    def launch(work: Awaitable[Any]) -> None:
        tasks.append(asyncio.ensure_future(work))

    recorded = replaying.read(plan.replay, plan.show) if plan.replay else None
    server = None
    if plan.serve:
        import uvicorn

        from bot.web import create_app

        config = uvicorn.Config(
            create_app(app), host=plan.serve[0], port=plan.serve[1], log_config=None
        )
        server = uvicorn.Server(config)
        launch(server.serve())
    if plan.youtube:
        from adapters.live.youtube import YouTubeChat

        launch(YouTubeChat(app.settings, plan.youtube, session, app.clock).run(stop))
    if plan.tiktok:
        from adapters.live.tiktok import TikTokChat

        launch(TikTokChat(plan.tiktok, session, app.clock).run(stop))
    if plan.slack:
        board = app.live_board(session, url)
        if board is not None:
            launch(board.run(stop))
    if callable(started):
        started(session, url)
    if recorded is not None:
        session.source("replay", "live", str(plan.replay.name if plan.replay else ""))
        await replaying.play(recorded, session.feed, app.clock, speed=plan.speed)
        session.source("replay", "stopped", "replay finished")
        if not (plan.youtube or plan.tiktok):
            stop.set()
    await stop.wait()
    await session.tick()
    if server is not None:
        server.should_exit = True
    for task in tasks:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), 10)
        if not task.done():
            task.cancel()
    await session.stop()
    # After the show, the analysis reads every kept comment (buckets, sentiment, themes).
    from bot.radar.after_show import analyze_show

    await asyncio.to_thread(analyze_show, app.settings, app.engine, plan.show)
    return session
