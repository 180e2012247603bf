"""The ASGI app: webhooks, Slack, health and metrics, one Starlette application.

Adapters contribute their routes (adapters.routes); this module owns what is common:
the body-size and body-time limits, 4xx for bodies no parser can take, health, private
metrics, and what runs beside the web server: the inbound handler loop
(bot.handling), the scheduled metrics refresh and, unless told not to, the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.db import ping
from bot.handling import InboundHandler
from bot.metrics import Metrics, MetricsMiddleware

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before anything reads them whole, and
    bodies not received within `timeout` seconds with 408: a client that trickles a
    body (or never finishes it) does not hold a connection and a task for ever."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float = 10.0) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        started = False

        async def limited() -> Message:
            nonlocal seen
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _TooSlow from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, sending)
        except _TooLarge:
            await _refuse(scope, receive, send, started, "request body too large", 413)
        except _TooSlow:
            await _refuse(scope, receive, send, started, "request body too slow", 408)
        except RecursionError:
            # A signed JSON body nested thousands deep makes a parser (ours or an SDK's)
            # recurse out of stack: a bad body, not a server error.
            log.warning("refused a request body nested too deeply on %s", scope.get("path"))
            await _refuse(scope, receive, send, started, "request body nested too deeply", 400)


async def _refuse(
    scope: Scope, receive: Receive, send: Send, started: bool, text: str, status: int
) -> None:
    if started:
        raise RuntimeError(f"{text} after the response started")
    await PlainTextResponse(text, status_code=status)(scope, receive, send)


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def metrics_allowed(token: str | None, authorization: str | None) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def create_app(app: App, *, run_worker: bool = False, handle_inbound: bool = False) -> Starlette:
    """The web app. `handle_inbound` runs the inbound handler loop beside it (`serve`
    does; tests handle explicitly with `bot.handling.handle_all`)."""
    handler = InboundHandler(app.intake) if handle_inbound else None
    metrics = Metrics(app.engine, app.clock)
    settings = app.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    async def healthz(_request: Request) -> Response:
        ok = await asyncio.to_thread(ping, app.engine)
        body: dict[str, object] = {"status": "ok" if ok else "degraded", "database": ok}
        if ok:
            if handler is not None:
                pending, lag = handler.pending, handler.lag_seconds
            else:
                pending, lag = await asyncio.to_thread(app.intake.lag)
            # Handling lagging is not a reason to take this replica out of the load
            # balancer (acks stay fast), so it is a detail, not a status code.
            body["inbound"] = {"pending": pending, "lag_seconds": round(lag, 3)}
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics_endpoint(request: Request) -> Response:
        if token is None:
            return PlainTextResponse("metrics are off: set METRICS_TOKEN", status_code=404)
        if not metrics_allowed(token, request.headers.get("authorization")):
            return PlainTextResponse(
                "bearer token required", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if not metrics.database.refreshed:
            await asyncio.to_thread(metrics.refresh)  # once; then on the schedule only
        if handler is not None:
            metrics.inbound_lag.set(handler.lag_seconds)
            metrics.inbound_pending.set(handler.pending)
        body = await asyncio.to_thread(metrics.render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    routes.extend(app.adapter_routes(app))

    @contextlib.asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = []
        if token is not None:
            tasks.append(
                asyncio.create_task(_every(settings.metrics_refresh_seconds, metrics.refresh, stop))
            )
        if handler is not None:
            tasks.append(asyncio.create_task(handler.run(stop)))
        if run_worker:
            from bot.worker import run_forever

            tasks.append(asyncio.create_task(run_forever(app, stop=stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    web = Starlette(routes=routes, lifespan=lifespan)
    web.state.postlive = app
    web.state.inbound_handler = handler
    web.state.metrics = metrics
    web.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, timeout=settings.http_body_timeout_seconds
    )
    paths = frozenset(getattr(route, "path", "") for route in routes)
    web.add_middleware(MetricsMiddleware, metrics=metrics, paths=paths)
    return web


async def _every(seconds: float, work: Callable[[], object], stop: asyncio.Event) -> None:
    """Run `work` in a thread every `seconds` until `stop` (errors logged, not fatal)."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(work)
        except Exception:  # noqa: BLE001 - the next round may succeed
            log.exception("scheduled refresh failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
