"""The python-telegram-bot client, pointed at TELEGRAM_API_URL, one per event loop.

PTB's `Bot` keeps an httpx connection pool whose sockets belong to the event loop that
opened them. `postlive serve` runs one loop for its whole life, but the CLI and the tests
run several (`asyncio.run` per command or delivery pass); reusing a pool across loops
fails with "Event loop is closed". `LoopBot` therefore hands out one Bot per running loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.errors import ConfigError
from bot.settings import Settings

# PTB 22 is moving time periods (RetryAfter.retry_after...) from int seconds to timedelta
# and warns on every read of the old form, even inside its own RetryAfter constructor. We
# opt in to the new form, as PTB's deprecation notice asks, and read both (`seconds`).
os.environ.setdefault("PTB_TIMEDELTA", "true")

# httpx logs every request URL at INFO, and the Bot API puts the token in the URL path.
logging.getLogger("httpx").setLevel(logging.WARNING)

#: The updates postlive handles; Telegram sends nothing else to the webhook or to polling.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
WEBHOOK_PATH = "/webhooks/telegram"


def configured(settings: Settings) -> bool:
    """A token is set. (An empty TELEGRAM_BOT_TOKEN= line, as in .env.example, means off;
    `Settings.telegram_enabled` alone would count it as set.)"""
    token = settings.telegram_bot_token
    return token is not None and bool(token.get_secret_value().strip())


def token_of(settings: Settings) -> str:
    if not configured(settings) or settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (create a bot with @BotFather)")
    return settings.telegram_bot_token.get_secret_value().strip()


def make_bot(settings: Settings) -> Bot:
    """A Bot for TELEGRAM_API_URL (api.telegram.org, a local Bot API server, or a test fake)."""
    api_url = settings.telegram_api_url.rstrip("/")
    return Bot(
        token_of(settings),
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        # Sends to different chats overlap (the worker keeps OUTBOX_CONCURRENCY calls in
        # flight) with webhook follow-ups; waiting for a connection must not time out.
        request=HTTPXRequest(
            connection_pool_size=max(8, settings.outbox_concurrency),
            read_timeout=10.0,
            pool_timeout=5.0,
        ),
        get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=10.0),
    )


class LoopBot:
    """One `telegram.Bot` per running event loop (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token = token_of(settings)
        self._bot: Bot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> Bot:
        loop = asyncio.get_running_loop()
        if self._bot is None or self._loop is not loop:
            # The previous loop is gone with its sockets; its pool cannot be closed from here.
            self._bot, self._loop = make_bot(self.settings), loop
        return self._bot

    def redact(self, text: str) -> str:
        """Error texts may carry a request URL, and with it the token: never store that."""
        return text.replace(self.token, "<token>")


def seconds(value: int | float | timedelta) -> float:
    """A PTB time period (int seconds before PTB_TIMEDELTA, timedelta after) in seconds."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
