"""Closing the loop: a theme marked adopted and its contributors told what was done
("you said, we did"), each once, in their language, at their local hour. Admins only.

The theme and the message are written in the team's language; with a translator they
reach each customer in theirs, without one they go out as written and the team is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot import loop
from bot.flows import Flow
from bot.models import Theme
from bot.services.actors import Actor, Role, require
from bot.services.unit_of_work import UnitOfWork
from bot.translation import UNTRANSLATED_NOTE, Translator, localize, same_language


def theme(engine: Engine, theme_id: int) -> Theme:
    with UnitOfWork(engine) as uow:
        return loop.theme(uow.session, theme_id)


def _texts(engine: Engine, theme_id: int, message: str) -> tuple[set[str], tuple[str, str]]:
    with UnitOfWork(engine) as uow:
        found = loop.theme(uow.session, theme_id)
        locales = {c.locale for c in loop.contributors(uow.session, theme_id)}
        # An adopted theme keeps its first message: that is what customers were told.
        return locales, (found.label, found.loop_message or message)


def _adopt(
    engine: Engine,
    flows: Mapping[str, Flow],
    theme_id: int,
    message: str,
    actor: Actor,
    now: datetime,
    localized: dict[str, tuple[str, str]],
) -> loop.LoopResult:
    with UnitOfWork(engine) as uow:
        result = loop.adopt(
            uow.session, flows, theme_id, message, by=actor.name, now=now, localized=localized
        )
        uow.commit()
        return result


async def adopt(
    engine: Engine,
    flows: Mapping[str, Flow],
    theme_id: int,
    message: str,
    *,
    actor: Actor,
    translator: Translator | None,
    team_language: str,
    now: datetime,
) -> tuple[loop.LoopResult, list[str]]:
    """Adopt the theme and queue the loop messages; returns the result and notes for the
    team (what went out untranslated and why). Database work runs off the event loop."""
    require(actor, Role.ADMIN, "close the loop with customers")
    locales, texts = await asyncio.to_thread(_texts, engine, theme_id, message)
    localized, notes = await localize(translator, locales, texts, team_language)
    result = await asyncio.to_thread(
        _adopt, engine, flows, theme_id, message, actor, now, localized
    )
    return result, notes


def adopt_in(
    session: Session,
    flows: Mapping[str, Flow],
    theme_id: int,
    message: str,
    *,
    actor: Actor,
    team_language: str,
    now: datetime,
    can_translate: bool,
) -> tuple[loop.LoopResult, list[str]] | None:
    """`adopt` inside the caller's transaction (a Slack submission's handler), when no
    translation call is needed: no translator (the team's words go out, and the notes
    say so) or every contributor reads the team's language. None when one is needed:
    call `adopt`, which translates first (never an HTTP call inside a transaction)."""
    require(actor, Role.ADMIN, "close the loop with customers")
    loop.theme(session, theme_id)  # NotFound before anything else
    locales = {c.locale for c in loop.contributors(session, theme_id)}
    foreign = sorted(loc for loc in locales if not same_language(loc, team_language))
    if foreign and can_translate:
        return None
    notes = [f"{UNTRANSLATED_NOTE} ({', '.join(foreign)})"] if foreign else []
    result = loop.adopt(session, flows, theme_id, message, by=actor.name, now=now, localized={})
    return result, notes
