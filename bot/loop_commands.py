"""`postlive loop THEME_ID --message TEXT`: tell the customers who raised a theme what was
done about it ("you said, we did"), each once, in their language, at their local hour."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from bot.cli_common import clean_errors, console, load_app
from bot.services import theme_adoption
from bot.services.actors import operator


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""

    @app.command("loop")
    def loop_command(
        theme_id: int,
        message: Annotated[str, typer.Option(help="What the team did, in the team's language.")],
        by: Annotated[str, typer.Option(help="Who adopted it (shown to the team).")] = "cli",
    ) -> None:
        """Adopt a theme and queue a "you said, we did" message to each contributor."""
        clean_errors(_loop)(theme_id, message, by, console)


def _loop(theme_id: int, message: str, by: str, console: Console) -> None:
    application = load_app()
    result, notes = asyncio.run(
        theme_adoption.adopt(
            application.engine,
            application.flows,
            theme_id,
            message,
            actor=operator(by),
            translator=application.translator,
            team_language=application.settings.team_language,
            now=application.clock.now(),
        )
    )
    console.print(result.summary(), highlight=False, soft_wrap=True)
    for note in notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
