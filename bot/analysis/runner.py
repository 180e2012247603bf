"""Analysing the answers customers gave: read pending answers, judge them, store it all.

No transaction is held while a model is thinking: answers are read, the session is
closed, the analyzer runs, and results are written in a new unit of work, per campaign,
only onto answers still unanalysed (another worker may have been quicker: the analysis
cache makes that duplicate cheap, and the write skips it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from bot.alert_states import AlertStatus, can_move
from bot.analysis.analyzers import shared_analyzer
from bot.analysis.interface import Analyzer, Category, Item, MediaRef, Outcome, Result, Urgency
from bot.analysis.offline import OfflineAnalyzer
from bot.analysis.review import review_reason
from bot.analysis.themes import consolidate
from bot.db import session_scope
from bot.models import Answer, Campaign, Conversation

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

#: Question types whose answers are free text or media worth analysing.
FREE_TYPES = ("text", "photo")


@dataclass
class AnalysisRun:
    """What one run did, for the worker's log and the team (warnings)."""

    analyzed: int = 0
    by_analyzer: Counter[str] = field(default_factory=Counter)
    review_pending: int = 0
    alerts_opened: int = 0
    #: Left unanalysed for a later run (the model was unavailable).
    deferred: int = 0
    themes_created: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    #: Things the team must see, e.g. a campaign reaching its token cap.
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Pending:
    answer: Answer
    campaign_id: int
    item: Item


async def analyze_pending(
    app: App, limit: int = 200, analyzer: Analyzer | None = None
) -> AnalysisRun:
    """Analyse up to `limit` answers with text or media not analysed yet (in a thread:
    the OpenAI SDK and the lexicon are synchronous)."""
    return await asyncio.to_thread(analyze_pending_now, app, limit, analyzer)


async def analyze_pending_logged(app: App, limit: int = 100) -> AnalysisRun | None:
    """For the worker loop: a failed analysis round is logged, never raised, so delivery
    and surveys carry on."""
    try:
        run = await analyze_pending(app, limit)
    except Exception:  # noqa: BLE001 - the worker must survive an analysis failure
        log.exception("analysis round failed")
        return None
    for warning in run.warnings:
        log.warning("analysis: %s", warning)
    return run


def analyze_pending_now(
    app: App, limit: int = 200, analyzer: Analyzer | None = None
) -> AnalysisRun:
    started = time.perf_counter()
    run = AnalysisRun()
    with Session(app.engine, expire_on_commit=False) as session:
        pending = _pending(session, limit, app.clock.now())
        session.commit()  # answers with nothing to analyse were marked done
    if not pending:
        return run
    # Built once per database and reused run after run, never closed here.
    analyzer = analyzer or shared_analyzer(app.settings, app.engine, app.clock)
    by_campaign: dict[int, list[_Pending]] = defaultdict(list)
    for entry in pending:
        by_campaign[entry.campaign_id].append(entry)
    for campaign_id, entries in by_campaign.items():
        _campaign(app, analyzer, campaign_id, entries, run)
    run.seconds = time.perf_counter() - started
    return run


def _pending(session: Session, limit: int, now: datetime) -> list[_Pending]:
    rows = session.exec(
        select(Answer, Conversation.campaign_id)
        .join(Conversation, col(Conversation.id) == Answer.conversation_id)
        .where(
            col(Answer.analyzed_at).is_(None),
            col(Answer.skipped).is_(False),
            or_(
                col(Answer.question_type).in_(FREE_TYPES),
                # An unreadable reply to a rating or choice question is still feedback.
                and_(col(Answer.value).is_(None), col(Answer.raw_text).is_not(None)),
            ),
        )
        .order_by(col(Answer.id))
        .limit(limit)
    ).all()
    ratings = _ratings(session, {answer.conversation_id for answer, _ in rows})
    pending = []
    for answer, campaign_id in rows:
        text = (answer.raw_text or "").strip() or None
        media = tuple(_media(i, m) for i, m in enumerate(answer.media or []))
        if not text and not media:
            answer.analyzed_at = now  # nothing to judge; never picked up again
            session.add(answer)
            continue
        item = Item(text, media, ratings.get(answer.conversation_id), answer.locale, answer.id)
        pending.append(_Pending(answer, campaign_id, item))
    return pending


def _ratings(session: Session, conversation_ids: set[int]) -> dict[int, int]:
    """Each conversation's 1-5 rating: context for sentiment and the review rules."""
    if not conversation_ids:
        return {}
    rows = session.exec(
        select(Answer.conversation_id, Answer.value).where(
            col(Answer.conversation_id).in_(conversation_ids),
            Answer.question_type == "rating",
            col(Answer.value).is_not(None),
        )
    ).all()
    ratings = {}
    for conversation_id, value in rows:
        try:
            rating = int(str(value))
        except ValueError:
            continue
        if 1 <= rating <= 5:
            ratings[conversation_id] = rating
    return ratings


