"""Outbound WhatsApp messages through the Twilio REST API (the official SDK).

Which shape a message takes:

- business-initiated with a template (intro, reminder, loop outside the 24-hour
  window): the flow's approved Content template, `content_sid` + `content_variables`;
- anything else: free-form `body`, choices as a numbered list, split under 1,600
  characters. If Twilio refuses it at once for the window (63016) and the message has a
  template, the template goes instead; the same refusal arriving later as a status
  callback is handled by bot.receipts (the row is resent once as its template).

Exactly once across crashes. Twilio has no idempotency key, so two things let us tell,
after a worker died between Twilio's acceptance and our commit, whether a message went:

- the StatusCallback URL carries the outbox row's key (`?outbox=<key>`; Twilio signs the
  whole URL), so the first status callback names the row and records its MessageSid on
  it even if the worker never did (bot.receipts.claim_orphan);
- `lookup` lists the messages Twilio accepted for the recipient since the row was due
  (`messages.list(to=..., date_sent_after=...)`) and offers those that may be it
  (same body for free-form text; any for a template, whose text Twilio renders); the
  delivery layer takes the first no other row has recorded, before it resends anything.

The SDK's default client is synchronous (requests). Its calls run on this sender's own
threads, as many as OUTBOX_CONCURRENCY, with as many pooled connections, so that many
sends really are in flight at once and never queue behind database writes (which run on
threads of their own, bot.delivery). We chose that over the SDK's aiohttp client because
this sender outlives event loops (it is built at start-up, outside any loop, and the CLI
and tests run several), while an aiohttp session belongs to the loop that created it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.rest import Client

from adapters.whatsapp.client import RedirectingHttpClient, build_client, retry_after
from adapters.whatsapp.errors import delivery_error
from adapters.whatsapp.render import content_variables, render
from bot.errors import OutsideWindow, TransientDeliveryError
from bot.messages import Outbound
from bot.ratelimit import Limit, RateLimiter
from bot.settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/whatsapp/status"
#: Parts of split messages already accepted, per outbox key, kept in memory so a retry
#: after a refused second part does not send the first part again.
_MEMORY = 10_000
#: Statuses of a message that never reached the customer: not a reason to hold a resend.
_DEAD = frozenset({"failed", "undelivered", "canceled"})
#: Messages to one recipient a lookup reads at most (newest first at Twilio).
LOOKUP_LIMIT = 50


def whatsapp_address(number: str) -> str:
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


class TwilioSender:
    """The `bot.delivery.Sender` for WhatsApp."""

    def __init__(
        self,
        settings: Settings,
        client: Client | None = None,
    ) -> None:
        if not settings.whatsapp_enabled:
            raise ValueError("TwilioSender needs TWILIO_ACCOUNT_SID, _AUTH_TOKEN, _WHATSAPP_FROM")
        self.client = client or build_client(settings)
        sender = str(settings.twilio_whatsapp_from).strip()
        # A Messaging Service (MG...) may stand for the sender; else a WhatsApp number.
        self._from: dict[str, str] = (
            {"messaging_service_sid": sender}
            if sender.startswith("MG")
            else {"from_": whatsapp_address(sender)}
        )
        self.status_callback = _status_callback(settings.public_base_url)
        # The worker paces whole messages (bot.ratelimit); the parts after the first of a
        # split message are paced here, by the same policy.
        share = max(1, settings.outbox_workers)
        self.limiter = RateLimiter({"whatsapp": Limit(rate=settings.twilio_mps / share)})
        self._parts_sent: OrderedDict[str, list[str]] = OrderedDict()
        self._calls = ThreadPoolExecutor(
            settings.outbox_concurrency, thread_name_prefix="twilio-call"
        )

    async def send(self, message: Outbound, *, key: str) -> str | None:
        to = whatsapp_address(message.address)
        if message.business_initiated and message.template is not None:
            return await self._template(message, to, key)
        try:
            return await self._free_form(message, to, key)
        except OutsideWindow:
            if message.template is None:
                raise
            self._parts_sent.pop(key, None)
            log.info("outbox %s: window closed, sending its template instead", key)
            return await self._template(message, to, key)

    async def lookup(self, message: Outbound, *, key: str, since: datetime) -> list[str]:
        """Messages Twilio accepted for this recipient since `since` that may be the one
        sent under `key`, oldest first (see the module docstring)."""
        to = whatsapp_address(message.address)
        found = await self._call(self._list_sync, to, since)
        if message.business_initiated and message.template is not None:
            body = None  # Twilio renders the template: its text is not ours to compare
        else:
            body = render(message)[-1].text or ""
        return [
            sid
            for sid, text, direction, status in reversed(found)
            if direction.startswith("outbound")
            and status not in _DEAD
            and (body is None or text == body)
        ]

    def _list_sync(self, to: str, since: datetime) -> list[tuple[str, str, str, str]]:
        try:
            listed = self.client.messages.list(to=to, date_sent_after=since, limit=LOOKUP_LIMIT)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise TransientDeliveryError(f"twilio lookup refused: {exc.status}") from exc
        except (requests.RequestException, TwilioException) as exc:
            raise TransientDeliveryError(f"twilio unreachable: {type(exc).__name__}") from exc
        return [
            (str(m.sid), m.body or "", str(m.direction or ""), str(m.status or "")) for m in listed
        ]

    async def _template(self, message: Outbound, to: str, key: str) -> str:
        assert message.template is not None
        variables = content_variables(message.template.variables)
        params: dict[str, Any] = {"content_sid": message.template.ref}
        if variables:
            params["content_variables"] = json.dumps(variables, ensure_ascii=False)
        return await self._create(to, params, key)

    async def _free_form(self, message: Outbound, to: str, key: str) -> str:
        parts = render(message)
        done = self._parts_sent.get(key, [])
        sid = done[-1] if done else ""
        for index, part in enumerate(parts):
            if index < len(done):
                continue  # accepted on an earlier attempt of this row
            params: dict[str, Any] = {"body": part.text or ""}
            if part.media_url:
                params["media_url"] = [part.media_url]
            if index:
                await self.limiter.acquire("whatsapp", to)
            sid = await self._create(to, params, key)
            if len(parts) > 1:
                self._remember(key, sid)
        self._parts_sent.pop(key, None)
        # The last part's id: its receipts speak for the whole message.
        return sid

    def _remember(self, key: str, sid: str) -> None:
        self._parts_sent.setdefault(key, []).append(sid)
        self._parts_sent.move_to_end(key)
        while len(self._parts_sent) > _MEMORY:
            self._parts_sent.popitem(last=False)

    async def _create(self, to: str, params: dict[str, Any], key: str) -> str:
        if self.status_callback:
            # The row's key rides along: its first status callback can claim the row.
            params["status_callback"] = f"{self.status_callback}?{urlencode({'outbox': key})}"
        return await self._call(self._create_sync, to, {**self._from, **params})

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        """Run one blocking SDK call on this sender's own threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._calls, partial(fn, *args))

    def _create_sync(self, to: str, params: dict[str, Any]) -> str:
        """One REST call, in a worker thread; SDK errors become bot.errors."""
        try:
            created = self.client.messages.create(to=to, **params)
        except (TwilioRestException, TwilioServiceException) as exc:
            http = self.client.http_client
            last = http.last_response() if isinstance(http, RedirectingHttpClient) else None
            # 21610 becomes RecipientOptedOut, an invalid number RecipientUnreachable: the
            # delivery layer applies what that says about the contact (bot.receipts).
            raise delivery_error(exc, retry_after(last)) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise TransientDeliveryError(f"twilio unreachable: {type(exc).__name__}") from exc
        if not created.sid:
            raise TransientDeliveryError("twilio accepted the message but returned no sid")
        return str(created.sid)


def _status_callback(public_base_url: str) -> str | None:
    """Where Twilio posts delivery statuses; None when the base URL is a local one
    Twilio could never reach (it refuses such a StatusCallback with error 21609)."""
    base = public_base_url.strip().rstrip("/")
    host = urlsplit(base).hostname or ""
    if host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"}:  # noqa: S104 - a comparison
        log.warning("PUBLIC_BASE_URL is local: Twilio will not send delivery statuses")
        return None
    return base + STATUS_PATH
