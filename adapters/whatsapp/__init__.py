"""WhatsApp through Twilio: signed webhooks in, the REST API (official SDK) out.

    webhook.py    POST /webhooks/whatsapp (messages) and /webhooks/whatsapp/status
    payloads.py   Twilio's form fields -> Inbound / Receipt
    sender.py     Outbound -> messages.create (template or free-form), error mapping
    render.py     numbered choices, 1,600-character parts, template variables
    client.py     the SDK client, redirected by TWILIO_API_URL; Retry-After
    errors.py     what Twilio's error codes mean here
    media.py      photo answers and voice notes downloaded with the account's credentials

The registry (`adapters/__init__.py`) calls the two functions below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

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
    # A send refused as unsubscribed (21610) or to an invalid number raises the matching
    # bot.errors; the delivery layer opts the contact out or marks them unreachable.
    return TwilioSender(settings)


__all__ = ["TwilioSender", "WhatsAppWebhooks", "routes", "sender"]
