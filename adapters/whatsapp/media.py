"""Downloads the media a customer sent on WhatsApp (photo answers, voice notes).

A signed webhook names the URL, so the URL decides where the server connects: only
Twilio's own hosts are fetched. Twilio puts inbound media on api.twilio.com
(`/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…`, or the TWILIO_API_URL host in tests)
and answers with a redirect to short-lived storage: mms.twiliocdn.com when HTTP basic
auth is enforced on media, s3-external-1.amazonaws.com for older public media (Twilio's
"Protect Media Access with HTTP Basic Authentication" guide). Redirects are followed by
hand, each hop checked against that list, at most `MAX_REDIRECTS`; a host compares by
name (the port is not part of the allowlist). The credentials (basic auth, SID:token)
are sent only to the API origin, never to the storage host. The whole download, every
hop included, has one time limit (`TOTAL_SECONDS`) and the size limit MEDIA_MAX_BYTES.
This runs after the webhook is acknowledged; a refused or dead URL is logged and the
answer keeps the URL.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import urljoin, urlsplit

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
#: One download, redirects included, never takes longer than this.
TOTAL_SECONDS = 60.0
MAX_REDIRECTS = 3
#: Where Twilio's media URLs point (the API) and where they redirect (its storage).
API_HOSTS = ("api.twilio.com",)
STORAGE_HOSTS = ("mms.twiliocdn.com", "s3-external-1.amazonaws.com")


class MediaFetcher:
    def __init__(self, settings: Settings, total_seconds: float = TOTAL_SECONDS) -> None:
        self.store = MediaStore(settings.media_dir, settings.media_max_bytes)
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self._auth = httpx.BasicAuth(settings.twilio_account_sid or "", token)
        self._auth_origins = {_origin("https://api.twilio.com"), _origin(settings.twilio_api_url)}
        configured = _host(settings.twilio_api_url)
        self.api_hosts = {*API_HOSTS, configured}
        self.storage_hosts = {*STORAGE_HOSTS, *self.api_hosts}
        self.total_seconds = total_seconds

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
            if not await run_in_threadpool(_attach, engine, inbound, item.url, str(path)):
                # The customer was forgotten while the file came: it must not stay.
                path.unlink(missing_ok=True)
                continue
            kept += 1
        return kept

    async def download(self, inbound: Inbound, index: int, item: Media) -> Path | None:
        if _host(item.url) not in self.api_hosts:
            log.warning(
                "media of %s not fetched: host %s is not Twilio's",
                inbound.external_id,
                _host(item.url) or "(none)",
            )
            return None
        try:
            async with asyncio.timeout(self.total_seconds):
                fetched = await self._fetch(item)
        except MediaRejected as exc:
            log.warning("media of %s not kept: %s", inbound.external_id, exc.reason)
            return None
        except TimeoutError:
            log.warning(
                "media of %s not fetched: over %ss", inbound.external_id, self.total_seconds
            )
            return None
        except httpx.HTTPError as exc:
            log.warning("media of %s not fetched: %s", inbound.external_id, type(exc).__name__)
            return None
        if fetched is None:
            return None
        data, kind = fetched
        name = self.store.name_for(inbound.channel, inbound.external_id, index, item.url, kind)
        try:
            return await run_in_threadpool(self.store.save, name, data, kind)
        except (MediaRejected, OSError) as exc:
            log.warning("media of %s not written: %s", inbound.external_id, exc)
            return None

    async def _fetch(self, item: Media) -> tuple[bytes, str] | None:
        url = item.url
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                auth = self._auth if _origin(url) in self._auth_origins else None
                async with client.stream("GET", url, auth=auth) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if _host(target) not in self.storage_hosts:
                            raise MediaRejected(f"redirect to {_host(target) or '?'} refused")
                        url = target
                        continue
                    if response.status_code != 200:
                        log.warning("media %s: HTTP %s", _host(url), response.status_code)
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
                    return bytes(data), kind
        raise MediaRejected(f"more than {MAX_REDIRECTS} redirects")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.netloc or "").lower()


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    return (parts.hostname or "").lower()


def _referenced(engine: Engine, inbound: Inbound, url: str) -> bool:
    with session_scope(engine) as session:
        return stored_media.referenced(session, inbound.channel, inbound.address, url)


def _attach(engine: Engine, inbound: Inbound, url: str, path: str) -> int:
    with session_scope(engine) as session:
        return stored_media.attach(session, inbound.channel, inbound.address, url, path)
