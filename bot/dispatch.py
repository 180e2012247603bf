"""Timed conversation events: start when a contact's send time comes, remind once,
expire, and close campaigns with nobody left to hear from.

Each pass works in small batches, one transaction per batch, and locks the rows it
steps, so two workers never start the same conversation (and the outbox idempotency key
would absorb it if they did).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot import engine as conversation_engine
from bot.clock import Clock
from bot.db import session_scope, supports_skip_locked
from bot.effects import apply_step, convo_of
from bot.engine import Event, Expire, Remind, Start
from bot.flows import Flow
from bot.models import Campaign, CampaignStatus, Contact, Conversation, ConversationState

BATCH = 200


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Clock,
        shop: str = "our shop",
        on_campaign_end: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.shop = shop
        self.on_campaign_end = on_campaign_end

    def run_once(self) -> dict[str, int]:
        return {
            "started": self.start_due(),
            "reminded": self.remind_due(),
            "expired": self.expire_due(),
            "finished": self.finish_campaigns(),
        }

    def start_due(self, limit: int = 100_000) -> int:
        now = self.clock.now()
        return self._pass(
            lambda: (
                (Conversation.state == ConversationState.PLANNED)
                & (col(Conversation.send_at) <= now)
            ),
            lambda campaign: Start(show=campaign.show),
            limit,
        )

    def remind_due(self, limit: int = 100_000) -> int:
        """One reminder to those who have not finished, `reminder_after_hours` after the intro."""
        total = 0
        for flow in self.flows.values():
            cutoff = self.clock.now() - timedelta(hours=flow.reminder_after_hours)
            total += self._pass(
                lambda cutoff=cutoff: (
                    (Conversation.state == ConversationState.ACTIVE)
                    & col(Conversation.reminded_at).is_(None)
                    & (col(Conversation.sent_at) <= cutoff)
                    & (col(Conversation.last_activity_at) <= cutoff)
                ),
                lambda campaign: Remind(show=campaign.show),
                limit,
                flow_id=flow.id,
            )
        return total

    def expire_due(self, limit: int = 100_000) -> int:
        total = 0
        for flow in self.flows.values():
            cutoff = self.clock.now() - timedelta(hours=flow.expire_after_hours)
            total += self._pass(
                lambda cutoff=cutoff: (
                    (Conversation.state == ConversationState.ACTIVE)
                    & (col(Conversation.last_activity_at) <= cutoff)
                ),
                lambda _campaign: Expire(),
                limit,
                flow_id=flow.id,
            )
        return total

    def finish_campaigns(self) -> int:
        now = self.clock.now()
        ended: list[int] = []
        with session_scope(self.engine) as session:
            running = session.exec(
                select(Campaign).where(Campaign.status == CampaignStatus.RUNNING)
            ).all()
            for campaign in running:
                open_count = session.exec(
                    select(func.count())
                    .select_from(Conversation)
                    .where(
                        Conversation.campaign_id == campaign.id,
                        col(Conversation.state).in_(
                            [ConversationState.PLANNED, ConversationState.ACTIVE]
                        ),
                    )
                ).one()
                if open_count == 0:
                    campaign.status = CampaignStatus.COMPLETED
                    campaign.ended_at = now
                    session.add(campaign)
                    ended.append(campaign.id)  # type: ignore[arg-type]
        for campaign_id in ended:
            if self.on_campaign_end:
                self.on_campaign_end(campaign_id)
        return len(ended)

    # -- the loop shared by every pass ---------------------------------------------------

    def _pass(
        self,
        where: Callable[[], object],
        event_for: Callable[[Campaign], Event],
        limit: int,
        flow_id: str | None = None,
    ) -> int:
        done = 0
        while done < limit:
            with session_scope(self.engine) as session:
                batch = self._claim(session, where(), min(BATCH, limit - done), flow_id)
                for conversation, campaign, contact in batch:
                    flow = self.flows.get(campaign.flow_id)
                    if flow is None:
                        continue
                    result = conversation_engine.step(
                        flow, convo_of(conversation), event_for(campaign), shop=self.shop
                    )
                    apply_step(
                        session,
                        flow,
                        conversation,
                        contact,
                        result,
                        self.clock.now(),
                        in_reply=False,
                    )
            done += len(batch)
            if len(batch) < BATCH:
                break
        return done

    def _claim(
        self, session: Session, where: object, limit: int, flow_id: str | None
    ) -> list[tuple[Conversation, Campaign, Contact]]:
        query = (
            select(Conversation, Campaign, Contact)
            .join(Campaign, col(Campaign.id) == Conversation.campaign_id)
            .join(Contact, col(Contact.id) == Conversation.contact_id)
            .where(where, Campaign.status == CampaignStatus.RUNNING)  # type: ignore[arg-type]
            .order_by(col(Conversation.send_at), col(Conversation.id))
            .limit(limit)
        )
        if flow_id is not None:
            query = query.where(Campaign.flow_id == flow_id)
        if supports_skip_locked(self.engine):
            query = query.with_for_update(of=Conversation, skip_locked=True)  # type: ignore[arg-type]
        return [tuple(row) for row in session.exec(query).all()]  # type: ignore[misc]


def due_count(session: Session, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.state == ConversationState.PLANNED, col(Conversation.send_at) <= now)
    ).one()
