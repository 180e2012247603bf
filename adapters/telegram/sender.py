"""Outbound messages through the Bot API, paced, with SDK errors mapped onto bot.errors.

Errors (PTB -> postlive):
    RetryAfter              -> RateLimited(retry_after): the outbox reschedules the row
    Forbidden               -> RecipientUnreachable: blocked, deactivated, never started
    BadRequest chat missing -> RecipientUnreachable("chat not found")
    other BadRequest        -> DeliveryError (retried by the outbox, bounded, then failed)
    TimedOut, NetworkError  -> TransientDeliveryError

A long text goes out as several messages. The outbox gives one row per message and
retries the row; so that a retry after part 2 of 3 failed does not send part 1 again, the
sender remembers per idempotency key how many parts were accepted. That memory is in this
process: after a restart in the middle of a split message, earlier parts may repeat.
(The Bot API has no idempotency key of its own and no way to list what a bot sent, so a
timeout after Telegram accepted a message, or a crash between its answer and our commit,
can repeat that one message; nothing on our side can tell. That window is measured by
`benchmarks/fanout.py drain`: median 11 ms, p99 127 ms on a loaded 2-core machine.)
"""

from __future__ import annotations

from collections import OrderedDict

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from adapters.telegram.client import LoopBot, seconds
from adapters.telegram.render import Part, render
from bot.errors import (
    DeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Outbound
from bot.ratelimit import RateLimiter

BLOCKED = "blocked the bot"
_FORBIDDEN_REASONS = (
    ("blocked by the user", BLOCKED),
    ("user is deactivated", "account deleted"),
    ("can't initiate conversation", "never started the bot"),
    ("bot was kicked", "removed the bot"),
)


class TelegramSender:
    """The `bot.delivery.Sender` for Telegram.

    Every part is paced by `limiter` (bot.ratelimit, the one policy: about one message
    per second in a chat, 30 per second overall). The outbox worker paces whole messages
    with the same limits; the parts of a split message only the sender sees.
    """

    def __init__(self, bot: LoopBot, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter or RateLimiter()
        #: idempotency key -> parts of a split message already accepted by Telegram.
        self._parts_sent: OrderedDict[str, int] = OrderedDict()

    async def send(self, message: Outbound, *, key: str) -> str | None:
        parts = render(message)
        chat_id = chat_id_of(message.address)
        bot = self.bot.get()
        provider_id = None
        for index in range(self._parts_sent.get(key, 0), len(parts)):
            await self.limiter.acquire("telegram", message.address)
            sent = await self._call(bot, chat_id, parts[index])
            provider_id = f"{sent.chat.id}:{sent.message_id}"
            if index < len(parts) - 1:
                self._remember(key, index + 1)
        self._parts_sent.pop(key, None)
        return provider_id

    async def _call(self, bot: Bot, chat_id: int | str, part: Part) -> Message:
        try:
            if part.photo_url:
                return await bot.send_photo(chat_id=chat_id, photo=part.photo_url)
            return await bot.send_message(
                chat_id=chat_id,
                text=part.text or "…",
                reply_markup=part.reply_markup,
                parse_mode=None,  # plain text: see adapters.telegram.render
            )
        except RetryAfter as exc:
            raise RateLimited(seconds(exc.retry_after), "telegram flood control") from exc
        except Forbidden as exc:
            raise RecipientUnreachable(forbidden_reason(exc.message)) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise RecipientUnreachable("chat not found") from exc
            raise DeliveryError(f"telegram refused the message: {exc.message}") from exc
        except NetworkError as exc:  # includes TimedOut
            raise TransientDeliveryError(f"telegram: {self.bot.redact(str(exc))}") from exc
        except InvalidToken as exc:
            raise DeliveryError("telegram rejected TELEGRAM_BOT_TOKEN") from exc
        except TelegramError as exc:
            raise TransientDeliveryError(f"telegram: {self.bot.redact(str(exc))}") from exc

    def _remember(self, key: str, parts: int) -> None:
        self._parts_sent[key] = parts
        self._parts_sent.move_to_end(key)
        while len(self._parts_sent) > 10_000:
            self._parts_sent.popitem(last=False)


def forbidden_reason(description: str) -> str:
    lowered = description.lower()
    for needle, reason in _FORBIDDEN_REASONS:
        if needle in lowered:
            return reason
    return description.removeprefix("Forbidden: ")[:200]


def chat_id_of(address: str) -> int | str:
    """Chat ids are integers; an `@channel` username is passed through as it is."""
    try:
        return int(address)
    except ValueError:
        return address
