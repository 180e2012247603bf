"""The coupon port (bot.shop.CouponShop) on Shopify's Admin GraphQL API.

One pool is one "amount off order" code discount (`discountCodeBasicCreate`), created
with the pool's first code; the other codes are its redeem codes, added with
`discountRedeemCodeBulkAdd` (at most 250 per call). That mutation only starts a job:
`discountRedeemCodeBulkCreation` is polled (its counts only, a few points) until
`done`; only when some codes failed are the per-code `errors` read (a point per code) to
learn which the shop refused (e.g. a code another discount already uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.shopify.admin import AdminClient, ShopifyRejected, ShopifyUnavailable
from bot.offers import OfferKind
from bot.shop import BatchResult, DiscountSpec, ShopOrder

#: discountRedeemCodeBulkAdd's documented maximum of codes per call.
MAX_CODES_PER_CALL = 250

CREATE_DISCOUNT = """
mutation CreateDiscount($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

SHOP_CURRENCY = """
query ShopCurrency { shop { currencyCode } }
"""

ADD_CODES = """
mutation AddCodes($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {
    bulkCreation { id }
    userErrors { field code message }
  }
}
"""

#: The cheap look (a few points): is it done, did anything fail?
BULK_STATUS = """
query BulkStatus($id: ID!) {
  discountRedeemCodeBulkCreation(id: $id) {
    done
    codesCount
    importedCount
    failedCount
  }
}
"""

#: The detailed look (a point per code), only when some codes failed.
BULK_CREATION = """
query BulkCreation($id: ID!, $after: String) {
  discountRedeemCodeBulkCreation(id: $id) {
    done
    codesCount
    importedCount
    failedCount
    codes(first: 250, after: $after) {
      nodes { code errors { field code message } discountRedeemCode { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

DISCOUNT_CODES = """
query DiscountCodes($id: ID!, $after: String) {
  codeDiscountNode(id: $id) {
    codeDiscount {
      ... on DiscountCodeBasic {
        codes(first: 250, after: $after) {
          nodes { code }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}
"""

ORDERS_WITH_CODES = """
query OrdersWithCodes($query: String!, $after: String) {
  orders(first: 100, after: $after, query: $query) {
    nodes {
      name
      createdAt
      discountCodes
      totalPriceSet { shopMoney { amount currencyCode } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


class ShopifyCoupons:
    """`CouponShop` for one Shopify store."""

    batch_size = MAX_CODES_PER_CALL

    def __init__(
        self,
        client: AdminClient,
        *,
        poll_seconds: float = 2.0,
        max_polls: int = 120,
    ) -> None:
        self.client = client
        #: The longest pause between two looks at a bulk creation (it starts shorter).
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls

    def create_discount(self, spec: DiscountSpec, first_code: str) -> str:
        offer = spec.offer
        if offer.currency:
            shop = self.client.execute("ShopCurrency", SHOP_CURRENCY, {})
            currency = (shop.get("shop") or {}).get("currencyCode")
            if currency and currency != offer.currency:
                raise ShopifyRejected(
                    "discountCodeBasicCreate",
                    [
                        {
                            "message": f"the pool's offer is in {offer.currency} but the shop "
                            f"sells in {currency}; create the pool in {currency}"
                        }
                    ],
                )
        if offer.kind is OfferKind.PERCENT:
            value: dict[str, Any] = {"percentage": float(offer.value / 100)}
        else:
            value = {"discountAmount": {"amount": str(offer.value), "appliesOnEachItem": False}}
        discount: dict[str, Any] = {
            "title": spec.title,
            "code": first_code,
            "startsAt": _iso(spec.starts_at),
            "endsAt": _iso(spec.ends_at) if spec.ends_at else None,
            "context": {"all": "ALL"},
            "customerGets": {"value": value, "items": {"all": True}},
            "appliesOncePerCustomer": offer.once_per_customer,
            # Shopify applies usageLimit (and once-per-customer) to each redeem code of
            # the discount, not to their total: every code works for one order.
            "usageLimit": 1,
            "combinesWith": {
                "orderDiscounts": False,
                "productDiscounts": False,
                "shippingDiscounts": True,
            },
        }
        if offer.min_order is not None:
            discount["minimumRequirement"] = {
                "subtotal": {"greaterThanOrEqualToSubtotal": str(offer.min_order)}
            }
        data = self.client.execute("CreateDiscount", CREATE_DISCOUNT, {"discount": discount})
        payload = data.get("discountCodeBasicCreate") or {}
        if payload.get("userErrors"):
            raise ShopifyRejected("discountCodeBasicCreate", payload["userErrors"])
        node = payload.get("codeDiscountNode") or {}
        if not node.get("id"):
            raise ShopifyRejected("discountCodeBasicCreate", [{"message": "no discount id"}])
        return str(node["id"])

    def add_codes(self, discount_id: str, codes: Sequence[str]) -> BatchResult:
        created: list[str] = []
        refused: dict[str, str] = {}
        for i in range(0, len(codes), MAX_CODES_PER_CALL):
            batch = list(codes[i : i + MAX_CODES_PER_CALL])
            result = self._add_batch(discount_id, batch)
            created.extend(result.created)
            refused.update(result.refused)
        return BatchResult(tuple(created), refused)

    def _add_batch(self, discount_id: str, batch: list[str]) -> BatchResult:
        data = self.client.execute(
            "AddCodes",
            ADD_CODES,
            {"discountId": discount_id, "codes": [{"code": code} for code in batch]},
        )
        payload = data.get("discountRedeemCodeBulkAdd") or {}
        if payload.get("userErrors"):
            raise ShopifyRejected("discountRedeemCodeBulkAdd", payload["userErrors"])
        bulk_id = (payload.get("bulkCreation") or {}).get("id")
        if not bulk_id:
            raise ShopifyRejected("discountRedeemCodeBulkAdd", [{"message": "no bulk creation"}])
        pause = min(0.2, self.poll_seconds)
        for _ in range(self.max_polls):
            status = self._status(bulk_id)
            if status.get("done"):
                if not status.get("failedCount") and status.get("importedCount") == len(batch):
                    return BatchResult(tuple(batch))
                # Some failed: only now pay for the per-code list to learn which.
                return self._outcome(bulk_id, batch, self._creation(bulk_id))
            self.client.sleep(pause)
            pause = min(self.poll_seconds, pause * 2)
        raise ShopifyUnavailable(f"Shopify's bulk creation {bulk_id} did not finish")

    def _status(self, bulk_id: str) -> dict[str, Any]:
        data = self.client.execute("BulkStatus", BULK_STATUS, {"id": bulk_id})
        status = data.get("discountRedeemCodeBulkCreation")
        if status is None:
            raise ShopifyRejected("discountRedeemCodeBulkCreation", [{"message": "not found"}])
        return dict(status)

    def _creation(self, bulk_id: str, after: str | None = None) -> dict[str, Any]:
        data = self.client.execute("BulkCreation", BULK_CREATION, {"id": bulk_id, "after": after})
        creation = data.get("discountRedeemCodeBulkCreation")
        if creation is None:
            raise ShopifyRejected("discountRedeemCodeBulkCreation", [{"message": "not found"}])
        return dict(creation)

    def _outcome(self, bulk_id: str, batch: list[str], creation: dict[str, Any]) -> BatchResult:
        refused: dict[str, str] = {}
        seen: set[str] = set()
        page = creation
        while True:
            codes = page.get("codes") or {}
            for node in codes.get("nodes") or []:
                seen.add(node["code"])
                if node.get("errors"):
                    refused[node["code"]] = "; ".join(e["message"] for e in node["errors"])
                elif not node.get("discountRedeemCode"):
                    refused[node["code"]] = "not created"
            info = codes.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                break
            page = self._creation(bulk_id, info.get("endCursor"))
        for code in batch:
            if code not in seen:
                refused[code] = "not reported by the bulk creation"
        return BatchResult(tuple(c for c in batch if c not in refused), refused)

    def codes_in_shop(self, discount_id: str) -> set[str]:
        found: set[str] = set()
        after: str | None = None
        while True:
            data = self.client.execute(
                "DiscountCodes", DISCOUNT_CODES, {"id": discount_id, "after": after}
            )
            node = data.get("codeDiscountNode")
            if node is None:
                return found  # the discount itself is gone: every code is missing
            codes = (node.get("codeDiscount") or {}).get("codes") or {}
            found.update(n["code"] for n in codes.get("nodes") or [])
            info = codes.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")

    def orders_using(self, codes: Sequence[str]) -> list[ShopOrder]:
        wanted = {c.upper() for c in codes}
        # Shopify's order search syntax: discount_code:CODE, joined with OR.
        search = " OR ".join(f"discount_code:{_quote(code)}" for code in codes)
        orders: list[ShopOrder] = []
        after: str | None = None
        while True:
            data = self.client.execute(
                "OrdersWithCodes", ORDERS_WITH_CODES, {"query": search, "after": after}
            )
            connection = data.get("orders") or {}
            for node in connection.get("nodes") or []:
                used = tuple(c for c in node.get("discountCodes") or [] if c.upper() in wanted)
                if not used:
                    continue
                money = ((node.get("totalPriceSet") or {}).get("shopMoney")) or {}
                orders.append(
                    ShopOrder(
                        number=str(node.get("name") or ""),
                        codes=used,
                        total=Decimal(money["amount"]) if money.get("amount") else None,
                        currency=money.get("currencyCode"),
                        created_at=datetime.fromisoformat(
                            str(node["createdAt"]).replace("Z", "+00:00")
                        ),
                    )
                )
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return orders
            after = info.get("endCursor")


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _quote(code: str) -> str:
    return f'"{code}"' if any(ch in code for ch in ' :()"') else code
