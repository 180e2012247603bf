"""A campaign's plan in Slack: what will happen, shown before anything is sent, with
Start / Cancel buttons; Start creates it exactly as planned (bot.campaigns.start)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from adapters.slack.blocks import (
    Block,
    actions,
    button,
    context,
    escape,
    header,
    paragraphs,
    section,
)
from adapters.slack.labels import TeamLanguage
from bot import campaigns
from bot.db import session_scope
from bot.errors import NotFound, PostliveError
from bot.flows import Flow
from bot.models import AudienceMember, Campaign
from bot.windows import zone

START = "plan_start"
CANCEL = "plan_cancel"


class UsageError(PostliveError):
    """A command the team typed that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class PlanSpec:
    """What the team asked for; rides in the Start button's value until it is clicked."""

    flow: str
    audience: str
    pool: str | None = None
    at: str | None = None  # ISO instant; None: start when Start is clicked
    show: str = ""
    nonce: str = ""

    def value(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v}
        data["nonce"] = self.nonce or uuid.uuid4().hex
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text) > 1900:  # Slack's button value limit is 2,000: the title gives way
            data["show"] = str(data.get("show", ""))[:200]
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return text

    @classmethod
    def from_value(cls, value: str) -> PlanSpec:
        data = json.loads(value)
        return cls(
            flow=str(data["flow"]),
            audience=str(data["audience"]),
            pool=data.get("pool"),
            at=data.get("at"),
            show=str(data.get("show", "")),
            nonce=str(data.get("nonce", "")),
        )

    def starts_at(self, now: datetime) -> datetime:
        return datetime.fromisoformat(self.at) if self.at else now


def parse_time(text: str, team_timezone: str) -> str:
    """ISO time as typed by the team; without an offset it is read in TEAM_TIMEZONE."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"`--at {text}` is not a time: write it like 2026-11-25T19:00 (TEAM_TIMEZONE) "
            "or 2026-11-25T19:00+01:00"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(team_timezone))
    return value.astimezone(UTC).isoformat()


def check(flows: Mapping[str, Flow], spec: PlanSpec) -> Flow:
    if spec.flow not in flows:
        known = ", ".join(sorted(flows)) or "none"
        raise UsageError(f"no survey flow `{spec.flow}` (known: {known})")
    return flows[spec.flow]


def make_plan(
    engine: Engine, flows: Mapping[str, Flow], spec: PlanSpec, now: datetime
) -> campaigns.Plan:
    flow = check(flows, spec)
    with session_scope(engine) as session:
        if not session.exec(
            select(AudienceMember.tag).where(AudienceMember.tag == spec.audience)
        ).first():
            raise UsageError(
                f"no audience tagged `{spec.audience}`: import one with "
                f"`postlive audience import FILE.csv --tag {spec.audience}`"
            )
        return campaigns.plan(
            session,
            flow,
            spec.audience,
            spec.starts_at(now),
            spec.pool,
        )


def start(
    engine: Engine,
    flows: Mapping[str, Flow],
    spec: PlanSpec,
    now: datetime,
    user: str,
    rates: Mapping[str, float] | None = None,
) -> Campaign:
    flow = check(flows, spec)
    with session_scope(engine) as session:
        try:
            return campaigns.start(
                session,
                flow,
                spec.audience,
                spec.starts_at(now),
                now,
                coupon_pool=spec.pool,
                show=spec.show,
                created_by=f"slack:{user}"[:64],
                rates=rates,
            )
        except NotFound as exc:
            raise UsageError(str(exc)) from exc


def plan_blocks(plan: campaigns.Plan, spec: PlanSpec, team: TeamLanguage) -> list[Block]:
    title = f"Plan: {plan.flow.id} → audience {plan.audience_tag}"
    if spec.show:
        title += f" · {spec.show}"
    when = (
        "when you click Start" if spec.at is None else plan.starts_at.strftime("%Y-%m-%d %H:%M UTC")
    )
    blocks: list[Block] = [header(title), context(f"Starts {when}; each market at its local hour.")]
    lines = [
        f"{team.market(m.market)} · {m.channel} · *{team.number(m.recipients)}* recipients · "
        f"first send {m.first_send_local}"
        for m in sorted(plan.markets.values(), key=lambda m: (m.market, m.channel))
    ]
    blocks.extend(paragraphs(lines or ["_Nobody to survey._"]))
    if plan.coupon_pool:
        short = plan.coupons_short
        mark = "⚠️" if short else "✅"
        blocks.append(
            section(
                f"{mark} Coupons: *{team.number(plan.coupons_free)}* free in "
                f"`{escape(plan.coupon_pool)}`, {team.number(plan.recipients)} needed if everyone "
                f"completes" + (f" — *{team.number(short)} short*" if short else "")
            )
        )
    skipped = [f"• {team.number(n)} skipped: {escape(r)}" for r, n in plan.skipped.most_common()]
    if skipped:
        blocks.extend(paragraphs(["*Skipped*", *skipped]))
    warnings = plan.warnings()
    if warnings:
        blocks.append(section("\n".join(f"⚠️ {escape(w)}" for w in warnings)))
    if plan.recipients:
        blocks.append(
            actions(
                button("Start", START, spec.value(), style="primary"),
                button("Cancel", CANCEL, "cancel"),
                block_id="plan",
            )
        )
    return blocks
