"""The two endpoints a Twilio WhatsApp sender calls: incoming messages and delivery
statuses. Both check `X-Twilio-Signature` against PUBLIC_BASE_URL + the path, because
Twilio signs the public URL it called, not the one we see behind a TLS-terminating
proxy; an unsigned or forged request gets 403 and nothing is stored.

An incoming message is recorded once (its MessageSid is the dedup key), acknowledged at
once with an empty TwiML document, and handled after the response: the engine's replies
leave through the outbox and the REST API, never in TwiML, so a slow step never makes
Twilio time out and retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from adapters.whatsapp.media import MediaFetcher
from adapters.whatsapp.payloads import BadPayload, inbound_message, read_form, status_receipt
from adapters.whatsapp.sender import STATUS_PATH
from bot import receipts
from bot.messages import Channel, Inbound

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

INBOUND_PATH = "/webhooks/whatsapp"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
OFF = (
    "WhatsApp channel is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
    "TWILIO_WHATSAPP_FROM to turn it on"
)
#: A status can overtake our own record of the send (Twilio answers the REST call, then
#: posts "failed" before the outbox row has its MessageSid): look again this much later.
UNKNOWN_RECEIPT_RETRY = (0.1, 0.5, 1.5)


def twiml(background: BackgroundTask | None = None) -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml", background=background)


class WhatsAppWebhooks:
    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self.enabled = settings.whatsapp_enabled
        self.base_url = settings.public_base_url.strip().rstrip("/")
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self.validator = RequestValidator(token)
        self.media = MediaFetcher(settings) if self.enabled else None

    def routes(self) -> list[BaseRoute]:
        return [
            Route(INBOUND_PATH, self.inbound, methods=["POST"]),
            Route(STATUS_PATH, self.status, methods=["POST"]),
        ]

    # -- endpoints ------------------------------------------------------------------

    async def inbound(self, request: Request) -> Response:
        form = await self._verified(request, INBOUND_PATH)
        if isinstance(form, Response):
            return form
        try:
            message = inbound_message(form)
        except BadPayload as exc:
            return PlainTextResponse(exc.reason, status_code=400)
        try:
            event_id = await run_in_threadpool(self.app.intake.record, message)
        except SQLAlchemyError:
            log.exception("could not record WhatsApp message")
            # Not acknowledged, so Twilio's debugger shows it; nothing half-stored.
            return PlainTextResponse("database unavailable", status_code=503)
        if event_id is None:
            return twiml()  # a duplicate delivery: acknowledged, ignored
        return twiml(BackgroundTask(self._handle, event_id, message))

    async def status(self, request: Request) -> Response:
        form = await self._verified(request, STATUS_PATH)
        if isinstance(form, Response):
            return form
        try:
            receipt = status_receipt(form)
        except BadPayload as exc:
            return PlainTextResponse(exc.reason, status_code=400)
        key = request.query_params.get("outbox")
        if key and (sid := form.get("MessageSid") or form.get("SmsSid")):
            # Any status (even "queued") proves Twilio has the message: a row whose worker
            # died before recording it takes its sid, and is never resent.
            try:
                await run_in_threadpool(
                    receipts.claim_orphan, self.app.engine, Channel.WHATSAPP, key, sid
                )
            except SQLAlchemyError:
                log.exception("could not apply WhatsApp status")
                return PlainTextResponse("database unavailable", status_code=503)
        if receipt is None:
            return twiml()
        try:
            outcome = await run_in_threadpool(self._apply, receipt)
        except SQLAlchemyError:
            log.exception("could not apply WhatsApp status")
            return PlainTextResponse("database unavailable", status_code=503)
        if outcome is receipts.Outcome.UNKNOWN:
            return twiml(BackgroundTask(self._apply_later, receipt))
        return twiml()

    # -- helpers --------------------------------------------------------------------

    async def _verified(self, request: Request, path: str) -> Mapping[str, str] | Response:
        """The form fields of a genuine Twilio request, or the response refusing it."""
        if not self.enabled:
            return PlainTextResponse(OFF, status_code=503)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return PlainTextResponse("missing X-Twilio-Signature", status_code=403)
        try:
            form = read_form(await request.body(), request.headers.get("content-type"))
        except BadPayload as exc:
            return PlainTextResponse(exc.reason, status_code=400)
        query = request.url.query
        url = self.base_url + path + (f"?{query}" if query else "")
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        if not self.validator.validate(url, form, signature, algorithm):
            log.warning("refused a WhatsApp webhook with a bad signature (checked %s)", url)
            return PlainTextResponse("invalid X-Twilio-Signature", status_code=403)
        return form

    async def _handle(self, event_id: int, message: Inbound) -> None:
        """After the ack: the engine's turn, then the customer's media."""
        await run_in_threadpool(self.app.intake.handle, event_id)
        if message.media and self.media is not None:
            try:
                await self.media.keep(self.app.engine, message)
            except Exception:  # noqa: BLE001 - the answer is stored; the file is a bonus
                log.exception("media of %s could not be kept", message.external_id)

    def _apply(self, receipt: receipts.Receipt) -> receipts.Outcome:
        outcome = receipts.record(self.app.engine, receipt, self.app.clock.now())
        log.debug("status %s for %s: %s", receipt.status, receipt.provider_id, outcome)
        return outcome

    async def _apply_later(self, receipt: receipts.Receipt) -> None:
        for delay in UNKNOWN_RECEIPT_RETRY:
            await asyncio.sleep(delay)
            try:
                outcome = await run_in_threadpool(self._apply, receipt)
            except SQLAlchemyError:
                log.exception("could not apply WhatsApp status")
                return
            if outcome is not receipts.Outcome.UNKNOWN:
                return
        log.info("status %s for unknown message %s", receipt.status, receipt.provider_id)
