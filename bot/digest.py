"""Campaign figures the team reads: reach, completion, ratings, per market.

Computed with SQL aggregates, so a digest over 100,000 answers does not load them.
Rendering lives elsewhere (terminal in bot.cli, Block Kit in adapters.slack).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.flows import Flow, QuestionType
from bot.models import Answer, Campaign, Conversation, ConversationState, Coupon

REACHED = (
    ConversationState.ACTIVE,
    ConversationState.COMPLETED,
    ConversationState.EXPIRED,
    ConversationState.OPTED_OUT,
)


@dataclass
class Figures:
    planned: int = 0
    skipped: int = 0
    sent: int = 0
    started: int = 0
    completed: int = 0
    opted_out: int = 0
    ratings: Counter[int] = field(default_factory=Counter)
    nps_scores: Counter[int] = field(default_factory=Counter)

    @property
    def response_rate(self) -> float:
        return self.started / self.sent if self.sent else 0.0

    @property
    def completion_rate(self) -> float:
        return self.completed / self.sent if self.sent else 0.0

    @property
    def average_rating(self) -> float | None:
        n = sum(self.ratings.values())
        return sum(k * v for k, v in self.ratings.items()) / n if n else None

    @property
    def csat(self) -> float | None:
        """Share of 4 and 5 ratings: the usual customer-satisfaction score."""
        n = sum(self.ratings.values())
        return (self.ratings[4] + self.ratings[5]) / n if n else None

    @property
    def nps(self) -> float | None:
        n = sum(self.nps_scores.values())
        if not n:
            return None
        promoters = sum(v for k, v in self.nps_scores.items() if k >= 9)
        detractors = sum(v for k, v in self.nps_scores.items() if k <= 6)
        return 100 * (promoters - detractors) / n


@dataclass
class Digest:
    campaign: Campaign
    total: Figures
    markets: dict[str, Figures]
    categories: Counter[str]
    coupons_issued: int
    coupon_shortfall: int
    choices: dict[str, Counter[str]]


def build(session: Session, campaign: Campaign, flow: Flow | None) -> Digest:
    markets: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    by_state = session.execute(
        select(
            Conversation.market,
            Conversation.state,
            func.count(),
            func.count(Conversation.started_at),
        )
        .where(Conversation.campaign_id == campaign.id)
        .group_by(Conversation.market, Conversation.state)
    ).all()
    for market, state, count, started in by_state:
        for figures in (markets[market or "??"], total):
            if state == ConversationState.PLANNED:
                figures.planned += count
            elif state in (ConversationState.SKIPPED, ConversationState.FAILED):
                figures.skipped += count
            if state in REACHED:
                figures.sent += count
                figures.started += started
            if state == ConversationState.COMPLETED:
                figures.completed += count
            if state == ConversationState.OPTED_OUT:
                figures.opted_out += count

    rating_ids = _question_ids(flow, QuestionType.RATING)
    nps_ids = _question_ids(flow, QuestionType.NPS)
    choice_ids = _question_ids(flow, QuestionType.SINGLE) + _question_ids(flow, QuestionType.MULTI)
    scored = session.execute(
        select(Conversation.market, Answer.question_id, Answer.value, func.count())
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(
            Conversation.campaign_id == campaign.id,
            col(Answer.value).is_not(None),
            col(Answer.question_id).in_(rating_ids + nps_ids + choice_ids),
        )
        .group_by(Conversation.market, Answer.question_id, Answer.value)
    ).all()
    choices: dict[str, Counter[str]] = defaultdict(Counter)
    for market, question_id, value, count in scored:
        if question_id in choice_ids:
            for part in str(value).split(","):
                choices[question_id][part] += count
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        target = "ratings" if question_id in rating_ids else "nps_scores"
        for figures in (markets[market or "??"], total):
            getattr(figures, target)[number] += count

    categories = Counter(
        dict(
            session.execute(
                select(Answer.category, func.count())
                .join(Conversation, col(Conversation.id) == Answer.conversation_id)
                .where(Conversation.campaign_id == campaign.id, col(Answer.category).is_not(None))
                .group_by(Answer.category)
            ).all()
        )
    )
    issued = session.exec(
        select(func.count())
        .select_from(Coupon)
        .join(Conversation, col(Conversation.id) == Coupon.conversation_id)
        .where(Conversation.campaign_id == campaign.id)
    ).one()
    return Digest(
        campaign,
        total,
        dict(sorted(markets.items())),
        categories,
        issued,
        campaign.coupon_shortfall,
        dict(choices),
    )


def _question_ids(flow: Flow | None, kind: QuestionType) -> list[str]:
    return [q.id for q in flow.questions if q.type == kind] if flow else []


def chart(digest: Digest, path: Path) -> Path:
    """A PNG the team can read at a glance: rating distribution and completion per market."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    markets = [m for m, f in digest.markets.items() if f.sent]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    colours = ["#d7301f", "#fc8d59", "#fdcc8a", "#91cf60", "#1a9850"]
    bottoms = [0.0] * len(markets)
    for star in range(1, 6):
        shares = []
        for m in markets:
            ratings = digest.markets[m].ratings
            n = sum(ratings.values())
            shares.append(100 * ratings[star] / n if n else 0.0)
        left.bar(markets, shares, bottom=bottoms, color=colours[star - 1], label=f"{star}★")
        bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]
    left.set_title("Ratings by market (% of answers)")
    left.set_ylim(0, 100)
    left.legend(ncols=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    sent = [digest.markets[m].sent for m in markets]
    started = [digest.markets[m].started for m in markets]
    completed = [digest.markets[m].completed for m in markets]
    x = range(len(markets))
    right.bar([i - 0.27 for i in x], sent, width=0.27, label="sent", color="#9ecae1")
    right.bar(list(x), started, width=0.27, label="answered", color="#4292c6")
    right.bar([i + 0.27 for i in x], completed, width=0.27, label="completed", color="#08519c")
    right.set_xticks(list(x), markets)
    right.set_title("Reach by market")
    right.legend(fontsize=8)
    fig.suptitle(
        f"Campaign {digest.campaign.id} · {digest.campaign.show} · "
        f"{digest.total.completed}/{digest.total.sent} completed"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
