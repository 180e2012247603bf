"""POST /live/comments: comments from any other tool, signed with a shared secret.

Instagram and Facebook Live comment webhooks relayed by the seller's own glue, a
streaming studio, a scraper: anything that can compute an HMAC can feed the radar.

    X-Postlive-Signature: sha256=<hex HMAC-SHA256 of the raw body with LIVE_INGEST_SECRET>
    {"show": "SPRING24", "comments": [{"id": "...", "platform": "instagram",
      "author_id": "...", "author_name": "...", "text": "...",
      "time": "2026-11-30T20:01:02Z", "language": "pt-BR"}]}

403 for a missing or wrong signature (nothing read further), 400 for a body that is not
JSON, 422 for a batch that breaks the rules (the error names the comment and field);
a batch is taken whole or not at all. 404 when no secret is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from bot.radar.comment import LiveComment

MAX_BATCH = 500
HEADER = "x-postlive-signature"


class IngestComment(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    author_id: str = Field(min_length=1, max_length=128)
    author_name: str = Field(default="", max_length=200)
    platform: str = Field(default="ingest", min_length=1, max_length=32)
    id: str | None = Field(default=None, max_length=128)
    time: datetime | None = None
    language: str | None = Field(default=None, max_length=16)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class IngestBatch(BaseModel):
    show: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    comments: list[IngestComment] = Field(min_length=1, max_length=MAX_BATCH)


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verified(secret: bytes, body: bytes, header: str | None) -> bool:
    return bool(secret and header) and hmac.compare_digest(sign(secret, body), header or "")


class BadBatch(ValueError):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


def parse(body: bytes, now: datetime) -> tuple[str, list[LiveComment]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadBatch(400, f"body is not JSON: {exc}") from exc
    try:
        batch = IngestBatch.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        raise BadBatch(422, problems) from exc
    comments = [
        LiveComment(
            platform=c.platform,
            show=batch.show,
            author_id=c.author_id,
            author_name=c.author_name or c.author_id,
            text=c.text,
            # The radar ranks what is said now; a relay's clock may drift, ours decides.
            at=now,
            language_hint=c.language,
            external_id=c.id,
            extras={"sent_at": c.time.isoformat()} if c.time else {},
        )
        for c in batch.comments
    ]
    return batch.show, comments
