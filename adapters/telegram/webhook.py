"""POST /webhooks/telegram: Telegram's calls, verified, recorded, then handled.

Telegram proves a call is its own only by echoing the secret we gave `setWebhook` in
`X-Telegram-Bot-Api-Secret-Token`; without a configured secret nothing can be trusted,
so every call is refused. The update is recorded before the 200 (Telegram redelivers
until it gets one, and we dedupe by update_id) and that insert is the whole
acknowledgement: the engine's handling runs in the handler loop (bot.handling), the
Telegram UI calls after the response, so Telegram never waits on either.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.telegram.client import LoopBot
from adapters.telegram.receive import accept, follow_up, register_follow_up
from adapters.telegram.updates import MalformedUpdate

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook:
    def __init__(self, app: App, bot: LoopBot) -> None:
        self.app = app
        self.bot = bot
        secret = app.settings.telegram_webhook_secret
        self._secret = secret.get_secret_value().encode() if secret else b""
        register_follow_up(app, bot.get)

    def authentic(self, header: str | None) -> bool:
        if not self._secret or header is None:
            return False
        # Starlette decodes headers as latin-1; compare the bytes that were sent.
        return hmac.compare_digest(header.encode("latin-1"), self._secret)

    async def endpoint(self, request: Request) -> Response:
        if not self.authentic(request.headers.get(SECRET_HEADER)):
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return PlainTextResponse("body is not JSON", status_code=400)
        try:
            accepted = await accept(self.app, data)
        except MalformedUpdate as exc:
            return PlainTextResponse(f"not a Telegram Update: {exc}", status_code=400)
        except SQLAlchemyError:
            log.exception("telegram update could not be recorded")
            # Not recorded, so not acknowledged: Telegram delivers it again later.
            return PlainTextResponse("try again later", status_code=503)
        if accepted.duplicate:
            return Response(status_code=200)
        return Response(
            status_code=200,
            background=BackgroundTask(follow_up, self.app, self.bot.get(), accepted),
        )
