"""`campaign status`: where every conversation and message of a campaign stands."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot import campaigns
from bot.models import Campaign, Conversation, Outbox


@dataclass
class CampaignReport:
    campaign: Campaign
    states: dict[str, Counter[str]] = field(default_factory=dict)
    deliveries: dict[str, Counter[str]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def render(self) -> Group:
        c = self.campaign
        states = sorted({s for counts in self.states.values() for s in counts})
        table = Table("market", *states, title=f"Campaign {c.id} · {c.show} · {c.status}")
        for market, counts in sorted(self.states.items()):
            table.add_row(market, *(str(counts[s]) for s in states))
        messages = sorted({s for counts in self.deliveries.values() for s in counts})
        outbox = Table("market", *messages, title="Messages")
        for market, counts in sorted(self.deliveries.items()):
            outbox.add_row(market, *(str(counts[s]) for s in messages))
        notes = Table("why", "count", title="Skipped and failed")
        for reason, n in (self.skipped + self.failures).most_common():
            notes.add_row(reason, str(n))
        return Group(table, outbox, notes)


def campaign_report(session: Session, campaign_id: int) -> CampaignReport:
    campaign = campaigns.get(session, campaign_id)
    report = CampaignReport(campaign)
    states: dict[str, Counter[str]] = defaultdict(Counter)
    for (market, state), n in campaigns.status_counts(session, campaign_id).items():
        states[market][state] = n
    report.states = dict(states)
    deliveries: dict[str, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(Conversation.market, Outbox.status, func.count())
        .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
        .where(Conversation.campaign_id == campaign_id)
        .group_by(Conversation.market, Outbox.status)
    ).all()
    for market, status, n in rows:
        deliveries[market or "??"][status] = n
    report.deliveries = dict(deliveries)
    failures = session.execute(
        select(Outbox.error_code, Outbox.last_error, func.count())
        .join(Conversation, col(Conversation.id) == Outbox.conversation_id)
        .where(Conversation.campaign_id == campaign_id, Outbox.status == "failed")
        .group_by(Outbox.error_code, Outbox.last_error)
    ).all()
    for code, error, n in failures:
        report.failures[f"failed: {code or ''} {(error or '')[:80]}".strip()] += n
    skipped = session.execute(
        select(Conversation.skip_reason, func.count())
        .where(Conversation.campaign_id == campaign_id, col(Conversation.skip_reason).is_not(None))
        .group_by(Conversation.skip_reason)
    ).all()
    for reason, n in skipped:
        report.skipped[f"skipped: {reason}"] += n
    return report
