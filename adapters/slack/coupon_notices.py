"""Coupon pool warnings (bot.coupon_alerts) queued for the alert channel (the outbox)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bot import outbox
from bot.coupon_alerts import claim_stock_warnings, flow_pools
from bot.messages import Channel, Outbound

if TYPE_CHECKING:
    from adapters.slack.team import SlackTeam

KIND = "slack_coupon_stock"


async def post_stock_warnings(team: SlackTeam) -> int:
    channel = team.settings.slack_alert_channel
    if not channel:
        return 0
    app = team.app
    warnings = await team.db(
        claim_stock_warnings, app.engine, flow_pools(app.flows), app.clock.now()
    )
    now = app.clock.now()
    queued = 0
    for warning in warnings:
        # The warning is claimed once (bot.coupon_alerts); its post is an outbox row,
        # rendered by bot.rendering with Slack's capabilities (adapters.slack.sender).
        message = Outbound(Channel.SLACK, channel, f"🎟️ {warning.text()}", kind=KIND)
        pool = hashlib.sha256(warning.pool.encode()).hexdigest()[:12]
        key = f"slack:coupon-stock:{warning.campaign_id}:{pool}:{now.isoformat()}"
        if await team.db(outbox.enqueue_one, app.engine, key, message, kind=KIND, now=now):
            queued += 1
    return queued
