"""Media customers send (photo answers, voice notes), kept on our own disk.

Platform URLs expire or need credentials, and the team must still see the photo next
month, so adapters download what a customer sent and hand the bytes here. This module
decides where files live and what is accepted: only images, audio and video, never more
than `settings.media_max_bytes`, under `settings.media_dir`, with names derived from the
platform's message id (a re-download overwrites, never duplicates). It also links a kept
file to the answers that reference its URL, so `contacts forget` can delete it.
"""

from __future__ import annotations

import glob
import hashlib
import mimetypes
import os
import re
import tempfile
from pathlib import Path

from sqlmodel import Session, col, select

from bot.errors import PostliveError
from bot.models import Answer, Contact, Conversation

ACCEPTED_KINDS = ("image", "audio", "video")

#: Extensions mimetypes does not know, or guesses oddly (".jpe"), for what WhatsApp sends.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
}


class MediaRejected(PostliveError):
    """A file we will not keep: wrong type or too large. `reason` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"media rejected: {reason}")


def base_type(content_type: str | None) -> str:
    """The type without parameters: audio/ogg; codecs=opus -> audio/ogg."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class MediaStore:
    def __init__(self, root: Path | str, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def check(self, content_type: str | None, size: int | None = None) -> str:
        """The base content type if a file of this type (and size, when known) is kept."""
        kind = base_type(content_type)
        if kind.split("/", 1)[0] not in ACCEPTED_KINDS:
            raise MediaRejected(f"type {kind or 'unknown'} is not an image, audio or video")
        if size is not None and size > self.max_bytes:
            raise MediaRejected(f"{size} bytes is over the {self.max_bytes}-byte limit")
        return kind

    def name_for(self, channel: str, message_id: str, index: int, url: str, kind: str) -> str:
        """A relative file name: stable for the same media, safe on every file system."""
        safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", message_id)[:64] or "message"
        # The URL hash tells two media of one message apart even if indexes were reused.
        tag = hashlib.sha256(url.encode()).hexdigest()[:8]
        extension = _EXTENSIONS.get(kind) or mimetypes.guess_extension(kind) or ".bin"
        return f"{re.sub(r'[^a-z0-9_-]', '_', channel.lower())}/{safe_id}-{index}-{tag}{extension}"

    def files_of(self, channel: str, message_id: str) -> list[Path]:
        """Every file kept for the media of one message (see `name_for`)."""
        folder = self.root / re.sub(r"[^a-z0-9_-]", "_", channel.lower())
        safe_id = re.sub(r"[^A-Za-z0-9_-]", "_", message_id)[:64] or "message"
        if not folder.is_dir():
            return []
        return [p for p in folder.glob(f"{glob.escape(safe_id)}-*") if p.is_file()]

    def save(self, name: str, data: bytes, content_type: str | None) -> Path:
        """Write `data` as `name` atomically; returns the absolute path kept."""
        self.check(content_type, len(data))
        path = (self.root / name).resolve()
        root = self.root.resolve()
        if root not in path.parents:
            raise MediaRejected(f"file name {name!r} leaves the media directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: a crash never leaves half a photo behind.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


def attach(session: Session, channel: str, address: str, url: str, stored_at: str) -> int:
    """Record where the media at `url` was kept, in every answer of this contact that
    holds it; returns how many answers changed."""
    contact = session.exec(
        select(Contact).where(Contact.channel == channel, Contact.address == address)
    ).first()
    if contact is None:
        return 0
    answers = session.exec(
        select(Answer)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(Conversation.contact_id == contact.id)
        .with_for_update()
    ).all()
    changed = 0
    for answer in answers:
        if not any(item.get("url") == url for item in answer.media):
            continue
        # A new list, not an in-place edit: the JSON column only saves what it sees change.
        answer.media = [
            {**item, "stored_at": stored_at} if item.get("url") == url else item
            for item in answer.media
        ]
        session.add(answer)
        changed += 1
    return changed


def referenced(session: Session, channel: str, address: str, url: str) -> bool:
    """Whether an answer of this contact holds `url`: only such media is downloaded, so
    no file is kept that `contacts forget` could not find and delete."""
    contact = session.exec(
        select(Contact).where(Contact.channel == channel, Contact.address == address)
    ).first()
    if contact is None:
        return False
    answers = session.exec(
        select(Answer.media)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(Conversation.contact_id == contact.id)
    ).all()
    return any(item.get("url") == url for media in answers for item in media)
