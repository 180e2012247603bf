"""Long polling: Telegram without a public URL (`postlive serve --telegram-polling`).

Updates fetched with getUpdates go through the same parse, record and handle path as the
webhook (`adapters.telegram.receive`). An update is confirmed (the next offset) only after
it is recorded, so a crash or a database outage refetches it rather than losing it, and
the update_id dedupe makes the refetch harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from adapters.telegram.client import ALLOWED_UPDATES, LoopBot, seconds
from adapters.telegram.receive import process
from adapters.telegram.updates import MalformedUpdate
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Round:
    """What one getUpdates round did."""

    offset: int | None
    handled: int = 0
    #: An update could not be recorded (database down): it stays unconfirmed, and is
    #: fetched again after a pause.
    stalled: bool = False


async def fetch(bot: Bot, offset: int | None, timeout: int) -> tuple[Update, ...]:
    return await bot.get_updates(
        offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
    )


async def handle_batch(app: App, bot: Bot, updates: Sequence[Update], offset: int | None) -> Round:
    """Process fetched updates in order, stopping at one that could not be recorded."""
    handled = 0
    for update in updates:
        try:
            await process(app, bot, update.to_dict())
        except MalformedUpdate as exc:
            log.warning("telegram update %s skipped: %s", update.update_id, exc)
        except Exception:  # noqa: BLE001 - database down, or a bug: retry, never lose it
            log.exception("telegram update %s could not be recorded", update.update_id)
            return Round(offset, handled, stalled=True)
        offset = update.update_id + 1
        handled += 1
    return Round(offset, handled)


async def poll_once(app: App, bot: Bot, offset: int | None, timeout: int = 0) -> Round:
    """One getUpdates round and its handling."""
    return await handle_batch(app, bot, await fetch(bot, offset, timeout), offset)


async def run_polling(
    app: App, *, stop: asyncio.Event, timeout: int = 30, bot: Bot | None = None
) -> int:
    """Poll until `stop` is set; returns the number of updates handled.

    deleteWebhook comes first: Telegram refuses getUpdates while a webhook is set.
    Network trouble is retried with backoff; a rejected token ends it (ConfigError).
    """
    bot = bot or LoopBot(app.settings).get()
    offset: int | None = None
    handled = failures = 0
    webhook_removed = False
    while not stop.is_set():
        try:
            if not webhook_removed:
                await bot.delete_webhook(drop_pending_updates=False)  # keep what was sent
                webhook_removed = True
                log.info("telegram: long polling (webhook removed)")
            # Only the wait is abandoned on stop; fetched updates are always processed.
            updates = await _unless_stopped(fetch(bot, offset, timeout), stop)
        except TimedOut:
            continue  # a long poll that outlived the read timeout: just ask again
        except RetryAfter as exc:
            await _pause(stop, seconds(exc.retry_after))
            continue
        except InvalidToken as exc:
            raise ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN") from exc
        except TelegramError as exc:  # Conflict: another poller, or a webhook set again
            failures += 1
            delay = _backoff(failures)
            log.warning("telegram polling failed (%s); again in %.1fs", exc, delay)
            await _pause(stop, delay)
            continue
        if updates is None:
            break
        done = await handle_batch(app, bot, updates, offset)
        offset, handled = done.offset, handled + done.handled
        failures = failures + 1 if done.stalled else 0
        if done.stalled:
            await _pause(stop, _backoff(failures))
    return handled


async def serve_with_polling(app: App, web: Any, host: str, port: int) -> None:
    """uvicorn and the poller in one event loop; either one ending ends both."""
    import uvicorn

    bot = LoopBot(app.settings)  # a missing token fails here, before anything starts
    server = uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_config=None))
    stop = asyncio.Event()
    poller = asyncio.create_task(run_polling(app, stop=stop, bot=bot.get()))
    poller.add_done_callback(lambda _: setattr(server, "should_exit", True))
    try:
        await server.serve()
    finally:
        stop.set()
        await poller  # re-raises a fatal polling error (a rejected token) for the CLI


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`work`'s result, or None when `stop` is set first (the long poll is abandoned:
    nothing in it was confirmed, so Telegram keeps those updates for the next start)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopped.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await task
    return None


async def _pause(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay)


def _backoff(failures: int) -> float:
    """Multiplying, capped, jittered: reconnecting after an outage without a stampede."""
    return min(30.0, 0.5 * 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)  # noqa: S311
