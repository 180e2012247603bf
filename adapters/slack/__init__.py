"""Slack, the team's side of postlive: `/postlive`, digests with charts, urgent-complaint
alerts, the review queue and "you said, we did".

Slash commands and interactivity arrive at POST /slack/events through slack-bolt's
AsyncApp (signature and 5-minute timestamp window checked, ack within 3 s); messages
leave through slack-sdk's AsyncWebClient pointed at SLACK_API_URL.

The scheduler calls the hooks below; each is a no-op returning 0/False when Slack (or the
channel it needs) is not configured. They queue outbox rows (channel "slack"); the
outbox worker posts them through adapters.slack.sender:

    post_pending_alerts(app) -> int        new urgent complaints to SLACK_ALERT_CHANNEL
    post_due_digests(app) -> int           daily digests to SLACK_DIGEST_CHANNEL
    post_final_digest(app, campaign_id)    once, when a campaign ends
    post_final_digests(app) -> int         every ended campaign still without its final one
    post_digest(app, campaign_id, channel) on demand (`postlive digest ID --post`): queued
                                           and delivered at once

Slack sends no survey messages, so `sender(settings)` is None; the team's sender is built
per App (adapters.team_senders).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.bootstrap import App
    from bot.settings import Settings

PATH = "/slack/events"


def routes(app: App) -> list[BaseRoute]:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from adapters.slack.team import team_for

    if not app.settings.slack_enabled:

        async def unconfigured(_request: Request) -> Response:
            return PlainTextResponse(
                "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)", status_code=404
            )

        return [Route(PATH, unconfigured, methods=["POST"])]
    from adapters.slack.endpoint import SlackEndpoint

    team = team_for(app)
    assert team is not None
    return [Route(PATH, SlackEndpoint(team).handle, methods=["POST"])]


def sender(settings: Settings) -> None:
    """Slack is the team's channel, never a customer's: it has no outbox sender."""
    return None


async def post_pending_alerts(app: App) -> int:
    from adapters.slack import alerts
    from adapters.slack.team import team_for

    team = team_for(app)
    if team is None:
        return 0
    from adapters.slack.coupon_notices import post_stock_warnings

    # Also: a campaign's coupon pool about to run out (bot.coupon_alerts).
    return await alerts.post_pending(team) + await post_stock_warnings(team)


async def post_due_digests(app: App) -> int:
    from adapters.slack import digests
    from adapters.slack.team import team_for

    team = team_for(app)
    return await digests.post_due(team) if team else 0


async def post_final_digests(app: App) -> int:
    """Final digests of campaigns that ended (completed or stopped) in the last week and
    have none yet; each is claimed once (digests.claim_final), whatever runs this."""
    from datetime import timedelta

    from bot.services import digests

    since = app.clock.now() - timedelta(days=7)
    ended = await asyncio.to_thread(digests.ended_without_final, app.engine, since)
    posted = 0
    for campaign_id in ended:
        if await post_final_digest(app, campaign_id):
            posted += 1
    return posted


async def post_final_digest(app: App, campaign_id: int) -> bool:
    from adapters.slack import digests
    from adapters.slack.team import team_for

    team = team_for(app)
    return await digests.post_final(team, campaign_id) if team else False


async def post_digest(app: App, campaign_id: int, channel: str | None = None) -> list[Any]:
    """Post a digest now (to `channel`, default SLACK_DIGEST_CHANNEL); returns the messages."""
    from adapters.slack import digests
    from adapters.slack.team import team_for
    from bot.errors import ConfigError

    team = team_for(app)
    target = channel or app.settings.slack_digest_channel
    if team is None or not target:
        raise ConfigError("posting to Slack needs SLACK_BOT_TOKEN and SLACK_DIGEST_CHANNEL")
    return await digests.post_digest(team, campaign_id, target)
