"""A local HTTP server that answers like Shopify's Admin GraphQL API, for the operations
postlive sends, and enforces the API's documented limits:

- POST /admin/api/<version>/graphql.json with `X-Shopify-Access-Token`, else 401/404;
- `discountRedeemCodeBulkAdd` takes at most 250 codes per call (more: a top-level
  MAX_INPUT_SIZE_EXCEEDED error, nothing created);
- a code is unique across the shop's discounts (a duplicate gets a per-code error);
- the cost bucket: every response carries `extensions.cost.throttleStatus`; a query whose
  requested cost exceeds `currentlyAvailable` gets `errors: [{"message": "Throttled",
  "extensions": {"code": "THROTTLED"}}]` and no data; the bucket refills at
  `restoreRate` points per second of the test's clock (`FakeTime`, shared with the
  client's injected sleep, so nobody really waits);
- a bulk creation is asynchronous: `done` is false on the first poll.

It does not parse GraphQL: it recognises the root field of each operation postlive sends
and reads the variables, checking their shape. Tests tell it to fail like Shopify fails
(5xx on a call, a code refused by a bulk creation) and read what it holds.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "shpat_fake_token_for_tests"
VERSION = "2025-10"
MAX_CODES = 250


@dataclass
class FakeTime:
    """The test's clock: the client sleeps by advancing it; the bucket refills with it."""

    now: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def monotonic(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)


