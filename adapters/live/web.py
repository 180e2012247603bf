"""HTTP side of the radar, mounted under /live by the web app.

    POST /live/comments               the signed ingest webhook (adapters.live.ingest)
    GET  /live/<token>                the host's page: big type, plain HTML and JS
    GET  /live/<token>/events         server-sent events: the board each time it changes
    GET  /live/<token>/board          the board as JSON, once
    POST /live/<token>/answered       {"key": "..."}: the host answered that question

The token is the only key to a show's page (128 random bits): unknown tokens are 404.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from adapters.live import ingest
from bot.radar.hub import LiveHub, hub_for
from bot.radar.session import LiveSession

if TYPE_CHECKING:
    from bot.bootstrap import App

PAGE = Path(__file__).with_name("page.html")
#: An SSE comment line this often keeps proxies from closing a quiet stream.
HEARTBEAT_SECONDS = 15.0


def mount(app: App) -> Mount:
    hub = hub_for(app)
    return Mount("/live", routes=_routes(app, hub))


def _routes(app: App, hub: LiveHub) -> list[Route]:
    async def receive(request: Request) -> Response:
        secret = app.settings.live_ingest_secret
        key = secret.get_secret_value().encode() if secret else b""
        if not key.strip():
            return JSONResponse({"error": "live ingest is not configured"}, status_code=404)
        body = await request.body()
        if not ingest.verified(key, body, request.headers.get(ingest.HEADER)):
            return JSONResponse({"error": "bad or missing signature"}, status_code=403)
        try:
            show, comments = ingest.parse(body, app.clock.now())
        except ingest.BadBatch as exc:
            return JSONResponse({"error": exc.detail}, status_code=exc.status)
        session = await _opened(hub, show)
        session.feed(comments)
        return JSONResponse({"accepted": len(comments)}, status_code=202)

    async def session_of(request: Request) -> LiveSession | None:
        token = request.path_params["token"]
        if len(token) > 64:
            return None
        session = next((s for s in hub.sessions.values() if s.token == token), None)
        if session is None:
            show = await asyncio.to_thread(_show_of, hub, token)
            session = await _opened(hub, show) if show else None
        return session

    async def page(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return Response("no such show page", status_code=404, media_type="text/plain")
        html = PAGE.read_text(encoding="utf-8").replace("{{show}}", _escape(session.show))
        return HTMLResponse(
            html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        )

    async def board(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return JSONResponse({"error": "no such show page"}, status_code=404)
        return JSONResponse(session.snapshot())

    async def events(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return JSONResponse({"error": "no such show page"}, status_code=404)
        return StreamingResponse(
            _stream(session, request),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def answered(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return JSONResponse({"error": "no such show page"}, status_code=404)
        try:
            data = json.loads(await request.body())
            key = data["key"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            return JSONResponse({"error": 'send {"key": "<question key>"}'}, status_code=400)
        if not isinstance(key, str) or not session.answer(key):
            return JSONResponse({"error": "no such question on this board"}, status_code=404)
        await session.tick()
        return Response(status_code=204)

    return [
        Route("/comments", receive, methods=["POST"]),
        Route("/{token}", page, methods=["GET"]),
        Route("/{token}/board", board, methods=["GET"]),
        Route("/{token}/events", events, methods=["GET"]),
        Route("/{token}/answered", answered, methods=["POST"]),
    ]


async def _opened(hub: LiveHub, show: str) -> LiveSession:
    """The show's session; the first time, its page token is made off the event loop."""
    if show not in hub.sessions:
        await asyncio.to_thread(hub.open, show)
    return hub.open(show)  # on the loop: starts the session's tick


def _show_of(hub: LiveHub, token: str) -> str | None:
    from bot.radar import store

    return store.show_of_token(hub.app.engine, token)


async def _stream(session: LiveSession, request: Request) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    updates = session.subscribe()
    try:
        while not await request.is_disconnected():
            try:
                snapshot = await asyncio.wait_for(updates.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": still here\n\n"
                continue
            yield f"data: {json.dumps(snapshot, ensure_ascii=False)}\n\n"
    finally:
        session.unsubscribe(updates)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
