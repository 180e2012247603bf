"""A Shopify Admin GraphQL client that stays inside the shop's cost-based rate limit.

Shopify meters the Admin GraphQL API by query cost, not by request count: each app has
a bucket of points per shop (`maximumAvailable`) refilled at `restoreRate` points per
second; every response reports the bucket in `extensions.cost.throttleStatus`, and a
query whose requested cost exceeds `currentlyAvailable` is refused with a `THROTTLED`
error instead of data. So the client remembers the bucket from the last response and
the cost each operation asked for, waits before a call until the bucket holds enough,
and on `THROTTLED` waits for exactly the missing points and sends it again.

Errors (all `ShopifyError`, a `PostliveError`):

    ShopifyError
    ├── ShopifyAuthError      401/403: wrong token or missing scope; never retried
    ├── ShopifyUnavailable    5xx, network, or still throttled after every attempt
    └── ShopifyRejected       GraphQL or user errors: the request itself is wrong
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.errors import PostliveError


class ShopifyError(PostliveError):
    pass


class ShopifyAuthError(ShopifyError):
    pass


class ShopifyUnavailable(ShopifyError):
    pass


class ShopifyRejected(ShopifyError):
    def __init__(self, operation: str, errors: list[Any]) -> None:
        self.operation, self.errors = operation, errors
        messages = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
        super().__init__(f"Shopify refused {operation}: {messages}")


@dataclass
class CostBucket:
    """The shop's last reported throttle status, projected forward in time."""

    maximum: float | None = None
    available: float | None = None
    restore_rate: float = 50.0
    at: float = 0.0

    def update(self, status: Mapping[str, Any], now: float) -> None:
        self.maximum = float(status["maximumAvailable"])
        self.available = float(status["currentlyAvailable"])
        self.restore_rate = float(status["restoreRate"]) or self.restore_rate
        self.at = now

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds to wait until `cost` points are there (0 when unknown or enough)."""
        if self.available is None or self.maximum is None:
            return 0.0
        # One point of margin: the reported status is rounded, and time is measured
        # on our side, not Shopify's.
        cost = min(cost + 1.0, self.maximum)
        projected = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        return max(0.0, (cost - projected) / self.restore_rate)


@dataclass
class CallStats:
    calls: int = 0
    throttled: int = 0
    retried: int = 0
    waited_seconds: float = 0.0


@dataclass
class AdminClient:
    """POST /admin/api/<version>/graphql.json with X-Shopify-Access-Token."""

    shop: str
    token: str
    api_version: str
    api_url: str | None = None
    max_attempts: int = 8
    #: Injected so tests (and the fake shop's clock) never really sleep.
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    timeout: float = 30.0
    bucket: CostBucket = field(default_factory=CostBucket)
    stats: CallStats = field(default_factory=CallStats)
    _costs: dict[str, float] = field(default_factory=dict)
    _http: httpx.Client | None = None

    @property
    def endpoint(self) -> str:
        base = (self.api_url or f"https://{self.shop}").rstrip("/")
        return f"{base}/admin/api/{self.api_version}/graphql.json"

    def execute(self, operation: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The `data` of one GraphQL operation, after waiting for the points it costs."""
        for attempt in range(1, self.max_attempts + 1):
            expected = self._costs.get(operation) or estimate_cost(query)
            self._pause(self.bucket.wait_for(expected, self.monotonic()))
            self.stats.calls += 1
            try:
                response = self._client().post(
                    self.endpoint, json={"query": query, "variables": dict(variables)}
                )
            except httpx.TransportError as exc:
                self._backoff(attempt, operation, exc)
                continue
            if response.status_code in (401, 403):
                raise ShopifyAuthError(
                    f"Shopify answered {response.status_code} to {operation}: check "
                    "SHOPIFY_ADMIN_TOKEN and the app's scopes (write_discounts, read_orders)"
                )
            if response.status_code == 429:
                self.stats.retried += 1
                self._pause(_retry_after(response) or 1.0)
                continue
            if response.status_code >= 500:
                self._backoff(attempt, operation, ShopifyUnavailable(str(response.status_code)))
                continue
            try:
                body = response.json()
            except ValueError as exc:
                raise ShopifyUnavailable(f"Shopify sent no JSON for {operation}") from exc
            cost = (body.get("extensions") or {}).get("cost") or {}
            if cost.get("throttleStatus"):
                self.bucket.update(cost["throttleStatus"], self.monotonic())
            if cost.get("requestedQueryCost") is not None:
                self._costs[operation] = float(cost["requestedQueryCost"])
            errors = body.get("errors")
            if errors and _throttled(errors):
                self.stats.throttled += 1
                requested = float(cost.get("requestedQueryCost") or estimate_cost(query))
                self._pause(max(0.1, self.bucket.wait_for(requested, self.monotonic())))
                continue
            if errors:
                raise ShopifyRejected(operation, errors if isinstance(errors, list) else [errors])
            return dict(body.get("data") or {})
        raise ShopifyUnavailable(
            f"Shopify did not answer {operation} after {self.max_attempts} tries"
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.timeout,
                headers={
                    "X-Shopify-Access-Token": self.token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
        return self._http

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.waited_seconds += seconds
            self.sleep(seconds)

    def _backoff(self, attempt: int, operation: str, cause: Exception) -> None:
        if attempt >= self.max_attempts:
            raise ShopifyUnavailable(f"Shopify did not answer {operation}: {cause}") from cause
        self.stats.retried += 1
        # Doubling, capped, with jitter so several workers do not retry in step.
        self._pause(min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))


def estimate_cost(query: str) -> float:
    """A first guess at a query's cost before Shopify has told us (it reports the real
    `requestedQueryCost` with every answer): per Shopify's cost rules, a mutation costs
    10 points, an object 1, and a connection as many objects as it may return."""
    if query.lstrip().startswith("mutation"):
        return 10.0
    return 1.0 + sum(int(n) + 1 for n in re.findall(r"\b(?:first|last):\s*(\d+)", query))


def _throttled(errors: Any) -> bool:
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
