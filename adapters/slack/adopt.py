"""Closing the loop from Slack: a theme marked adopted, its contributors told
(bot.services.theme_adoption); the thread report and the digest button are Slack's.

The theme and what was done are written in the team's language; with a translator they
reach each customer in theirs, without one they go out as written and the team is told.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import Block, button, clip
from adapters.slack.digest_blocks import ADOPTED
from adapters.slack.poster import Posted
from adapters.slack.team import SlackTeam
from bot import loop
from bot.services import theme_adoption


async def adopt_theme(
    team: SlackTeam, theme_id: int, message: str, user: str
) -> tuple[loop.LoopResult, list[str]]:
    return await theme_adoption.adopt(
        team.app.engine,
        team.app.flows,
        theme_id,
        message,
        actor=team.actor(user),
        translator=team.translator,
        team_language=team.settings.team_language,
        now=team.app.clock.now(),
    )


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
