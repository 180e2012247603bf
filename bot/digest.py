"""Campaign figures the team reads: reach, completion, ratings, per market, and what the
customers said (categories, themes with quotes, hot keywords, complaints to act on).

Computed with SQL aggregates, so a digest over 100,000 answers does not load them; only a
handful of quotes and the free-text keyword lists are read row by row. Answers a human
has still to review are left out of category and theme figures and counted apart, so a
machine's doubtful guess never reaches the team as a fact. Rendering lives elsewhere
(terminal in bot.report, Block Kit in adapters.slack).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, or_, true
from sqlmodel import Session, col, select

from bot.alert_states import AWAITING_ACTION
from bot.clock import utc
from bot.flows import Flow, QuestionType
from bot.models import (
    Answer,
    AnswerTheme,
    Campaign,
    Conversation,
    ConversationState,
    Coupon,
    Outbox,
    OutboxStatus,
    Theme,
)
from bot.radar.store import AskedQuestion, asked_in
from bot.redemptions import Redemptions
from bot.redemptions import for_campaign as redemptions_of

REACHED = (
    ConversationState.ACTIVE,
    ConversationState.COMPLETED,
    ConversationState.EXPIRED,
    ConversationState.OPTED_OUT,
)
#: Outbox states that mean the provider took the message: only these count as sent.
ACCEPTED = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
#: The categories the analysis assigns, in the order the team reads them.
CATEGORIES = ("product_question", "usage_experience", "suggestion", "complaint", "praise", "other")
#: Alert states that still wait for someone on the team.
PENDING = "pending"


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
    #: Reviewed or unreviewed-but-confident answers per category (pending ones excluded).
    categories: Counter[str] = field(default_factory=Counter)

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


@dataclass(frozen=True)
class Quote:
    """One customer's words: the original always, the translation when there is one."""

    answer_id: int
    original: str
    translation: str | None
    language: str | None
    market: str
    category: str | None = None
    #: The answer was analysed without a translator (offline): the original is all we have.
    untranslated: bool = False


@dataclass
class ThemeSummary:
    id: int
    label: str
    category: str | None
    count: int
    adopted_at: datetime | None = None
    adopted_by: str | None = None
    loop_message: str | None = None
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Keyword:
    text: str
    count: int
    #: Mentions in the last 24 hours: what is heating up right now.
    recent: int = 0


@dataclass
class Digest:
    campaign: Campaign
    total: Figures
    markets: dict[str, Figures]
    categories: Counter[str]
    coupons_issued: int
    coupon_shortfall: int
    choices: dict[str, Counter[str]]
    themes: list[ThemeSummary] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)
    #: Urgent complaints whose alert nobody has closed yet (open or acknowledged).
    complaints_open: int = 0
    complaints: list[Quote] = field(default_factory=list)
    #: Answers a human must confirm before they count (category and themes left out).
    awaiting_review: int = 0
    text_answers: int = 0
    analysed: int = 0
    tokens_used: int = 0
    token_cap: int | None = None
    built_at: datetime | None = None
    #: Codes used at checkout per market, and the orders' revenue (bot.redemptions).
    redemptions: Redemptions | None = None
    #: Questions live viewers asked during the show (unanswered first), if it was heard.
    viewers_asked: list[AskedQuestion] = field(default_factory=list)

    @property
    def token_share(self) -> float | None:
        """Share of the campaign's analysis budget spent (1.0 = cap reached)."""
        return self.tokens_used / self.token_cap if self.token_cap else None


