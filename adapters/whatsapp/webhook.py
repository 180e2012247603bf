"""The two endpoints a Twilio WhatsApp sender calls: incoming messages and delivery
statuses. Both check `X-Twilio-Signature` against PUBLIC_BASE_URL + the path, because
Twilio signs the public URL it called, not the one we see behind a TLS-terminating
proxy; an unsigned or forged request gets 403 and nothing is stored.

Acknowledging is one durable insert and nothing else: an incoming message is recorded
once (its MessageSid is the dedup key) and answered with an empty TwiML document; a
status callback is recorded once per message and status. Both are handled apart, by the
handler loop (bot.handling), in per-customer order; the engine's replies leave through
the outbox and the REST API, never in TwiML, so however far handling lags, Twilio never
waits on it, never times out and never retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)

from adapters.whatsapp.media import MediaFetcher
from adapters.whatsapp.payloads import BadPayload, inbound_message, read_form, status_receipt
from adapters.whatsapp.sender import STATUS_PATH
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


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


class Signatures:
    """`X-Twilio-Signature` checked as the SDK's `RequestValidator.validate` checks a
    form (the URL with and without its port, SHA-1 or SHA-256), built for one token and
    reused: the SDK looks each field up through two caught AttributeErrors and parses
    the URL every time, a fifth of an acknowledgement's CPU. Anything but a plain form
    with a known algorithm goes to the SDK itself."""

    _HASHES: dict[str, Callable[..., Any]] = {
        HMAC_SHA1: hashlib.sha1,
        HMAC_SHA256: hashlib.sha256,
    }
    #: URL variants of the few fixed webhook URLs (a status callback's query varies).
    _CACHED = 16

    def __init__(self, token: str) -> None:
        self.key = token.encode("utf-8")
        self.sdk = RequestValidator(token)
        self._variants: dict[str, tuple[str, str]] = {}

    def validate(
        self, url: str, form: Mapping[str, str], signature: str, algorithm: str | None = None
    ) -> bool:
        digest = self._HASHES.get((algorithm or HMAC_SHA1).upper())
        if digest is None or not isinstance(form, dict):
            return bool(self.sdk.validate(url, form, signature, algorithm))
        variants = self._variants.get(url)
        if variants is None:
            parsed = urlparse(url)
            variants = (remove_port(parsed), add_port(parsed))
            if "?" not in url and len(self._variants) < self._CACHED:
                self._variants[url] = variants
        fields = "".join(name + form[name] for name in sorted(form))
        given = signature.encode("utf-8")
        valid = False
        for variant in variants:
            mac = hmac.new(self.key, (variant + fields).encode("utf-8"), digest)
            valid |= hmac.compare_digest(base64.b64encode(mac.digest()), given)
        return valid


class WhatsAppWebhooks:
    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self.enabled = settings.whatsapp_enabled
        self.base_url = settings.public_base_url.strip().rstrip("/")
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self.validator = Signatures(token)
        self.media = MediaFetcher(settings) if self.enabled else None
        if self.media is not None:
            app.intake.follow_ups[Channel.WHATSAPP] = self._keep_media

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
            await self.app.intake.acknowledge(message)
        except SQLAlchemyError:
            log.exception("could not record WhatsApp message")
            # Not acknowledged, so Twilio's debugger shows it; nothing half-stored.
            return PlainTextResponse("database unavailable", status_code=503)
        return twiml()  # recorded, or a duplicate delivery: acknowledged either way

    async def status(self, request: Request) -> Response:
        form = await self._verified(request, STATUS_PATH)
        if isinstance(form, Response):
            return form
        try:
            receipt = status_receipt(form)
        except BadPayload as exc:
            return PlainTextResponse(exc.reason, status_code=400)
        key = request.query_params.get("outbox")
        sid = form.get("MessageSid") or form.get("SmsSid")
        try:
            if receipt is not None:
                await self.app.intake.acknowledge_receipt(receipt, dict(request.query_params))
            elif key and sid:
                # Any status (even "queued") proves Twilio has the message: a row whose
                # worker died before recording it takes its sid (in the handler, like a
                # receipt, so the acknowledgement stays one insert) and is never resent.
                status = form.get("MessageStatus") or form.get("SmsStatus") or ""
                await self.app.intake.acknowledge_provider_id(Channel.WHATSAPP, key, sid, status)
        except SQLAlchemyError:
            log.exception("could not record WhatsApp status")
            return PlainTextResponse("database unavailable", status_code=503)
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

    async def _keep_media(self, message: Inbound) -> None:
        """After the message was handled: keep the photos its answer refers to."""
        if self.media is not None:
            await self.media.keep(self.app.engine, message)
