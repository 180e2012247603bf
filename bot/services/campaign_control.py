"""Campaign use cases: plan, start (once per plan), pause, resume, stop, status.

The CLI and Slack both call these; only admins may change a campaign. A plan shown to
the team carries a nonce; starting it claims the nonce in the same transaction that
creates the campaign, so a double click, two app instances or a replay start one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import campaigns
from bot.errors import NotFound, PostliveError
from bot.flows import Flow
from bot.models import AudienceMember, Campaign, CampaignStatus
from bot.services import claims
from bot.services.actors import Actor, Role, require
from bot.services.unit_of_work import UnitOfWork
from bot.status import CampaignReport, campaign_report

if TYPE_CHECKING:
    from bot.coupons import PoolCounts

#: What each steering verb does, for refusals.
VERBS = {
    CampaignStatus.PAUSED: "pause campaigns",
    CampaignStatus.RUNNING: "resume campaigns",
    CampaignStatus.STOPPED: "stop campaigns",
}


class UsageError(PostliveError):
    """A request the team wrote that cannot be read; the message says how to write it."""


class AlreadyStarted(PostliveError):
    """This plan was started before (by a click, another instance or a replay)."""

    def __init__(self, nonce: str, campaign_id: int | None) -> None:
        self.nonce, self.campaign_id = nonce, campaign_id
        which = f" as campaign #{campaign_id}" if campaign_id is not None else ""
        super().__init__(f"This plan was started already{which}.")


def flow_named(flows: Mapping[str, Flow], flow_id: str) -> Flow:
    if flow_id not in flows:
        known = ", ".join(sorted(flows)) or "none"
        raise UsageError(f"no survey flow `{flow_id}` (known: {known})")
    return flows[flow_id]


def audience_exists(engine: Engine, tag: str) -> bool:
    with UnitOfWork(engine) as uow:
        found = select(AudienceMember.tag).where(AudienceMember.tag == tag)
        return uow.session.exec(found).first() is not None


def plan(
    engine: Engine,
    flows: Mapping[str, Flow],
    flow_id: str,
    audience_tag: str,
    starts_at: datetime,
    pool: str | None = None,
    *,
    require_audience: bool = True,
) -> campaigns.Plan:
    """What starting would do; changes nothing (anyone may look)."""
    flow = flow_named(flows, flow_id)
    with UnitOfWork(engine) as uow:
        if (
            require_audience
            and not uow.session.exec(
                select(AudienceMember.tag).where(AudienceMember.tag == audience_tag)
            ).first()
        ):
            raise UsageError(
                f"no audience tagged `{audience_tag}`: import one with "
                f"`postlive audience import FILE.csv --tag {audience_tag}`"
            )
        return campaigns.plan(uow.session, flow, audience_tag, starts_at, pool)


def start(
    engine: Engine,
    flows: Mapping[str, Flow],
    flow_id: str | Flow,
    audience_tag: str,
    *,
    pool: str | None,
    at: datetime,
    now: datetime,
    actor: Actor,
    nonce: str | None = None,
    show: str = "",
    rates: Mapping[str, float] | None = None,
    ignore_windows: bool = False,
    flow_path: str | None = None,
) -> Campaign:
    """Create the campaign as planned. With a `nonce` (a plan shown to the team), the
    plan starts at most once: a second start raises AlreadyStarted. `flow_id` may be a
    flow already loaded (from a path); `ignore_windows` sends at once to every market."""
    with UnitOfWork(engine) as uow:
        campaign = start_in(
            uow.session,
            flows,
            flow_id,
            audience_tag,
            pool=pool,
            at=at,
            now=now,
            actor=actor,
            nonce=nonce,
            show=show,
            rates=rates,
            ignore_windows=ignore_windows,
            flow_path=flow_path,
        )
        uow.commit()
        return campaign


def start_in(
    session: Session,
    flows: Mapping[str, Flow],
    flow_id: str | Flow,
    audience_tag: str,
    *,
    pool: str | None,
    at: datetime,
    now: datetime,
    actor: Actor,
    nonce: str | None = None,
    show: str = "",
    rates: Mapping[str, float] | None = None,
    ignore_windows: bool = False,
    flow_path: str | None = None,
) -> Campaign:
    """`start` inside the caller's transaction (a Slack click's handler)."""
    require(actor, Role.ADMIN, "start campaigns")
    flow = flow_id if isinstance(flow_id, Flow) else flow_named(flows, flow_id)
    key = f"plan:{nonce}" if nonce else None
    if key is not None and not claims.claim(session, key, "plan_start", actor.name, now):
        earlier = claims.outcome_of(session, key)
        started = earlier.outcome if earlier is not None else None
        raise AlreadyStarted(nonce or "", int(started) if started else None)
    try:
        campaign = campaigns.start(
            session,
            flow,
            audience_tag,
            at,
            now,
            coupon_pool=pool,
            show=show,
            created_by=actor.name[:64],
            rates=rates,
            ignore_windows=ignore_windows,
            flow_path=flow_path,
        )
    except NotFound as exc:
        raise UsageError(str(exc)) from exc
    if key is not None:
        claims.record(session, key, str(campaign.id))
    return campaign


def set_status(
    engine: Engine, campaign_id: int, status: CampaignStatus, *, actor: Actor, now: datetime
) -> Campaign:
    """pause (PAUSED), resume (RUNNING) or stop (STOPPED) a campaign."""
    with UnitOfWork(engine) as uow:
        campaign = set_status_in(uow.session, campaign_id, status, actor=actor, now=now)
        uow.commit()
        return campaign


def set_status_in(
    session: Session, campaign_id: int, status: CampaignStatus, *, actor: Actor, now: datetime
) -> Campaign:
    """`set_status` inside the caller's transaction (a Slack command's handler)."""
    require(actor, Role.ADMIN, VERBS.get(status, "steer campaigns"))
    return campaigns.set_status(session, campaign_id, status, now)


def pause(engine: Engine, campaign_id: int, *, actor: Actor, now: datetime) -> Campaign:
    return set_status(engine, campaign_id, CampaignStatus.PAUSED, actor=actor, now=now)


def resume(engine: Engine, campaign_id: int, *, actor: Actor, now: datetime) -> Campaign:
    return set_status(engine, campaign_id, CampaignStatus.RUNNING, actor=actor, now=now)


def stop(engine: Engine, campaign_id: int, *, actor: Actor, now: datetime) -> Campaign:
    return set_status(engine, campaign_id, CampaignStatus.STOPPED, actor=actor, now=now)


def report(engine: Engine, campaign_id: int) -> CampaignReport:
    with UnitOfWork(engine) as uow:
        return campaign_report(uow.session, campaign_id)


def recent(engine: Engine, limit: int = 20) -> list[str]:
    """One line per campaign, newest first (anyone may look)."""
    with UnitOfWork(engine) as uow:
        return [campaigns.describe(c) for c in campaigns.recent(uow.session, limit)]


def pool_counts(engine: Engine, pool: str) -> PoolCounts:
    """Left, issued, redeemed and the shop's side of a coupon pool (anyone may look)."""
    from bot import coupons

    with UnitOfWork(engine) as uow:
        return coupons.counts(uow.session, pool)
