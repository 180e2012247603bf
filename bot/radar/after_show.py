"""After the show: the existing analysis reads every kept comment.

Each comment gets the analyzer's judgement (the seller's buckets: product question,
usage experience, suggestion, complaint, plus praise/other; sentiment; themes; urgency),
stored on the comment. Already analysed comments are skipped, so running it twice costs
nothing twice.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.analysis.analyzers import shared_analyzer
from bot.analysis.interface import Item
from bot.db import session_scope
from bot.models import ShowComment
from bot.settings import Settings

_CHUNK = 2000


def analyze_show(settings: Settings, engine: Engine, show: str) -> Counter[str]:
    """Analyse the show's comments not yet analysed; returns comments per category. The
    analyzer is the database's shared one (built once, its cache and client reused)."""
    analyzer = shared_analyzer(settings, engine)
    categories: Counter[str] = Counter()
    while True:
        with session_scope(engine) as session:
            rows = session.exec(
                select(ShowComment)
                .where(ShowComment.show == show, col(ShowComment.analysis).is_(None))
                .order_by(col(ShowComment.id))
                .limit(_CHUNK)
            ).all()
            if not rows:
                return categories
            outcome = analyzer.analyze([Item(r.text, locale=r.language, ref=r.id) for r in rows])
            for row, result in zip(rows, outcome.results, strict=True):
                if result is None:
                    row.analysis = {"error": "not analysed"}
                    continue
                row.analysis = {
                    "category": str(result.category),
                    "sentiment": str(result.sentiment),
                    "themes": [t.label for t in result.themes],
                    "urgency": str(result.urgency),
                    "language": result.language,
                    "translation": result.translation,
                    "analyzer": result.analyzer,
                }
                categories[str(result.category)] += 1
                session.add(row)
