"""`postlive loop THEME_ID --message TEXT`: tell the customers who raised a theme what was
done about it ("you said, we did"), each once, in their language, at their local hour."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""

    @app.command("loop")
    def loop_command(
        theme_id: int,
        message: Annotated[str, typer.Option(help="What the team did, in the team's language.")],
        by: Annotated[str, typer.Option(help="Who adopted it (shown to the team).")] = "cli",
    ) -> None:
        """Adopt a theme and queue a "you said, we did" message to each contributor."""
        from bot.cli import clean_errors, console

        clean_errors(_loop)(theme_id, message, by, console)


def _loop(theme_id: int, message: str, by: str, console: Console) -> None:
    from bot import loop
    from bot.cli import _app
    from bot.db import session_scope

    application = _app()
    with session_scope(application.engine) as session:
        found = loop.theme(session, theme_id)
        locales = {c.locale for c in loop.contributors(session, theme_id)}
        texts = (found.label, found.loop_message or message)
    # Translation is the CLI's job, not the core's: the core takes texts per locale.
    from adapters.slack.translate import localize, translator_for

    localized, notes = asyncio.run(
        localize(
            translator_for(application.settings),
            locales,
            texts,
            application.settings.team_language,
        )
    )
    with session_scope(application.engine) as session:
        result = loop.adopt(
            session,
            application.flows,
            theme_id,
            message,
            by=by,
            now=application.clock.now(),
            localized=localized,
        )
    console.print(result.summary(), highlight=False, soft_wrap=True)
    for note in notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
