"""Telegram through python-telegram-bot: webhook or long polling in, Bot API out.

webhook.py   POST /webhooks/telegram: secret header checked, update recorded, 200
polling.py   getUpdates loop for local use (`postlive serve --telegram-polling`)
updates.py   Update JSON -> Inbound / button tap / membership change
receive.py   the one path both use: record once, hand to bot.intake, answer buttons
render.py    Outbound -> plain text parts within 4096, inline keyboards
sender.py    the outbox's Sender: paced sends, PTB errors mapped onto bot.errors
client.py    the PTB Bot pointed at TELEGRAM_API_URL, one per event loop
commands.py  `postlive telegram set-webhook`, `postlive qr`
qr.py        the join QR codes shown during a live stream
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route

from adapters.telegram.client import WEBHOOK_PATH, LoopBot, configured
from adapters.telegram.sender import TelegramSender
from adapters.telegram.webhook import TelegramWebhook
from bot.ratelimit import RateLimiter, channel_limits

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.settings import Settings

__all__ = ["TelegramSender", "routes", "sender"]


def routes(app: App) -> list[BaseRoute]:
    """The webhook route when a bot token is configured (without a secret it refuses all)."""
    if not configured(app.settings):
        return []
    webhook = TelegramWebhook(app, LoopBot(app.settings))
    return [Route(WEBHOOK_PATH, webhook.endpoint, methods=["POST"])]


def sender(settings: Settings) -> TelegramSender | None:
    if not configured(settings):
        return None
    # The worker (bot.ratelimit) paces whole messages at these rates too; the same
    # policy paces the parts of a long message, which only the sender sees.
    return TelegramSender(LoopBot(settings), RateLimiter(channel_limits(settings)))
