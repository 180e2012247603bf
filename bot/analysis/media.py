"""Reading a photo or voice note for the model: the kept file if there is one, else its URL.

Platform media URLs (Twilio, Telegram) usually need the platform's credentials, so the
file postlive downloaded when the answer arrived (Answer.media[i].stored_at) is preferred
and sent inline as a data: URL; an http(s) URL is the fallback for photos (the model
fetches it) and is downloaded for voice notes (the transcription API wants the bytes).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.analysis.interface import MediaRef

#: Model names known to accept images (the configured model is used for photos).
VISION_MODELS = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")


def sees_images(model: str) -> bool:
    return model.lower().startswith(VISION_MODELS)


@dataclass(frozen=True)
class Loaded:
    #: What to put in the request: a data: URL or an http(s) URL (photos), or bytes.
    url: str | None
    data: bytes | None
    filename: str
    content_type: str
    #: A stable digest of the content, for the cache key.
    digest: str


class MediaReader:
    def __init__(self, media_dir: str | Path, max_bytes: int) -> None:
        self.media_dir = Path(media_dir)
        self.max_bytes = max_bytes

    def _local(self, media: MediaRef) -> Path | None:
        stored = media.stored_at
        if not stored or "://" in stored:
            return None
        path = Path(stored)
        for candidate in (path, self.media_dir / path):
            if candidate.is_file():
                return candidate
        return None

    def _content_type(self, media: MediaRef, path: Path | None) -> str:
        if "/" in media.content_type and not media.content_type.endswith("octet-stream"):
            return media.content_type
        guessed = mimetypes.guess_type(str(path or media.url))[0]
        return guessed or media.content_type

    def image(self, media: MediaRef) -> Loaded | None:
        """A photo as a data: URL (kept file) or its http(s) URL; None if neither."""
        path = self._local(media)
        if path is not None:
            data = path.read_bytes()
            if len(data) > self.max_bytes:
                return None
            kind = self._content_type(media, path)
            inline = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
            return Loaded(inline, None, path.name, kind, _digest(data))
        if media.url.startswith(("http://", "https://")):
            kind = self._content_type(media, None)
            return Loaded(media.url, None, "", kind, _digest(media.url.encode()))
        return None

    def audio(self, media: MediaRef) -> Loaded | None:
        """A voice note's bytes from the kept file, or downloaded; None if unreachable."""
        path = self._local(media)
        if path is not None:
            data = path.read_bytes()
            name = path.name
        elif media.url.startswith(("http://", "https://")):
            downloaded = self._download(media.url)
            if downloaded is None:
                return None
            data = downloaded
            name = Path(httpx.URL(media.url).path).name or "voice-note"
        else:
            return None
        if len(data) > self.max_bytes:
            return None
        return Loaded(None, data, name, self._content_type(media, path), _digest(data))

    def _download(self, url: str) -> bytes | None:
        try:
            with httpx.stream("GET", url, timeout=30.0, follow_redirects=True) as response:
                if response.status_code != 200:
                    return None
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        return None
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError:
            return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
