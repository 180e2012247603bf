"""Posting digests: on demand, daily while a campaign runs, and once when it ends.

The daily slot is `Campaign.digest_time` (local HH:MM in TEAM_TIMEZONE, 09:00 when
unset). A slot is claimed with a conditional UPDATE of `last_digest_at` before anything
is posted, so two workers never post the same digest twice.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import or_, update
from sqlmodel import col, select

from adapters.slack.digest_blocks import render
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from bot import campaigns, digest
from bot.clock import utc
from bot.db import session_scope
from bot.models import Campaign, CampaignStatus
from bot.windows import zone

log = logging.getLogger(__name__)
DEFAULT_DIGEST_TIME = time(9, 0)


def build(team: SlackTeam, campaign_id: int) -> digest.Digest:
    app = team.app
    with session_scope(app.engine) as session:
        campaign = campaigns.get(session, campaign_id)
        return digest.build(
            session,
            campaign,
            app.flows.get(campaign.flow_id),
            token_cap=team.settings.analysis_campaign_token_cap,
            now=app.clock.now(),
        )


def chart_png(built: digest.Digest) -> bytes:
    with tempfile.TemporaryDirectory(prefix="postlive-chart-") as tmp:
        return digest.chart(built, Path(tmp) / "chart.png").read_bytes()


async def post_digest(
    team: SlackTeam, campaign_id: int, channel: str, *, final: bool = False
) -> list[Posted]:
    """Build, render and post one campaign's digest with its chart; returns the messages."""
    built = await team.db(build, team, campaign_id)
    messages = render(built, team.language, final=final)
    posted = []
    for blocks in messages:
        message = await team.poster.post(channel, blocks)
        team.remember_digest(message.ref, blocks)
        posted.append(message)
    png = await team.db(chart_png, built)
    c = built.campaign
    await team.poster.upload_png(
        channel, png, f"postlive-campaign-{c.id}.png", f"Campaign {c.id} · {c.show}"[:200]
    )
    return posted


def slot(now: datetime, digest_time: str | None, team_timezone: str) -> datetime:
    """The latest daily digest instant at or before `now` (UTC)."""
    wanted = _parse_hhmm(digest_time) or DEFAULT_DIGEST_TIME
    tz = zone(team_timezone)
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), wanted, tzinfo=tz)
    if at > local:
        at = datetime.combine(local.date() - timedelta(days=1), wanted, tzinfo=tz)
    return utc(at)


def _parse_hhmm(text: str | None) -> time | None:
    try:
        hours, minutes = (text or "").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def claim_due(team: SlackTeam) -> list[int]:
    """Running campaigns whose daily slot has come, each claimed for this process."""
    now = team.app.clock.now()
    claimed = []
    with session_scope(team.app.engine) as session:
        running = session.exec(
            select(Campaign).where(
                Campaign.status == CampaignStatus.RUNNING,
                col(Campaign.is_test).is_(False),  # a test send is nobody's figures
            )
        ).all()
        for campaign in running:
            due = slot(now, campaign.digest_time, team.settings.team_timezone)
            since = campaign.last_digest_at or campaign.created_at or campaign.starts_at
            if since is not None and utc(since) >= due:
                continue
            won = session.execute(
                update(Campaign)
                .where(
                    col(Campaign.id) == campaign.id,
                    or_(col(Campaign.last_digest_at).is_(None), col(Campaign.last_digest_at) < due),
                )
                .values(last_digest_at=now)
                # The campaigns loaded above hold naive datetimes on SQLite: compare in SQL.
                .execution_options(synchronize_session=False)
            ).rowcount
            if won:
                claimed.append(campaign.id)
    return [c for c in claimed if c is not None]


def claim_final(team: SlackTeam, campaign_id: int) -> bool:
    """True once per ended campaign: its final digest is ours to post.

    A digest posted at or before the end is not the final one; the final one marks
    `last_digest_at` after `ended_at`, so a second call finds nothing to do.
    """
    with session_scope(team.app.engine) as session:
        campaign = campaigns.get(session, campaign_id)
        now = team.app.clock.now()
        ended = utc(campaign.ended_at) if campaign.ended_at else None
        mark = max(now, ended + timedelta(microseconds=1)) if ended else now
        return bool(
            session.execute(
                update(Campaign)
                .where(
                    col(Campaign.id) == campaign_id,
                    col(Campaign.is_test).is_(False),
                    or_(
                        col(Campaign.ended_at).is_(None),
                        col(Campaign.last_digest_at).is_(None),
                        col(Campaign.last_digest_at) <= col(Campaign.ended_at),
                    ),
                )
                .values(last_digest_at=mark)
                .execution_options(synchronize_session=False)
            ).rowcount
        )


async def post_due(team: SlackTeam) -> int:
    channel = team.settings.slack_digest_channel
    if not channel:
        return 0
    posted = 0
    for campaign_id in await team.db(claim_due, team):
        try:
            await post_digest(team, campaign_id, channel)
        except Exception:  # noqa: BLE001 - one campaign's failure must not stop the others
            log.exception("daily digest of campaign %s failed", campaign_id)
            continue
        posted += 1
    return posted


async def post_final(team: SlackTeam, campaign_id: int) -> bool:
    channel = team.settings.slack_digest_channel
    if not channel or not await team.db(claim_final, team, campaign_id):
        return False
    await post_digest(team, campaign_id, channel, final=True)
    return True
