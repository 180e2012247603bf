"""Posting digests: on demand, daily while a campaign runs, and once when it ends.

Which digests are due, and claiming each once, is bot.services.digests; this module
renders them as Block Kit with the chart and posts them.
"""

from __future__ import annotations

import logging

from adapters.slack.digest_blocks import render
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from bot.services import digests

log = logging.getLogger(__name__)


async def post_digest(
    team: SlackTeam, campaign_id: int, channel: str, *, final: bool = False
) -> list[Posted]:
    """Build, render and post one campaign's digest with its chart; returns the messages."""
    app = team.app
    built = await team.db(
        digests.build,
        app.engine,
        app.flows,
        campaign_id,
        token_cap=team.settings.analysis_campaign_token_cap,
        now=app.clock.now(),
    )
    messages = render(built, team.language, final=final)
    posted = []
    for blocks in messages:
        message = await team.poster.post(channel, blocks)
        team.remember_digest(message.ref, blocks)
        posted.append(message)
    png = await team.db(digests.chart_png, built)
    c = built.campaign
    await team.poster.upload_png(
        channel, png, f"postlive-campaign-{c.id}.png", f"Campaign {c.id} · {c.show}"[:200]
    )
    return posted


async def post_due(team: SlackTeam) -> int:
    channel = team.settings.slack_digest_channel
    if not channel:
        return 0
    posted = 0
    due = await team.db(
        digests.claim_due, team.app.engine, team.app.clock.now(), team.settings.team_timezone
    )
    for campaign_id in due:
        try:
            await post_digest(team, campaign_id, channel)
        except Exception:  # noqa: BLE001 - one campaign's failure must not stop the others
            log.exception("daily digest of campaign %s failed", campaign_id)
            continue
        posted += 1
    return posted


async def post_final(team: SlackTeam, campaign_id: int) -> bool:
    channel = team.settings.slack_digest_channel
    if not channel or not await team.db(
        digests.claim_final, team.app.engine, campaign_id, team.app.clock.now()
    ):
        return False
    await post_digest(team, campaign_id, channel, final=True)
    return True
