"""The ASGI app: webhooks, Slack, health and metrics, one Starlette application.

Adapters contribute their routes (adapters.routes); this module owns what is common:
the body-size limit, health, and the worker running beside the web server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.bootstrap import App
from bot.db import ping
from bot.metrics import Metrics, MetricsMiddleware


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before anything reads them whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(app: App, *, run_worker: bool = False) -> Starlette:
    async def healthz(_request: Request) -> Response:
        ok = await asyncio.to_thread(ping, app.engine)
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "database": ok}, status_code=200 if ok else 503
        )

    metrics = Metrics(app.engine, app.clock)

    async def metrics_endpoint(_request: Request) -> Response:
        body = await asyncio.to_thread(metrics.render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    import adapters

    routes.extend(adapters.routes(app))
    from adapters.live.web import mount as live_routes

    routes.append(live_routes(app))  # the live question radar: /live/...

    @contextlib.asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if run_worker:
            from bot.worker import run_forever

            task = asyncio.create_task(run_forever(app, stop=stop))
        try:
            yield
        finally:
            stop.set()
            if task:
                await task

    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.postlive = app
    web.add_middleware(BodyLimit, limit=app.settings.max_body_bytes)
    paths = frozenset(getattr(route, "path", "") for route in routes)
    web.add_middleware(MetricsMiddleware, metrics=metrics, paths=paths)
    return web
