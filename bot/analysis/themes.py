"""Themes across a campaign: the same complaint in five languages and five wordings is
one theme with a count, and stays the same theme run after run.

A theme's key is a normalized phrase or a lexicon concept ("colour_mismatch"). New
phrases are placed in three steps, cheapest first: the same key or label as an existing
theme; a concept the multilingual lexicon recognises in the phrase (so OpenAI's "colour
differs from the stream" and the offline colour_mismatch meet); then the analyzer's own
mapping (OpenAI: the consolidation prompt; offline: the normalized wording).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.analysis.interface import Analyzer, Outcome, Result, ThemeRef, theme_key
from bot.analysis.language import primary
from bot.analysis.lexicon import lexicon, normalize
from bot.models import Answer, AnswerTheme, Theme


def concept_of(phrase: str, team_language: str) -> ThemeRef | None:
    """The lexicon concept a theme phrase names, if it names exactly one kind of thing."""
    words = lexicon()
    scan = words.scan(normalize(phrase), frozenset({primary(team_language) or "en", "en"}))
    found = [k for k in scan.concepts if words.concepts[k].kind != "media"]
    if not found:
        return None
    concept = words.concepts[found[0]]
    return ThemeRef(label=concept.label(team_language), key=concept.key)


@dataclass
class Consolidation:
    themes_created: int = 0
    links: int = 0
    outcome: Outcome = field(default_factory=lambda: Outcome(results=[]))


def consolidate(
    session: Session,
    campaign_id: int,
    analysed: Sequence[tuple[Answer, Result]],
    analyzer: Analyzer,
    now: datetime,
    team_language: str,
    *,
    token_budget: int | None = None,
) -> Consolidation:
    """Link every analysed answer to its campaign themes (created when new) and set
    Answer.themes to their labels in the team's language."""
    report = Consolidation()
    themes = {t.key: t for t in session.exec(select(Theme).where(Theme.campaign_id == campaign_id))}
    by_label = {theme_key(t.label): t.key for t in themes.values()}
    resolved: dict[str, ThemeRef] = {}
    unplaced: list[str] = []
    for _, result in analysed:
        for ref in result.themes:
            if ref.key or ref.label in resolved:
                continue
            key = theme_key(ref.label)
            if key in themes or key in by_label:
                known = themes[key if key in themes else by_label[key]]
                resolved[ref.label] = ThemeRef(known.label, known.key)
            elif (concept := concept_of(ref.label, team_language)) is not None:
                resolved[ref.label] = concept
            elif ref.label not in unplaced:
                unplaced.append(ref.label)
    if unplaced:
        existing = [(t.key, t.label) for t in themes.values()]
        existing += [(r.key, r.label) for r in resolved.values() if r.key and r.key not in themes]
        mapping, report.outcome = analyzer.map_themes(
            unplaced, list(dict.fromkeys(existing)), token_budget=token_budget
        )
        for phrase in unplaced:
            key, label = mapping.get(phrase) or (theme_key(phrase), phrase)
            resolved[phrase] = ThemeRef(label, key or theme_key(phrase))
    for answer, result in analysed:
        assert answer.id is not None
        session.execute(delete(AnswerTheme).where(col(AnswerTheme.answer_id) == answer.id))
        linked: dict[int, str] = {}
        for ref in result.themes:
            placed = ref if ref.key else resolved[ref.label]
            if not placed.key:
                continue
            theme = themes.get(placed.key)
            if theme is None:
                theme = _create(
                    session, campaign_id, placed, ref.category or str(result.category), now
                )
                themes[theme.key] = theme
                report.themes_created += 1
            assert theme.id is not None
            linked.setdefault(theme.id, theme.label)
        for theme_id in linked:
            session.add(AnswerTheme(answer_id=answer.id, theme_id=theme_id))
        report.links += len(linked)
        answer.themes = list(dict.fromkeys(linked.values()))
        session.add(answer)
    session.flush()
    return report


def _create(
    session: Session, campaign_id: int, ref: ThemeRef, category: str, now: datetime
) -> Theme:
    """Get or create: another worker may have created the same theme a moment ago."""
    assert ref.key is not None
    try:
        with session.begin_nested():
            theme = Theme(
                campaign_id=campaign_id,
                key=ref.key[:200],
                label=ref.label[:200],
                category=category,
                created_at=now,
            )
            session.add(theme)
            session.flush()
            return theme
    except IntegrityError:
        return session.exec(
            select(Theme).where(Theme.campaign_id == campaign_id, Theme.key == ref.key)
        ).one()


def theme_counts(session: Session, campaign_id: int) -> list[tuple[Theme, int]]:
    """The campaign's themes with how many answers said each, most said first."""
    rows = session.exec(
        select(Theme, func.count(col(AnswerTheme.answer_id)))
        .join(AnswerTheme, col(AnswerTheme.theme_id) == Theme.id, isouter=True)
        .where(Theme.campaign_id == campaign_id)
        .group_by(col(Theme.id))
        .order_by(func.count(col(AnswerTheme.answer_id)).desc(), col(Theme.key))
    ).all()
    return [(theme, count) for theme, count in rows]