class RealTime(FakeTime):
    """The wall clock, for a client that really sleeps (the CLI in a subprocess-free test)."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Order:
    name: str
    discount_codes: list[str]
    total: str
    currency: str
    created_at: str = "2026-11-26T10:00:00Z"


@dataclass
class FakeShopify:
    time: FakeTime
    maximum: float = 1000.0
    restore_rate: float = 50.0
    currency: str = "EUR"
    available: float = 1000.0
    at: float = 0.0
    discounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: CODE (codes are case-insensitive at checkout) -> discount id: each code once.
    codes: dict[str, str] = field(default_factory=dict)
    bulk: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    throttled: int = 0
    #: Points the served queries cost in all.
    spent: float = 0.0
    oversized: int = 0
    duplicates_refused: int = 0
    #: operation -> list of HTTP statuses to answer (instead of working) next.
    failures: dict[str, list[int]] = field(default_factory=dict)
    #: operation -> list of statuses to answer AFTER doing the work (answer lost).
    lost_answers: dict[str, list[int]] = field(default_factory=dict)
    #: operation -> points another app of the shop spends just before our next such call.
    other_app_spends: dict[str, float] = field(default_factory=dict)
    #: Codes a bulk creation refuses once with an internal error.
    flaky_codes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def fail(self, operation: str, *statuses: int) -> None:
        self.failures.setdefault(operation, []).extend(statuses)

    def lose_answer(self, operation: str, *statuses: int) -> None:
        self.lost_answers.setdefault(operation, []).extend(statuses)

    def calls(self, operation: str) -> list[dict[str, Any]]:
        return [v for op, v in self.requests if op == operation]

    # -- the bucket ------------------------------------------------------------------

    def _refill(self) -> None:
        now = self.time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        self.at = now

    def _status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }

    # -- one request -----------------------------------------------------------------

    def handle(self, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        operation = _root_field(query)
        with self.lock:
            self.requests.append((operation, variables))
            queued = self.failures.get(operation)
            if queued:
                return queued.pop(0), {"errors": "Internal error"}
            self._refill()
            self.available -= self.other_app_spends.pop(operation, 0.0)
            cost = _cost(query)
            if cost > self.available:
                self.throttled += 1
                return 200, {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": cost,
                            "actualQueryCost": None,
                            "throttleStatus": self._status(),
                        }
                    },
                }
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None:
                return 200, {"errors": [{"message": f"Field '{operation}' doesn't exist"}]}
            body = handler(variables)
            self.available -= cost
            self.spent += cost
            body.setdefault("extensions", {})["cost"] = {
                "requestedQueryCost": cost,
                "actualQueryCost": cost,
                "throttleStatus": self._status(),
            }
            lost = self.lost_answers.get(operation)
            if lost:
                return lost.pop(0), {"errors": "Internal error"}
            return 200, body

    def _op_shop(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"shop": {"currencyCode": self.currency}}}

    def _op_discountCodeBasicCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        discount = variables["discount"]
        for required in ("title", "code", "customerGets"):
            if not discount.get(required):
                return _user_error(
                    "discountCodeBasicCreate", ["basicCodeDiscount", required], "can't be blank"
                )
        if "context" not in discount and "customerSelection" not in discount:
            return _user_error(
                "discountCodeBasicCreate", ["basicCodeDiscount", "context"], "can't be blank"
            )
        code = discount["code"]
        if code.upper() in self.codes:
            return _user_error(
                "discountCodeBasicCreate", ["basicCodeDiscount", "code"], "Code must be unique."
            )
        discount_id = f"gid://shopify/DiscountCodeNode/{next(self._ids)}"
        self.discounts[discount_id] = {"input": discount, "codes": [code]}
        self.codes[code.upper()] = discount_id
        return {
            "data": {
                "discountCodeBasicCreate": {
                    "codeDiscountNode": {"id": discount_id},
                    "userErrors": [],
                }
            }
        }

    def _op_discountRedeemCodeBulkAdd(self, variables: dict[str, Any]) -> dict[str, Any]:
        codes = variables["codes"]
        if len(codes) > MAX_CODES:
            self.oversized += 1
            return {
                "errors": [
                    {
                        "message": f"The input array size of {len(codes)} is greater than "
                        f"the maximum allowed of {MAX_CODES}.",
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    }
                ]
            }
        discount_id = variables["discountId"]
        if discount_id not in self.discounts:
            return _user_error("discountRedeemCodeBulkAdd", ["discountId"], "Discount not found")
        bulk_id = f"gid://shopify/DiscountRedeemCodeBulkCreation/{next(self._ids)}"
        results = []
        for item in codes:
            code = item["code"]
            if code in self.flaky_codes:
                self.flaky_codes.discard(code)
                results.append({"code": code, "errors": [{"message": "Internal error"}]})
            elif code.upper() in self.codes:
                self.duplicates_refused += 1
                results.append({"code": code, "errors": [{"message": "Code must be unique."}]})
            else:
                self.codes[code.upper()] = discount_id
                self.discounts[discount_id]["codes"].append(code)
                results.append({"code": code, "errors": [], "id": next(self._ids)})
        self.bulk[bulk_id] = {"results": results, "polls": 0}
        return {
            "data": {
                "discountRedeemCodeBulkAdd": {"bulkCreation": {"id": bulk_id}, "userErrors": []}
            }
        }

    def _op_discountRedeemCodeBulkCreation(self, variables: dict[str, Any]) -> dict[str, Any]:
        creation = self.bulk.get(variables["id"])
        if creation is None:
            return {"data": {"discountRedeemCodeBulkCreation": None}}
        creation["polls"] += 1
        done = creation["polls"] > 1  # asynchronous: not done on the first look
        results = creation["results"] if done else []
        start = int(variables.get("after") or 0)
        page = results[start : start + 250]
        nodes = [
            {
                "code": r["code"],
                "errors": r["errors"],
                "discountRedeemCode": None
                if r["errors"]
                else {"id": f"gid://shopify/DiscountRedeemCode/{r['id']}"},
            }
            for r in page
        ]
        failed = sum(1 for r in results if r["errors"])
        return {
            "data": {
                "discountRedeemCodeBulkCreation": {
                    "done": done,
                    "codesCount": len(creation["results"]),
                    "importedCount": len(results) - failed,
                    "failedCount": failed,
                    "codes": {
                        "nodes": nodes,
                        "pageInfo": {
                            "hasNextPage": start + 250 < len(results),
                            "endCursor": str(start + 250),
                        },
                    },
                }
            }
        }

    def _op_codeDiscountNode(self, variables: dict[str, Any]) -> dict[str, Any]:
        discount = self.discounts.get(variables["id"])
        if discount is None:
            return {"data": {"codeDiscountNode": None}}
        start = int(variables.get("after") or 0)
        codes = discount["codes"]
        return {
            "data": {
                "codeDiscountNode": {
                    "codeDiscount": {
                        "codes": {
                            "nodes": [{"code": c} for c in codes[start : start + 250]],
                            "pageInfo": {
                                "hasNextPage": start + 250 < len(codes),
                                "endCursor": str(start + 250),
                            },
                        }
                    }
                }
            }
        }

    def _op_orders(self, variables: dict[str, Any]) -> dict[str, Any]:
        wanted = {
            c.strip('"').upper() for c in re.findall(r"discount_code:(\S+)", variables["query"])
        }
        matching = [o for o in self.orders if {c.upper() for c in o.discount_codes} & wanted]
        start = int(variables.get("after") or 0)
        return {
            "data": {
                "orders": {
                    "nodes": [
                        {
                            "name": o.name,
                            "createdAt": o.created_at,
                            "discountCodes": o.discount_codes,
                            "totalPriceSet": {
                                "shopMoney": {"amount": o.total, "currencyCode": o.currency}
                            },
                        }
                        for o in matching[start : start + 100]
                    ],
                    "pageInfo": {
                        "hasNextPage": start + 100 < len(matching),
                        "endCursor": str(start + 100),
                    },
                }
            }
        }


def _root_field(query: str) -> str:
    body = query[query.index("{") + 1 :]
    match = re.match(r"\s*(\w+)", body)
    return match.group(1) if match else ""


def _cost(query: str) -> int:
    """Shopify's calculated cost, roughly: 10 per mutation; a query costs 1 plus, per
    connection, the objects it may return."""
    if query.lstrip().startswith("mutation"):
        return 10
    return 1 + sum(int(n) + 1 for n in re.findall(r"first:\s*(\d+)", query))


def _user_error(root: str, path: list[str], message: str) -> dict[str, Any]:
    return {
        "data": {root: {"userErrors": [{"field": path, "code": "INVALID", "message": message}]}}
    }


def serve(shop: FakeShopify) -> tuple[ThreadingHTTPServer, str]:
    """Start the fake on 127.0.0.1 (random port); returns the server and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            if self.path != f"/admin/api/{VERSION}/graphql.json":
                return self._send(404, {"errors": "Not Found"})
            if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                return self._send(
                    401,
                    {
                        "errors": "[API] Invalid API key or access token (unrecognized login or "
                        "wrong password)"
                    },
                )
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length))
                query, variables = payload["query"], payload.get("variables") or {}
            except (ValueError, KeyError):
                return self._send(400, {"errors": "Bad Request"})
            status, body = shop.handle(query, variables)
            self._send(status, body)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def remove_code(shop: FakeShopify, code: str) -> None:
    """A merchant deletes a code in the Shopify admin."""
    discount_id = shop.codes.pop(code.upper())
    shop.discounts[discount_id]["codes"].remove(code)
