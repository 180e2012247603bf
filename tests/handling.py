"""Test clients that run the inbound handler after each request, as the handler loop of
a serving process would shortly after the acknowledgement. The acknowledgement itself is
returned first and unchanged; tests about acknowledging alone use the plain clients."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.testclient import TestClient

from bot.handling import handle_all
from bot.intake import Intake


class HandlingTransport(httpx.ASGITransport):
    def __init__(self, *args: Any, intake: Intake, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        await response.aread()
        await handle_all(self.intake)
        return response


class HandlingTestClient(TestClient):
    def __init__(self, *args: Any, intake: Intake, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        portal = getattr(self, "portal", None)
        if portal is not None:
            portal.call(handle_all, self.intake)
        else:
            import anyio

            anyio.run(handle_all, self.intake)
        return response
