"""Digest use cases: a campaign's digest built for the team, and which digests are due.

The daily slot is `Campaign.digest_time` (local HH:MM in TEAM_TIMEZONE, 09:00 when
unset). A slot is claimed with a conditional UPDATE of `last_digest_at` before anything
is posted, so two workers never post the same digest twice; the final digest is
claimed once per ended campaign. Posting (Slack) is the adapter's part.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from bot import campaigns, digest
from bot.clock import utc
from bot.db import affected
from bot.flows import Flow
from bot.models import Campaign, CampaignStatus
from bot.services.unit_of_work import UnitOfWork
from bot.windows import zone

DEFAULT_DIGEST_TIME = time(9, 0)


def build(
    engine: Engine,
    flows: Mapping[str, Flow],
    campaign_id: int,
    *,
    token_cap: int | None,
    now: datetime,
) -> digest.Digest:
    with UnitOfWork(engine) as uow:
        campaign = campaigns.get(uow.session, campaign_id)
        return digest.build(
            uow.session, campaign, flows.get(campaign.flow_id), token_cap=token_cap, now=now
        )


def chart_png(built: digest.Digest) -> bytes:
    with tempfile.TemporaryDirectory(prefix="postlive-chart-") as tmp:
        return digest.chart(built, Path(tmp) / "chart.png").read_bytes()


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


def claim_due(engine: Engine, now: datetime, team_timezone: str) -> list[int]:
    """Running campaigns whose daily slot has come, each claimed for this caller."""
    claimed: list[int] = []
    with UnitOfWork(engine) as uow:
        session = uow.session
        running = session.exec(
            select(Campaign).where(
                Campaign.status == CampaignStatus.RUNNING,
                col(Campaign.is_test).is_(False),  # a test send is nobody's figures
            )
        ).all()
        for campaign in running:
            due = slot(now, campaign.digest_time, team_timezone)
            since = campaign.last_digest_at or campaign.created_at or campaign.starts_at
            if since is not None and utc(since) >= due:
                continue
            won = affected(
                session.execute(
                    update(Campaign)
                    .where(
                        col(Campaign.id) == campaign.id,
                        or_(
                            col(Campaign.last_digest_at).is_(None),
                            col(Campaign.last_digest_at) < due,
                        ),
                    )
                    .values(last_digest_at=now)
                    # The campaigns loaded above hold naive datetimes on SQLite: compare in SQL.
                    .execution_options(synchronize_session=False)
                )
            )
            if won and campaign.id is not None:
                claimed.append(campaign.id)
        uow.commit()
    return claimed


def claim_final(engine: Engine, campaign_id: int, now: datetime) -> bool:
    """True once per ended campaign: its final digest is the caller's to post.

    A digest posted at or before the end is not the final one; the final one marks
    `last_digest_at` after `ended_at`, so a second call finds nothing to do.
    """
    with UnitOfWork(engine) as uow:
        campaign = campaigns.get(uow.session, campaign_id)
        ended = utc(campaign.ended_at) if campaign.ended_at else None
        mark = max(now, ended + timedelta(microseconds=1)) if ended else now
        won = affected(
            uow.session.execute(
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
            )
        )
        uow.commit()
        return bool(won)


def ended_without_final(engine: Engine, since: datetime) -> list[int]:
    """Campaigns that ended (completed or stopped) after `since` with no final digest."""
    with UnitOfWork(engine) as uow:
        ended = uow.session.exec(
            select(Campaign.id).where(
                col(Campaign.status).in_([CampaignStatus.COMPLETED, CampaignStatus.STOPPED]),
                col(Campaign.ended_at) >= since,
                col(Campaign.last_digest_at).is_(None)
                | (col(Campaign.last_digest_at) <= col(Campaign.ended_at)),
            )
        ).all()
    return [c for c in ended if c is not None]
