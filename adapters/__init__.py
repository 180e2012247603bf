"""Platform adapters. Each turns its platform's webhooks into `bot.messages.Inbound` and
sends `bot.messages.Outbound` with the platform's own SDK. The core never imports them;
the composition root asks here for the routes and senders of the configured channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.delivery import Sender
    from bot.settings import Settings


def routes(app: App) -> list[BaseRoute]:
    """HTTP routes of every adapter (each checks its own settings when called)."""
    return []


def senders(settings: Settings) -> dict[str, Sender]:
    """Senders for the channels `settings` configures."""
    return {}