def build(
    session: Session,
    campaign: Campaign,
    flow: Flow | None,
    *,
    token_cap: int | None = None,
    now: datetime | None = None,
    top_themes: int = 8,
    quotes_per_theme: int = 2,
    top_keywords: int = 12,
) -> Digest:
    markets: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    by_state = session.execute(
        select(
            Conversation.market,
            Conversation.state,
            func.count(),
            func.count(col(Conversation.started_at)),
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
                figures.started += started
            if state == ConversationState.COMPLETED:
                figures.completed += count
            if state == ConversationState.OPTED_OUT:
                figures.opted_out += count

    # Sent means the provider accepted a message to them, not that one was queued: a
    # campaign with no channel configured has reached nobody, whatever its states say.
    accepted = session.execute(
        select(Conversation.market, func.count(func.distinct(Conversation.id)))
        .join(Outbox, col(Outbox.conversation_id) == Conversation.id)
        .where(Conversation.campaign_id == campaign.id, col(Outbox.status).in_(ACCEPTED))
        .group_by(Conversation.market)
    ).all()
    for market, count in accepted:
        markets[market or "??"].sent += count
        total.sent += count

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
        .group_by(col(Conversation.market), col(Answer.question_id), col(Answer.value))
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

    in_campaign = Conversation.campaign_id == campaign.id
    categorized = session.execute(
        select(Conversation.market, Answer.category, Answer.review_status, func.count())
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(in_campaign, col(Answer.category).is_not(None))
        .group_by(col(Conversation.market), col(Answer.category), col(Answer.review_status))
    ).all()
    categories: Counter[str] = Counter()
    awaiting_review = 0
    for market, category, review, count in categorized:
        if review == PENDING:
            awaiting_review += count
            continue
        categories[category] += count
        markets[market or "??"].categories[category] += count
    total.categories = categories

    text_answers, analysed = session.execute(
        select(func.count(), func.count(col(Answer.analyzed_at)))
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(in_campaign, Answer.question_type == QuestionType.TEXT)
        .where(col(Answer.raw_text).is_not(None))
    ).one()

    issued = session.exec(
        select(func.count())
        .select_from(Coupon)
        .join(Conversation, col(Conversation.id) == Coupon.conversation_id)
        .where(in_campaign)
    ).one()
    built_at = now or datetime.now().astimezone()
    complaints_open, complaints = _complaints(session, campaign)
    return Digest(
        campaign,
        total,
        dict(sorted(markets.items())),
        categories,
        issued,
        campaign.coupon_shortfall,
        dict(choices),
        themes=_themes(session, campaign, top_themes, quotes_per_theme),
        keywords=_keywords(session, campaign, built_at, top_keywords),
        complaints_open=complaints_open,
        complaints=complaints,
        awaiting_review=awaiting_review,
        text_answers=text_answers,
        analysed=analysed,
        tokens_used=campaign.analysis_prompt_tokens + campaign.analysis_completion_tokens,
        token_cap=token_cap,
        built_at=built_at,
        redemptions=redemptions_of(session, campaign.id),  # type: ignore[arg-type]
        viewers_asked=asked_in(session, (campaign.audience_tag, campaign.show)),
    )


def _question_ids(flow: Flow | None, kind: QuestionType) -> list[str]:
    return [q.id for q in flow.questions if q.type == kind] if flow else []


def _not_pending() -> Any:
    return or_(col(Answer.review_status).is_(None), col(Answer.review_status) != PENDING)


def _themes(session: Session, campaign: Campaign, top: int, per_theme: int) -> list[ThemeSummary]:
    """Themes by how many reviewed (or unreviewed, confident) answers raised them."""
    counted = func.count(col(AnswerTheme.answer_id))
    rows = session.execute(
        select(Theme, counted)
        .join(AnswerTheme, col(AnswerTheme.theme_id) == Theme.id)
        .join(Answer, col(Answer.id) == AnswerTheme.answer_id)
        .where(Theme.campaign_id == campaign.id, _not_pending())
        .group_by(col(Theme.id))
        .order_by(counted.desc(), col(Theme.id))
        .limit(top)
    ).all()
    summaries = []
    for theme, count in rows:
        assert theme.id is not None
        summary = ThemeSummary(
            theme.id,
            theme.label,
            theme.category,
            count,
            theme.adopted_at,
            theme.adopted_by,
            theme.loop_message,
        )
        summary.quotes = _theme_quotes(session, theme.id, per_theme)
        summaries.append(summary)
    return summaries


def _theme_quotes(session: Session, theme_id: int, limit: int) -> list[Quote]:
    # Translated, strongly felt answers say the most in one line; ties go to the oldest.
    rows = session.execute(
        select(Answer, Conversation.market)
        .join(AnswerTheme, col(AnswerTheme.answer_id) == Answer.id)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(AnswerTheme.theme_id == theme_id, _not_pending(), col(Answer.raw_text).is_not(None))
        .order_by(
            case((col(Answer.translation).is_(None), 1), else_=0),
            func.abs(func.coalesce(Answer.sentiment_score, 0)).desc(),
            col(Answer.id),
        )
        .limit(limit * 20)
    ).all()
    # Many customers say the same words: show different words, from different languages
    # first, so a theme said in five languages reads as such.
    chosen: list[tuple[Answer, str | None]] = []
    for prefer_new_language in (True, False):
        for answer, market in rows:
            if len(chosen) == limit:
                break
            texts = {(a.raw_text or "").strip().casefold() for a, _ in chosen}
            languages = {a.language for a, _ in chosen}
            if (answer.raw_text or "").strip().casefold() in texts:
                continue
            if prefer_new_language and answer.language in languages:
                continue
            chosen.append((answer, market))
    return [quote_of(answer, market) for answer, market in chosen]


def quote_of(answer: Answer, market: str | None) -> Quote:
    assert answer.id is not None
    translation = answer.translation
    if translation is not None and translation.strip() == (answer.raw_text or "").strip():
        translation = None  # already in the team's language: the original says it all
    offline = (answer.analyzer or "").startswith("offline")
    return Quote(
        answer.id,
        answer.raw_text or "",
        translation,
        answer.language,
        market or "??",
        answer.category,
        untranslated=translation is None and offline,
    )


def _keywords(session: Session, campaign: Campaign, now: datetime, top: int) -> list[Keyword]:
    """The analysis's per-answer themes counted as keywords; recent ones flagged hot.

    Counted inside the database (json_each / json_array_elements_text) where it can,
    so 100,000 answers are not decoded one by one in Python.
    """
    since = now - timedelta(hours=24)
    where = (
        Conversation.campaign_id == campaign.id,
        col(Answer.analyzed_at).is_not(None),
        _not_pending(),
    )
    dialect = session.get_bind().dialect.name
    rows: list[Any]
    if dialect in ("sqlite", "postgresql"):
        unnest = func.json_each if dialect == "sqlite" else func.json_array_elements_text
        item = unnest(Answer.themes).table_valued("value").alias("item")
        recent_flag = case((col(Answer.created_at) >= since, 1), else_=0)
        rows = list(
            session.execute(
                select(item.c.value, func.count(), func.sum(recent_flag))
                .select_from(Answer)
                .join(Conversation, col(Conversation.id) == Answer.conversation_id)
                .join(item, true())
                .where(*where)
                .group_by(item.c.value)
            ).all()
        )
    else:  # pragma: no cover - other engines: count in Python
        rows = []
        for themes, created_at in session.execute(
            select(Answer.themes, Answer.created_at)
            .join(Conversation, col(Conversation.id) == Answer.conversation_id)
            .where(*where)
        ).all():
            fresh = int(created_at is not None and utc(created_at) >= since)
            rows.extend((raw, 1, fresh) for raw in themes or ())
    counts: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for raw, count, fresh in rows:
        text = str(raw).strip()
        if not text:
            continue
        key = text.casefold()
        shown.setdefault(key, text)
        counts[key] += count
        recent[key] += int(fresh or 0)
    return [Keyword(shown[k], n, recent[k]) for k, n in counts.most_common(top)]


def _complaints(session: Session, campaign: Campaign, samples: int = 3) -> tuple[int, list[Quote]]:
    where = (
        Conversation.campaign_id == campaign.id,
        col(Answer.alert_status).in_(AWAITING_ACTION),
    )
    count = session.exec(
        select(func.count())
        .select_from(Answer)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(*where)
    ).one()
    rows = session.execute(
        select(Answer, Conversation.market)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(*where)
        .order_by(col(Answer.id).desc())
        .limit(samples)
    ).all()
    return count, [quote_of(answer, market) for answer, market in rows]


def chart(digest: Digest, path: Path) -> Path:
    """A PNG the team can read at a glance: rating distribution and completion per market.

    Drawn on a bare `Figure` (no pyplot state), so it is safe in a worker thread.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    markets = [m for m, f in digest.markets.items() if f.sent]
    fig = Figure(figsize=(11, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
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
    show = _drawable(digest.campaign.show)
    fig.suptitle(
        f"Campaign {digest.campaign.id}{' · ' + show if show else ''} · "
        f"{digest.total.completed}/{digest.total.sent} completed"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _drawable(text: str, limit: int = 60) -> str:
    """`text` if the chart's font can draw all of it, else "" (a title of empty boxes
    helps nobody; the Slack message above the chart carries the real title)."""
    from matplotlib import font_manager, ft2font

    font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties()))
    charmap = font.get_charmap()
    if all(ord(c) in charmap or c.isspace() for c in text):
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""
