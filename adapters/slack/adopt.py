"""Closing the loop from Slack: a theme marked adopted, its contributors told (bot.loop).

The theme and what was done are written in the team's language; with a translator they
reach each customer in theirs, without one they go out as written and the team is told.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import Block, button, clip
from adapters.slack.digest_blocks import ADOPTED
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from adapters.slack.translate import localize
from bot import loop
from bot.db import session_scope


def _texts(team: SlackTeam, theme_id: int, message: str) -> tuple[set[str], tuple[str, str]]:
    with session_scope(team.app.engine) as session:
        found = loop.theme(session, theme_id)
        locales = {c.locale for c in loop.contributors(session, theme_id)}
        # An adopted theme keeps its first message: that is what customers were told.
        return locales, (found.label, found.loop_message or message)


def _adopt(
    team: SlackTeam,
    theme_id: int,
    message: str,
    user: str,
    localized: dict[str, tuple[str, str]],
) -> loop.LoopResult:
    with session_scope(team.app.engine) as session:
        return loop.adopt(
            session,
            team.app.flows,
            theme_id,
            message,
            by=f"slack:{user}",
            now=team.app.clock.now(),
            localized=localized,
        )


async def adopt_theme(
    team: SlackTeam, theme_id: int, message: str, user: str
) -> tuple[loop.LoopResult, list[str]]:
    locales, texts = await team.db(_texts, team, theme_id, message)
    localized, notes = await localize(team.translator, locales, texts, team.settings.team_language)
    result = await team.db(_adopt, team, theme_id, message, user, localized)
    return result, notes


def report(result: loop.LoopResult, notes: list[str], user: str) -> str:
    lines = [f"✅ <@{user}> adopted {result.summary()}", f"> {clip(result.message, 1500)}"]
    lines.extend(f"_note: {n}_" for n in notes)
    return "\n".join(lines)


async def mark_digest(team: SlackTeam, ref: str | None, theme_id: int) -> None:
    """Turn the theme's button on the digest message into "Adopted ✓", where we can.

    Only messages this process posted are known; elsewhere the thread reply says it.
    """
    if not ref or ref not in team.digest_messages:
        return
    blocks: list[Block] = [dict(b) for b in team.digest_messages[ref]]
    for block in blocks:
        accessory: dict[str, Any] | None = block.get("accessory")
        if accessory and accessory.get("value") == str(theme_id):
            block["accessory"] = button(team.language.label("adopted"), ADOPTED, str(theme_id))
    team.digest_messages[ref] = blocks
    await team.poster.update(Posted.parse(ref), blocks)
