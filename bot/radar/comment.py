"""One live comment, whatever platform it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LiveComment:
    platform: str  # youtube, tiktok, instagram, facebook, ingest, replay, ...
    show: str
    author_id: str
    author_name: str
    text: str
    at: datetime
    #: The viewer's language if the platform says so ("pt-BR"); detection decides otherwise.
    language_hint: str | None = None
    #: The platform's own id of the comment, for deduplication across reconnects.
    external_id: str | None = None
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def viewer(self) -> str:
        """One viewer across the show: the same name on two platforms is two people."""
        return f"{self.platform}:{self.author_id}"

    def identity(self) -> str:
        """The platform's id, or a digest of what makes the comment itself (exports often
        carry no id), so storing the same comment twice changes nothing."""
        if self.external_id:
            return self.external_id[:128]
        raw = f"{self.author_id}\x1f{self.at.isoformat()}\x1f{self.text}".encode()
        return "h:" + hashlib.sha256(raw).hexdigest()[:40]