def _media(index: int, stored: dict[str, Any]) -> MediaRef:
    return MediaRef(
        index=index,
        url=str(stored.get("url") or ""),
        content_type=str(stored.get("content_type") or "application/octet-stream"),
        stored_at=stored.get("stored_at"),
    )


def _campaign(
    app: App, analyzer: Analyzer, campaign_id: int, entries: list[_Pending], run: AnalysisRun
) -> None:
    settings = app.settings
    with Session(app.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        spent = (
            (campaign.analysis_prompt_tokens + campaign.analysis_completion_tokens)
            if campaign
            else 0
        )
    budget = max(0, settings.analysis_campaign_token_cap - spent)
    outcome = analyzer.analyze([e.item for e in entries], token_budget=budget)
    _account(run, outcome, campaign_id)
    reader = OfflineAnalyzer(settings.team_language)  # reads originals for the review rules
    now = app.clock.now()
    with session_scope(app.engine) as session:
        stored: list[tuple[Answer, Result]] = []
        for entry, result in zip(entries, outcome.results, strict=True):
            if result is None:
                run.deferred += 1
                continue
            answer = session.get(Answer, entry.answer.id)
            if answer is None or answer.analyzed_at is not None:
                continue  # forgotten meanwhile, or another worker was quicker
            _store(answer, entry.item, result, reader, now, run)
            stored.append((answer, result))
        remaining = max(0, budget - outcome.tokens)
        themes = consolidate(
            session,
            campaign_id,
            stored,
            analyzer,
            now,
            settings.team_language,
            token_budget=remaining,
        )
        run.themes_created += themes.themes_created
        _account(run, themes.outcome, campaign_id)
        if any(_capped(w) for w in outcome.warnings + themes.outcome.warnings):
            used = spent + outcome.tokens + themes.outcome.tokens
            run.warnings.append(
                f"campaign {campaign_id}: OpenAI token cap of "
                f"{settings.analysis_campaign_token_cap:,} reached ({used:,} used); its answers "
                "are analysed offline until ANALYSIS_CAMPAIGN_TOKEN_CAP is raised"
            )
        tokens = outcome.tokens + themes.outcome.tokens
        if tokens:
            # An increment in SQL: two workers adding at once both count.
            session.execute(
                update(Campaign)
                .where(col(Campaign.id) == campaign_id)
                .values(
                    analysis_prompt_tokens=Campaign.analysis_prompt_tokens
                    + outcome.prompt_tokens
                    + themes.outcome.prompt_tokens,
                    analysis_completion_tokens=Campaign.analysis_completion_tokens
                    + outcome.completion_tokens
                    + themes.outcome.completion_tokens,
                )
            )


def _account(run: AnalysisRun, outcome: Outcome, campaign_id: int) -> None:
    run.prompt_tokens += outcome.prompt_tokens
    run.completion_tokens += outcome.completion_tokens
    run.requests += outcome.requests
    for warning in outcome.warnings:
        if not _capped(warning):
            run.warnings.append(f"campaign {campaign_id}: {warning}")


def _capped(warning: str) -> bool:
    return warning.startswith("OpenAI token budget")


def _store(
    answer: Answer,
    item: Item,
    result: Result,
    reader: OfflineAnalyzer,
    now: datetime,
    run: AnalysisRun,
) -> None:
    answer.language = result.language
    answer.translation = result.translation
    answer.category = str(result.category)
    answer.sentiment_label = str(result.sentiment)
    answer.sentiment_score = result.sentiment_score
    answer.urgency = str(result.urgency)
    answer.confidence = result.confidence
    answer.analyzer = result.analyzer[:64]
    answer.analyzed_at = now
    reason = review_reason(item, result, reader)
    if reason:
        answer.review_status, answer.review_reason = "pending", reason
        run.review_pending += 1
    urgent = result.category == Category.COMPLAINT and result.urgency == Urgency.HIGH
    if urgent and can_move(answer.alert_status, AlertStatus.OPEN):  # never reopened
        answer.alert_status = AlertStatus.OPEN
        run.alerts_opened += 1
    if result.media_notes:
        media = [dict(m) for m in answer.media]
        for index, notes in result.media_notes.items():
            if 0 <= index < len(media):
                media[index].update(notes)
        answer.media = media  # a new list, so the JSON column is written
    run.analyzed += 1
    run.by_analyzer[result.analyzer] += 1
