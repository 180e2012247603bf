"""WhatsApp through Twilio: signed webhooks in, the REST API (official SDK) out.

    webhook.py    POST /webhooks/whatsapp (messages) and /webhooks/whatsapp/status
    payloads.py   Twilio's form fields -> Inbound / Receipt
    sender.py     Outbound -> messages.create (template or free-form), error mapping
    render.py     numbered choices, 1,600-character parts, template variables
    client.py     the SDK client, redirected by TWILIO_API_URL; Retry-After
    pacing.py     a token bucket under TWILIO_MPS
    errors.py     what Twilio's error codes mean here
    media.py      photo answers and voice notes downloaded with the account's credentials
    recipients.py  a send refused as unsubscribed or invalid updates the contact

The registry (`adapters/__init__.py`) calls the two functions below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from adapters.whatsapp.recipients import DatabaseRecipients
from adapters.whatsapp.sender import TwilioSender
from adapters.whatsapp.webhook import WhatsAppWebhooks
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.bootstrap import App


def routes(app: App) -> list[BaseRoute]:
    """Always mounted: with the channel off they answer 503 and say which settings."""
    return WhatsAppWebhooks(app).routes()


def sender(settings: Settings) -> TwilioSender | None:
    if not settings.whatsapp_enabled:
        return None
    # A send refused as unsubscribed (21610) opts the contact out at once, an invalid
    # number makes them unreachable; the sender only gets settings, so it reaches the
    # database through its own small engine.
    return TwilioSender(settings, on_refused=DatabaseRecipients(settings.database_url))


__all__ = ["TwilioSender", "WhatsAppWebhooks", "routes", "sender"]
