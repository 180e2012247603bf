"""Platform adapters. Each turns its platform's webhooks into `bot.messages.Inbound` and
sends `bot.messages.Outbound` with the platform's own SDK. The core never imports them;
the composition root asks here for the routes and senders of the configured channels.

Every adapter package exposes the same two functions:

    routes(app: App) -> list[BaseRoute]        its HTTP endpoints
    sender(settings: Settings) -> Sender | None   its outbound channel, None when unconfigured
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from adapters.slack.team import SlackTeam
    from bot.bootstrap import App
    from bot.delivery import Sender
    from bot.scheduler import JobSpec
    from bot.settings import Settings
    from bot.shop import CouponShop
    from bot.translation import Translator

#: channel name -> adapter package; Slack is the team's side and sends no survey messages
#: (its posts are outbox rows all the same: `team_senders`).
CHANNELS = {"whatsapp": "adapters.whatsapp", "telegram": "adapters.telegram"}
TEAM = ("adapters.slack",)


def routes(app: App) -> list[BaseRoute]:
    """HTTP routes of every adapter (each checks its own settings when called)."""
    found: list[BaseRoute] = []
    for name in (*CHANNELS.values(), *TEAM):
        found.extend(import_module(name).routes(app))
    from adapters.live.web import mount as live_routes

    found.append(live_routes(app))  # the live question radar: /live/...
    return found


def jobs(app: App) -> list[JobSpec]:
    """Periodic work of the adapters (Slack alerts and digests, Shopify codes and
    redemptions), run by the scheduler."""
    from adapters import slack
    from adapters.shopify.jobs import jobs as shopify_jobs
    from adapters.slack import erasure as slack_erasure
    from bot.scheduler import every

    # Coupon codes kept in the Shopify store, redemptions read from its orders.
    found = shopify_jobs(app)
    if not app.settings.slack_enabled:
        return found
    return [
        *found,
        every("slack-alerts", lambda: slack.post_pending_alerts(app), seconds=30),
        every("slack-daily-digests", lambda: slack.post_due_digests(app), minutes=5),
        every("slack-final-digests", lambda: slack.post_final_digests(app), minutes=5),
        every("slack-erasure", lambda: slack_erasure.erase_due(app), minutes=1),
    ]


def senders(settings: Settings) -> dict[str, Sender]:
    """Senders for the channels `settings` configures."""
    built: dict[str, Sender] = {}
    for channel, name in CHANNELS.items():
        sender = import_module(name).sender(settings)
        if sender is not None:
            built[channel] = sender
    return built


def team_senders(app: App) -> dict[str, Sender]:
    """Senders of the team's side: Slack posts are outbox rows too (channel "slack"),
    sent by the App's SlackTeam; empty without Slack."""
    if app.slack is None:
        return {}
    from adapters.slack.sender import SlackSender

    return {"slack": SlackSender(app.slack)}


def translator(settings: Settings) -> Translator | None:
    """The OpenAI translator when OPENAI_API_KEY is set; None otherwise."""
    from adapters.slack.translate import translator_for

    return translator_for(settings)


def slack_team(app: App) -> SlackTeam | None:
    """The team's Slack for `app`, or None when SLACK_BOT_TOKEN is not set."""
    if app.settings.slack_bot_token is None:
        return None
    from adapters.slack.durable import register_kinds
    from adapters.slack.team import SlackTeam

    # SLACK_CHANNEL_MPS paces posts to each channel (Slack allows about one a second).
    team = SlackTeam(app, min_interval=1.0 / max(app.settings.slack_channel_mps, 0.001))
    # State-changing clicks are recorded by their ack and applied by the inbound handler
    # loop of whichever process (serve, worker) runs it.
    register_kinds(team)
    return team


async def serve_with_polling(app: App, web: Any, host: str, port: int) -> None:
    """The web app and the Telegram long-polling loop in one event loop."""
    from adapters.telegram.polling import serve_with_polling as serve

    await serve(app, web, host, port)


async def post_digest(app: App, campaign_id: int, channel: str | None = None) -> list[Any]:
    from adapters.slack import post_digest as post

    return await post(app, campaign_id, channel)


async def erase_quotes(app: App) -> int:
    """Edit the team's chat messages that quote forgotten customers to "erased"."""
    from adapters.slack.erasure import erase_due

    return await erase_due(app)


def coupon_shop(settings: Settings) -> CouponShop | None:
    """The shop where coupon codes must exist (Shopify), or None when not configured."""
    from adapters.shopify import shop_from_settings

    return shop_from_settings(settings)


def replay_live_demo(app: App, show: str) -> Any:
    """`postlive demo`'s short live show, replayed into the question radar."""
    from adapters.live.demo import replay_demo_show

    return replay_demo_show(app, show)


def live_board(app: App, session: Any, url: str) -> Any:
    """The live radar's board in the team's Slack, or None without SLACK_LIVE_CHANNEL."""
    from adapters.slack.radar import slack_board

    return slack_board(app.settings, session, url)
