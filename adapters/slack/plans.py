"""A campaign's plan in Slack: what will happen, shown before anything is sent, with
Start / Cancel buttons; Start creates it exactly as planned, once per plan nonce
(bot.services.campaign_control.start)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

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
from bot.flows import Flow
from bot.models import Campaign
from bot.services import campaign_control
from bot.services.actors import Actor
from bot.services.campaign_control import UsageError
from bot.windows import zone

START = "plan_start"
CANCEL = "plan_cancel"

__all__ = ["UsageError", "PlanSpec", "make_plan", "start", "plan_blocks", "parse_time"]


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


def make_plan(
    engine: Engine, flows: Mapping[str, Flow], spec: PlanSpec, now: datetime
) -> campaigns.Plan:
    return campaign_control.plan(
        engine, flows, spec.flow, spec.audience, spec.starts_at(now), spec.pool
    )


def start(
    engine: Engine,
    flows: Mapping[str, Flow],
    spec: PlanSpec,
    now: datetime,
    actor: Actor,
    rates: Mapping[str, float] | None = None,
) -> Campaign:
    """Start the plan behind a Start button: once per plan nonce, whoever clicks where."""
    return campaign_control.start(
        engine,
        flows,
        spec.flow,
        spec.audience,
        pool=spec.pool,
        at=spec.starts_at(now),
        now=now,
        actor=actor,
        nonce=spec.nonce or None,
        show=spec.show,
        rates=rates,
    )


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
