"""Downloads the media a customer sent on WhatsApp (photo answers, voice notes).

Twilio media URLs need the account's credentials (HTTP basic auth, SID:token) and
answer with a redirect to short-lived storage; httpx follows it and drops the
Authorization header when the redirect leaves Twilio's host, so our token never reaches
the storage host. Credentials are only ever sent to Twilio's API host (or the
TWILIO_API_URL host in tests). This runs after the webhook is acknowledged; a dead URL
is logged and the answer keeps the URL.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from bot import media as stored_media
from bot.db import session_scope
from bot.media import MediaRejected, MediaStore
from bot.messages import Inbound, Media
from bot.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class MediaFetcher:
    def __init__(self, settings: Settings) -> None:
        self.store = MediaStore(settings.media_dir, settings.media_max_bytes)
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self._auth = httpx.BasicAuth(settings.twilio_account_sid or "", token)
        self._auth_origins = {_origin("https://api.twilio.com"), _origin(settings.twilio_api_url)}

    async def keep(self, engine: Engine, inbound: Inbound) -> int:
        """Download and keep every media of `inbound` an answer refers to; returns how
        many were kept. Media no answer holds is not downloaded: a file only an answer
        points at is one `contacts forget` can find and delete."""
        kept = 0
        for index, item in enumerate(inbound.media):
            wanted = await run_in_threadpool(_referenced, engine, inbound, item.url)
            if not wanted:
                log.info("media %s of %s is not part of an answer", index, inbound.external_id)
                continue
            path = await self.download(inbound, index, item)
            if path is None:
                continue
            await run_in_threadpool(_attach, engine, inbound, item.url, str(path))
            kept += 1
        return kept

    async def download(self, inbound: Inbound, index: int, item: Media) -> Path | None:
        auth = self._auth if _origin(item.url) in self._auth_origins else None
        try:
            async with (
                httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client,
                client.stream("GET", item.url, auth=auth) as response,
            ):
                if response.status_code != 200:
                    log.warning("media of %s: HTTP %s", inbound.external_id, response.status_code)
                    return None
                content_type = response.headers.get("content-type") or item.content_type
                declared = response.headers.get("content-length")
                size = int(declared) if declared and declared.isdigit() else None
                kind = self.store.check(content_type, size)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self.store.max_bytes:
                        raise MediaRejected(f"over the {self.store.max_bytes}-byte limit")
        except MediaRejected as exc:
            log.warning("media of %s not kept: %s", inbound.external_id, exc.reason)
            return None
        except httpx.HTTPError as exc:
            log.warning("media of %s not fetched: %s", inbound.external_id, type(exc).__name__)
            return None
        name = self.store.name_for(inbound.channel, inbound.external_id, index, item.url, kind)
        try:
            return await run_in_threadpool(self.store.save, name, bytes(data), kind)
        except (MediaRejected, OSError) as exc:
            log.warning("media of %s not written: %s", inbound.external_id, exc)
            return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc or "").lower()


def _referenced(engine: Engine, inbound: Inbound, url: str) -> bool:
    with session_scope(engine) as session:
        return stored_media.referenced(session, inbound.channel, inbound.address, url)


def _attach(engine: Engine, inbound: Inbound, url: str, path: str) -> int:
    with session_scope(engine) as session:
        return stored_media.attach(session, inbound.channel, inbound.address, url, path)
