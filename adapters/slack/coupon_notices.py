"""Coupon pool warnings (bot.coupon_alerts) posted to the alert channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from adapters.slack.blocks import section
from bot.coupon_alerts import claim_stock_warnings, flow_pools

if TYPE_CHECKING:
    from adapters.slack.team import SlackTeam

log = logging.getLogger(__name__)


async def post_stock_warnings(team: SlackTeam) -> int:
    channel = team.settings.slack_alert_channel
    if not channel:
        return 0
    app = team.app
    warnings = await team.db(
        claim_stock_warnings, app.engine, flow_pools(app.flows), app.clock.now()
    )
    posted = 0
    for warning in warnings:
        try:
            await team.poster.post(channel, [section(f"🎟️ {warning.text()}")])
        except Exception:  # the warning is recorded as given; the digest still shows stock
            log.exception("coupon warning for campaign %s not posted", warning.campaign_id)
            continue
        posted += 1
    return posted
