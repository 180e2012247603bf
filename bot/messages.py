"""Normalized messages: the only shape in which platforms and the core talk.

Adapters turn a platform's webhook into an `Inbound` and render an `Outbound` with the
platform's SDK; the core never sees a platform payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    SIMULATOR = "simulator"
    #: The team's side: posts to Slack channels go through the outbox like the rest.
    SLACK = "slack"


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str = "application/octet-stream"
    #: Where the bytes were kept after download (a path or object-store URL), if they were.
    stored_at: str | None = None

    @property
    def kind(self) -> str:
        return media_kind(self.content_type)


def media_kind(content_type: str) -> str:
    """image, audio, video or file: what the survey (and the analysis) cares about."""
    major = content_type.split("/", 1)[0]
    return major if major in {"image", "audio", "video"} else "file"


@dataclass(frozen=True)
class Inbound:
    channel: Channel
    address: str
    external_id: str
    text: str | None = None
    #: A button or list payload the customer tapped (e.g. "overall:4").
    choice: str | None = None
    media: tuple[Media, ...] = ()
    #: The platform's idea of the customer's language (Telegram language_code...).
    language_hint: str | None = None
    profile_name: str | None = None
    received_at: datetime | None = None
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Choice:
    """One button: `payload` comes back in `Inbound.choice` when tapped."""

    payload: str
    title: str


@dataclass(frozen=True)
class Template:
    """A pre-approved message for business-initiated sends (the WhatsApp 24-hour rule).

    `ref` is the provider's id (a Twilio ContentSid); `variables` fill its placeholders.
    """

    ref: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outbound:
    channel: Channel
    address: str
    text: str
    choices: tuple[Choice, ...] = ()
    #: Whether the choices allow several answers (rendered as numbered list + hint).
    multiple: bool = False
    media_url: str | None = None
    template: Template | None = None
    #: We start this exchange (intro, reminder, loop message) and the customer has not
    #: written in the last 24 hours: WhatsApp then requires the template. Decided when
    #: the row is written; a refusal (63016) falls back to the template once.
    business_initiated: bool = False
    #: What this message is in the conversation ("question:overall", "thank_you"...):
    #: for metrics, logs and the simulator, never shown to the customer.
    kind: str = ""
    #: What the channel renders at send time from current data instead of `text` (a Slack
    #: alert: {"alert": answer_id}; a digest: {"digest": campaign_id, "final": False}). The
    #: outbox then keeps no copy of customers' words for the team's channel, and a row
    #: retried later posts what is true then.
    source: dict[str, Any] | None = field(default=None, hash=False)
