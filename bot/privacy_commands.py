"""`postlive contacts forget` and `postlive export`: the team's privacy tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from bot.cli_common import clean_errors, load_app
from bot.services import privacy
from bot.services.actors import operator

console = Console()


def register(app: typer.Typer) -> None:
    contacts_app = typer.Typer(help="Contacts and their personal data.", no_args_is_help=True)
    app.add_typer(contacts_app, name="contacts")

    @contacts_app.command("forget")
    @clean_errors
    def forget_command(
        address: Annotated[
            str,
            typer.Argument(
                help="Phone number in any format (+55 11 98765-4321), e-mail or Telegram chat id."
            ),
        ],
        country: Annotated[
            str | None,
            typer.Option(help="Country of a national phone number (BR for (11) 98765-4321)."),
        ] = None,
    ) -> None:
        """Erase a customer's personal data (number, name, words, photos, Slack quotes);
        keep the anonymous figures."""
        from bot.db import checkpoint_wal

        application = load_app()
        done = privacy.forget(
            application.engine,
            address,
            actor=operator(),
            now=application.clock.now(),
            country=country,
            media_dir=application.settings.media_dir,
        )
        for contact_id, channel, report in done:
            console.print(
                f"forgot contact {contact_id} ({channel}): "
                f"{report.answers_scrubbed} answers scrubbed, "
                f"{report.events_deleted} webhook events and "
                f"{report.messages_scrubbed} messages erased, "
                f"{report.files_deleted} files deleted, "
                f"{report.cache_entries_deleted} analysis cache entries deleted, "
                f"{report.slack_messages_due} Slack messages to edit"
            )
        checkpoint_wal(application.engine)  # old row versions leave SQLite's -wal file
        if application.settings.slack_enabled:
            import asyncio

            edited = asyncio.run(application.erase_quotes())
            console.print(f'{edited} Slack messages edited to "erased"')

    @app.command("export")
    @clean_errors
    def export_command(
        campaign_id: int,
        format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
        out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    ) -> None:
        """Export a campaign's answers for the team (one row per answer)."""
        if format not in ("csv", "jsonl"):
            raise typer.BadParameter("format must be csv or jsonl", param_hint="--format")
        chosen: Literal["csv", "jsonl"] = "csv" if format == "csv" else "jsonl"
        application = load_app()
        count = privacy.export(application.engine, campaign_id, chosen, out, actor=operator())
        if out is not None:
            console.print(f"{count} answers written to {out}")
