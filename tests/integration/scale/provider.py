"""A minimal messaging provider on 127.0.0.1, and the sender that speaks to it.

The fake stands at the network edge for the scale tests and benchmarks/fanout.py: it
accepts messages over HTTP, counts every one it receives per idempotency key (what a
customer would see), enforces a rate limit like a real provider (a token bucket with a
second of burst; beyond it 429 with Retry-After), and can say whether it already has a
message (the lookup a provider with status callbacks or a message list offers).

    POST /messages        {"key", "to", "text"} -> 200 {"id"} | 429 Retry-After
    GET  /messages/{key}  -> 200 {"id"} | 404
    GET  /stats           -> {"received", "unique", "duplicates", "rejected_429", "by_worker",
                              "first", "last"}

`ProviderServer` runs it in a thread of the test process; `python provider.py --port P
--rate R` runs it as a process of its own (the benchmark, so it does not share a core's
GIL with the worker it measures).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.errors import RateLimited, TransientDeliveryError
from bot.messages import Outbound


class Provider:
    def __init__(
        self, rate: float | None = None, latency: float = 0.0, fail: str | None = None
    ) -> None:
        self.rate = rate
        self.latency = latency
        #: Messages whose key starts with this get a 500, every time.
        self.fail = fail
        #: The next this many messages get a 429 (Retry-After 0.05 s), however slow we are.
        self.refuse = 0
        #: Keys in the order they arrived.
        self.order: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.received: Counter[str] = Counter()
        #: Messages accepted per sending process (the X-Worker header).
        self.by_worker: Counter[str] = Counter()
        self.to: dict[str, str] = {}
        self.rejected = 0
        self.first: float | None = None
        self.last: float | None = None
        self._tokens = rate or 0.0
        self._stamp = time.monotonic()

    def _allow(self) -> float:
        """0 when a message may pass now, else seconds until one may."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    async def post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.fail and str(body["key"]).startswith(self.fail):
            return web.json_response({"error": "internal error"}, status=500)
        wait = self._allow()
        if self.refuse > 0:
            self.refuse -= 1
            wait = wait or 0.05
        if wait:
            self.rejected += 1
            return web.json_response(
                {"error": "too many requests"},
                status=429,
                headers={"Retry-After": f"{max(wait, 0.001):.3f}"},
            )
        key = str(body["key"])
        # Recorded on receipt, before answering: a client that dies waiting for the
        # answer has still reached the customer, exactly like a real provider.
        self.received[key] += 1
        self.order.append(key)
        self.by_worker[request.headers.get("X-Worker", "")] += 1
        self.to[key] = str(body.get("to", ""))
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        return web.json_response({"id": f"PM-{key}"})

    async def get(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key in self.received:
            return web.json_response({"id": f"PM-{key}"})
        return web.json_response({"error": "no such message"}, status=404)

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {
            "received": sum(self.received.values()),
            "unique": len(self.received),
            "duplicates": sum(n - 1 for n in self.received.values() if n > 1),
            "rejected_429": self.rejected,
            "by_worker": dict(self.by_worker),
            "first": self.first,
            "last": self.last,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/messages", self.post)
        app.router.add_get("/messages/{key}", self.get)
        app.router.add_get("/stats", self.stats)
        return app


class ProviderServer:
    """The provider in a background thread with its own event loop, on a free port."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def _start(self) -> int:
        self._runner = web.AppRunner(self.provider.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def __exit__(self, *_exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class HttpSender:
    """A channel adapter for the fake provider; it cannot look messages up.

    aiohttp rather than httpx: at 32 calls in flight httpx's connection pool costs more
    CPU than everything else in the worker together (about 200 calls per second on two
    cores against 650 with aiohttp), and the benchmark measures the worker, not it.
    """

    def __init__(self, base_url: str, name: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        # Created on first use: a session belongs to the event loop that runs the worker.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"X-Worker": self.name},
                connector=aiohttp.TCPConnector(limit=200),
                timeout=aiohttp.ClientTimeout(total=10),
            )
        return self._session

    async def send(self, message: Outbound, *, key: str) -> str | None:
        body = {"key": key, "to": message.address, "text": message.text}
        try:
            async with self.session.post(f"{self.base_url}/messages", json=body) as response:
                if response.status == 429:
                    raise RateLimited(float(response.headers.get("Retry-After", "1")))
                if response.status >= 500:
                    raise TransientDeliveryError(f"provider said {response.status}")
                response.raise_for_status()
                return str((await response.json())["id"])
        except aiohttp.ClientConnectionError as exc:
            raise TransientDeliveryError(str(exc)) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class LookupHttpSender(HttpSender):
    """The same channel, able to ask whether a message already arrived."""

    async def lookup(self, message: Outbound, *, key: str, since: datetime) -> list[str]:
        async with self.session.get(f"{self.base_url}/messages/{key}") as response:
            if response.status == 404:
                return []
            response.raise_for_status()
            return [str((await response.json())["id"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    provider = Provider(rate=args.rate, latency=args.latency)
    web.run_app(provider.app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
