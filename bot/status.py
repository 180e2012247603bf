"""`campaign status`: where every conversation and message of a campaign stands.

Per market: how many were planned, how many still wait for their window (and the local
time of the next send), how far the intros got (sent, delivered, read), how many
started, completed, expired, failed (with reasons below) or opted out. Everything comes
from a handful of grouped queries, so a 100,000-recipient campaign reports at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from rich import box
from rich.console import Group
from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot import campaigns
from bot.clock import utc
from bot.models import Campaign, Contact, Conversation, ConversationState, Outbox, OutboxStatus
from bot.windows import contact_zone, zone

#: Outbox statuses that mean the provider accepted the message, and how far it got.
_ACCEPTED = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
_DELIVERED = (OutboxStatus.DELIVERED, OutboxStatus.READ)


@dataclass
class MarketStatus:
    market: str
    planned: int = 0  # everyone we mean to survey (not skipped)
    scheduled: int = 0  # still waiting for their send time
    next_send: datetime | None = None
    timezone: str | None = None
    sent: int = 0  # intros the provider accepted
    delivered: int = 0
    read: int = 0
    started: int = 0  # answered at least once
    completed: int = 0
    expired: int = 0
    failed: int = 0
    opted_out: int = 0
    skipped: int = 0

    @property
    def next_send_local(self) -> str:
        if self.next_send is None:
            return "-"
        return self.next_send.astimezone(zone(self.timezone)).strftime("%a %d %b %H:%M %Z")


@dataclass
class CampaignReport:
    campaign: Campaign
    markets: dict[str, MarketStatus] = field(default_factory=dict)
    #: market -> conversation state -> count.
    states: dict[str, Counter[str]] = field(default_factory=dict)
    #: market -> outbox status -> count, over every message of the campaign.
    deliveries: dict[str, Counter[str]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def render(self) -> Group:
        """Fits a 100-column terminal: short headers, no inner padding, and the next
        local send times in a table of their own."""
        c = self.campaign
        headers: tuple[str, ...] = ("market", "planned", "waiting", "sent", "deliv.", "read")
        headers += ("started", "done", "expired", "failed", "opt-out", "skipped")
        table = Table(
            *headers,
            title=f"Campaign {c.id} · {c.show} · {c.status}" + (" (test)" if c.is_test else ""),
            box=box.SIMPLE_HEAD,  # one space between columns
            padding=0,
        )
        upcoming = Table("market", "waiting", "next send (local)", title="Next sends")
        for name, m in sorted(self.markets.items()):
            table.add_row(
                name,
                *(str(n) for n in (m.planned, m.scheduled)),
                *(str(n) for n in (m.sent, m.delivered, m.read, m.started, m.completed)),
                *(str(n) for n in (m.expired, m.failed, m.opted_out, m.skipped)),
            )
            if m.scheduled:
                upcoming.add_row(name, str(m.scheduled), m.next_send_local)
        messages = sorted({s for counts in self.deliveries.values() for s in counts})
        outbox = Table("market", *messages, title="All messages")
        for market, counts in sorted(self.deliveries.items()):
            outbox.add_row(market, *(str(counts[s]) for s in messages))
        notes = Table("why", "count", title="Skipped and failed")
        for reason, n in (self.skipped + self.failures).most_common():
            notes.add_row(reason, str(n))
        spent = f"{c.analysis_prompt_tokens:,} prompt + {c.analysis_completion_tokens:,} completion"
        return Group(table, upcoming, outbox, notes, f"analysis tokens: {spent}")


def campaign_report(session: Session, campaign_id: int) -> CampaignReport:
    campaign = campaigns.get(session, campaign_id)
    report = CampaignReport(campaign)
    markets: dict[str, MarketStatus] = {}

    def market(name: str | None) -> MarketStatus:
        key = name or "??"
        return markets.setdefault(key, MarketStatus(key))

    states: dict[str, Counter[str]] = defaultdict(Counter)
    for (name, state), n in campaigns.status_counts(session, campaign_id).items():
        states[name][state] = n
        m = market(name)
        if state == ConversationState.SKIPPED:
            m.skipped += n
            continue
        m.planned += n
        m.scheduled += n if state == ConversationState.PLANNED else 0
        m.completed += n if state == ConversationState.COMPLETED else 0
        m.expired += n if state == ConversationState.EXPIRED else 0
        m.failed += n if state == ConversationState.FAILED else 0
        m.opted_out += n if state == ConversationState.OPTED_OUT else 0
    report.states = dict(states)

    for name, n in session.execute(
        select(Conversation.market, func.count())
        .where(Conversation.campaign_id == campaign_id, col(Conversation.started_at).is_not(None))
        .group_by(Conversation.market)
    ).all():
        market(name).started = n

    # How far each intro got: the first message is what "sent" and "read" mean here.
    for name, status, n in session.execute(
        select(Conversation.market, Outbox.status, func.count())
        .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
        .where(Conversation.campaign_id == campaign_id, col(Outbox.kind).like("intro:%"))
        .group_by(Conversation.market, Outbox.status)
    ).all():
        m = market(name)
        m.sent += n if status in _ACCEPTED else 0
        m.delivered += n if status in _DELIVERED else 0
        m.read += n if status == OutboxStatus.READ else 0

    for name, first in session.execute(
        select(Conversation.market, func.min(Conversation.send_at))
        .where(
            Conversation.campaign_id == campaign_id,
            Conversation.state == ConversationState.PLANNED,
        )
        .group_by(Conversation.market)
    ).all():
        if first is None:
            continue
        m = market(name)
        m.next_send = utc(first)
        m.timezone = _zone_of_next(session, campaign_id, name, first)
    report.markets = markets

    deliveries: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status, n in session.execute(
        select(Conversation.market, Outbox.status, func.count())
        .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
        .where(Conversation.campaign_id == campaign_id)
        .group_by(Conversation.market, Outbox.status)
    ).all():
        deliveries[name or "??"][status] = n
    report.deliveries = dict(deliveries)

    for code, error, n in session.execute(
        select(Outbox.error_code, Outbox.last_error, func.count())
        .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
        .where(Conversation.campaign_id == campaign_id, Outbox.status == OutboxStatus.FAILED)
        .group_by(col(Outbox.error_code), col(Outbox.last_error))
    ).all():
        report.failures[f"failed: {code or ''} {(error or '')[:80]}".strip()] += n
    for reason, n in session.execute(
        select(Conversation.skip_reason, func.count())
        .where(Conversation.campaign_id == campaign_id, col(Conversation.skip_reason).is_not(None))
        .group_by(Conversation.skip_reason)
    ).all():
        report.skipped[f"skipped: {reason}"] += n
    return report


def _zone_of_next(
    session: Session, campaign_id: int, market: str | None, send_at: datetime
) -> str | None:
    """The time zone of the contact who is next in a market, to show that time locally."""
    contact = session.execute(
        select(Contact.timezone, Contact.country, Contact.address)
        .join(Conversation, col(Conversation.contact_id) == Contact.id)
        .where(
            Conversation.campaign_id == campaign_id,
            Conversation.market == market,
            Conversation.state == ConversationState.PLANNED,
            Conversation.send_at == send_at,
        )
        .limit(1)
    ).first()
    return contact_zone(*contact) if contact else None
