"""Timed conversation events: start when a contact's send time comes, remind once,
expire, and close campaigns with nobody left to hear from.

`Conversation.send_at` is when the dispatcher next looks at a conversation: the planned
intro while it is `planned` (spread over the market's window by the campaign plan), the
reminder once it is `active`. The clock decides in the customer's own time zone: an
intro goes out only inside the market's window (a campaign paused through the evening,
or a worker that was down, waits for the next evening instead of texting at 03:00), and
a reminder never in quiet hours.

Each pass works in small batches, one transaction per batch, and locks the rows it
steps, so two workers never start the same conversation (and the outbox idempotency key
would absorb it if they did).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from bot import engine as conversation_engine
from bot.clock import Clock, utc
from bot.db import session_scope, supports_skip_locked
from bot.effects import apply_step, convo_of
from bot.engine import Event, Expire, Remind, Start
from bot.flows import Flow, Window
from bot.models import Campaign, CampaignStatus, Contact, Conversation, ConversationState
from bot.windows import (
    DEFAULT_QUIET_HOURS,
    after_quiet,
    contact_zone,
    in_window,
    is_quiet,
    next_send_time,
    reminder_time,
)

log = logging.getLogger(__name__)

BATCH = 200
#: WhatsApp lets a business answer freely for 24 hours after the customer's last message.
SERVICE_WINDOW = timedelta(hours=24)

Row = tuple[Conversation, Campaign, Contact]
Now = datetime
#: What a pass does with one row: an engine event to step it with, or None (the decision
#: function may have moved its `send_at` instead).
Decide = Callable[[Flow, Campaign, Conversation, Contact, datetime], Event | None]


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Clock,
        shop: str = "our shop",
        on_campaign_end: Callable[[int], None] | None = None,
        *,
        quiet_hours: Window = DEFAULT_QUIET_HOURS,
        lookahead: timedelta = timedelta(seconds=30),
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.shop = shop
        self.on_campaign_end = on_campaign_end
        self.quiet_hours = quiet_hours
        #: Intros due this soon are started now (inside an open window), so a pass every
        #: 20 s keeps the outbox fed at the pace the plan spread them at.
        self.lookahead = lookahead

    def run_once(self) -> dict[str, int]:
        return {
            "started": self.start_due(),
            "reminded": self.remind_due(),
            "expired": self.expire_due(),
            "finished": self.finish_campaigns(),
        }

    # -- the passes ------------------------------------------------------------------

    def start_due(self, limit: int = 100_000) -> int:
        now = self.clock.now()
        soon = now + self.lookahead

        def decide(
            flow: Flow,
            campaign: Campaign,
            conversation: Conversation,
            contact: Contact,
            at: datetime,
        ) -> Event | None:
            window = flow.market(conversation.market).window
            tz = self._zone(contact)
            # The operator may override the windows for one campaign (sent now on purpose).
            if campaign.ignore_windows or in_window(at, tz, window):
                return Start(show=campaign.show)
            if utc(conversation.send_at) <= at:  # type: ignore[arg-type]
                # Due but the window is closed (paused campaign, worker down): next window.
                conversation.send_at = next_send_time(at, tz, window)
            return None

        return self._pass(
            (col(Conversation.state) == ConversationState.PLANNED)
            & (col(Conversation.send_at) <= soon),
            decide,
            limit,
        )

    def remind_due(self, limit: int = 100_000) -> int:
        """One reminder to those who have not finished, `reminder_after_hours` after their
        last activity, outside quiet hours, inside WhatsApp's 24-hour window if it can."""
        now = self.clock.now()

        def decide(
            flow: Flow,
            campaign: Campaign,
            conversation: Conversation,
            contact: Contact,
            at: datetime,
        ) -> Event | None:
            due = self._reminder_time(flow, conversation, contact)
            if due <= at and not is_quiet(at, self._zone(contact), self.quiet_hours):
                return Remind(show=campaign.show)
            # Not yet (they answered since), or quiet hours now: look again then.
            conversation.send_at = max(due, after_quiet(at, self._zone(contact), self.quiet_hours))
            return None

        return self._pass(
            (col(Conversation.state) == ConversationState.ACTIVE)
            & col(Conversation.reminded_at).is_(None)
            & or_(col(Conversation.send_at) <= now, col(Conversation.send_at).is_(None)),
            decide,
            limit,
        )

    def expire_due(self, limit: int = 100_000) -> int:
        total = 0
        for flow in self.flows.values():
            cutoff = self.clock.now() - timedelta(hours=flow.expire_after_hours)
            total += self._pass(
                (col(Conversation.state) == ConversationState.ACTIVE)
                & (col(Conversation.last_activity_at) <= cutoff),
                lambda *_: Expire(),
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
            log.info("campaign %s completed", campaign_id)
            if self.on_campaign_end:
                try:
                    self.on_campaign_end(campaign_id)
                except Exception:  # noqa: BLE001 - the final digest failing must not stop us
                    log.exception("on_campaign_end failed for campaign %s", campaign_id)
        return len(ended)

    # -- the loop shared by every pass ---------------------------------------------------

    def _pass(self, where: object, decide: Decide, limit: int, flow_id: str | None = None) -> int:
        """Step every matching conversation `decide` has an event for; returns how many.

        Pages by id: rows `decide` leaves alone must not be read again in this pass.
        """
        done, last_id = 0, 0
        while True:
            with session_scope(self.engine) as session:
                batch = self._claim(session, where, last_id, flow_id)
                now = self.clock.now()
                for conversation, campaign, contact in batch:
                    flow = self.flows.get(campaign.flow_id)
                    if flow is None or done >= limit:
                        continue
                    event = decide(flow, campaign, conversation, contact, now)
                    if event is None:
                        session.add(conversation)
                        continue
                    result = conversation_engine.step(
                        flow, convo_of(conversation), event, shop=self.shop
                    )
                    apply_step(session, flow, conversation, contact, result, now, in_reply=False)
                    self._schedule_next(flow, conversation, contact)
                    done += 1
            if len(batch) < BATCH or done >= limit:
                return done
            last_id = batch[-1][0].id  # type: ignore[assignment]

    def _schedule_next(self, flow: Flow, conversation: Conversation, contact: Contact) -> None:
        """After a step, when the dispatcher should look at this conversation again."""
        if conversation.state != ConversationState.ACTIVE:
            return  # closed: send_at stays as the record of when it was planned
        if conversation.reminded_at is None:
            conversation.send_at = self._reminder_time(flow, conversation, contact)
        else:
            conversation.send_at = None  # reminded: nothing more goes out unprompted

    def _reminder_time(self, flow: Flow, conversation: Conversation, contact: Contact) -> datetime:
        last = utc(conversation.last_activity_at or conversation.sent_at or self.clock.now())
        service_closes = None
        if contact.last_inbound_at is not None:
            service_closes = utc(contact.last_inbound_at) + SERVICE_WINDOW
        return reminder_time(
            last,
            timedelta(hours=flow.reminder_after_hours),
            self._zone(contact),
            quiet=self.quiet_hours,
            service_window_closes=service_closes,
        )

    @staticmethod
    def _zone(contact: Contact) -> str | None:
        return contact_zone(contact.timezone, contact.country, contact.address)

    def _claim(
        self, session: Session, where: object, after_id: int, flow_id: str | None
    ) -> list[Row]:
        query = (
            select(Conversation, Campaign, Contact)
            .join(Campaign, col(Campaign.id) == Conversation.campaign_id)
            .join(Contact, col(Contact.id) == Conversation.contact_id)
            .where(
                where,  # type: ignore[arg-type]
                Campaign.status == CampaignStatus.RUNNING,
                col(Conversation.id) > after_id,
            )
            .order_by(col(Conversation.id))
            .limit(BATCH)
        )
        if flow_id is not None:
            query = query.where(Campaign.flow_id == flow_id)
        if supports_skip_locked(self.engine):
            query = query.with_for_update(of=Conversation, skip_locked=True)
        return [(row[0], row[1], row[2]) for row in session.exec(query).all()]


def due_count(session: Session, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.state == ConversationState.PLANNED, col(Conversation.send_at) <= now)
    ).one()
