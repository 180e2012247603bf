"""Keeps the media a customer sent on Telegram (photo answers, voice notes) on our disk.

An inbound photo arrives as a file id (`tg-file:<id>`): the download URL that getFile
gives contains the bot token, so it is never stored, and Telegram only serves files up to
20 MB for an hour after getFile. After the engine has handled the message, files an answer
refers to are fetched (getFile, then the file URL) into MEDIA_DIR through bot.media, which
records where they were kept so `contacts forget` can delete them. A failure is logged;
the answer keeps its file id, which the bot can still resolve later.

Files come only from the TELEGRAM_API_URL host (api.telegram.org): a file path that
points anywhere else is not fetched. getFile and the download together have one time
limit (`TOTAL_SECONDS`); a file without a declared size, or larger than MEDIA_MAX_BYTES,
is not fetched, and what arrives is checked again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import TelegramError

from bot import media as stored_media
from bot.db import session_scope
from bot.media import MediaRejected, MediaStore
from bot.messages import Inbound

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

SCHEME = "tg-file:"
#: getFile and the download of one file never take longer than this.
TOTAL_SECONDS = 60.0


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() if parts.scheme in ("http", "https") else ""


async def keep_media(
    app: App, bot: Bot, inbound: Inbound, total_seconds: float = TOTAL_SECONDS
) -> int:
    """Download every Telegram file of `inbound` an answer holds; returns how many."""
    store = MediaStore(app.settings.media_dir, app.settings.media_max_bytes)
    allowed = {_host(app.settings.telegram_api_url), "api.telegram.org"}
    kept = 0
    for index, item in enumerate(inbound.media):
        if not item.url.startswith(SCHEME):
            continue
        if not await asyncio.to_thread(_referenced, app, inbound, item.url):
            continue  # not an answer: nothing `contacts forget` could find later
        try:
            kind = store.check(item.content_type)
            async with asyncio.timeout(total_seconds):
                file = await bot.get_file(item.url.removeprefix(SCHEME))
                if file.file_size is None:
                    raise MediaRejected("no declared size")
                store.check(kind, file.file_size)
                if _host(file.file_path or "") not in allowed:
                    raise MediaRejected("file is not on the Bot API host")
                data = await file.download_as_bytearray()
            name = store.name_for(inbound.channel, inbound.external_id, index, item.url, kind)
            path = await asyncio.to_thread(store.save, name, bytes(data), kind)
        except TimeoutError:
            log.warning(
                "media of update %s not fetched: over %ss", inbound.external_id, total_seconds
            )
            continue
        except MediaRejected as exc:
            log.warning("media of update %s not kept: %s", inbound.external_id, exc.reason)
            continue
        except (TelegramError, OSError, RuntimeError) as exc:  # RuntimeError: no file_path
            reason = str(exc).replace(bot.token, "<token>")
            log.warning("media of update %s not fetched: %s", inbound.external_id, reason)
            continue
        if not await asyncio.to_thread(_attach, app, inbound, item.url, str(path)):
            path.unlink(missing_ok=True)  # forgotten while the file came: it must not stay
            continue
        kept += 1
    return kept


def _referenced(app: App, inbound: Inbound, url: str) -> bool:
    with session_scope(app.engine) as session:
        return stored_media.referenced(session, inbound.channel, inbound.address, url)


def _attach(app: App, inbound: Inbound, url: str, path: str) -> int:
    with session_scope(app.engine) as session:
        return stored_media.attach(session, inbound.channel, inbound.address, url, path)
