"""`postlive contacts forget` and `postlive export`: the team's privacy tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from bot.bootstrap import build
from bot.db import session_scope
from bot.errors import NotFound
from bot.settings import Settings

console = Console()


def register(app: typer.Typer) -> None:
    contacts_app = typer.Typer(help="Contacts and their personal data.", no_args_is_help=True)
    app.add_typer(contacts_app, name="contacts")
    from bot.cli import clean_errors

    @contacts_app.command("forget")
    @clean_errors
    def forget_command(address: str) -> None:
        """Erase a customer's personal data (phone, name, words, photos); keep aggregates."""
        from bot.privacy import find_contacts, forget

        application = build(Settings())
        with session_scope(application.engine) as session:
            contacts = find_contacts(session, address)
            if not contacts:
                raise NotFound("contact", address)
            for contact in contacts:
                report = forget(session, contact, application.clock.now())
                console.print(
                    f"forgot contact {contact.id} ({contact.channel}): "
                    f"{report.answers_scrubbed} answers scrubbed, "
                    f"{report.events_deleted} webhook events and "
                    f"{report.messages_scrubbed} messages erased, "
                    f"{report.files_deleted} files deleted"
                )

    @app.command("export")
    @clean_errors
    def export_command(
        campaign_id: int,
        format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
        out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    ) -> None:
        """Export a campaign's answers for the team (one row per answer)."""
        from bot.export import export_answers

        if format not in ("csv", "jsonl"):
            raise typer.BadParameter("format must be csv or jsonl", param_hint="--format")
        chosen: Literal["csv", "jsonl"] = "csv" if format == "csv" else "jsonl"
        application = build(Settings())
        with session_scope(application.engine) as session:
            count = export_answers(session, campaign_id, chosen, out)
        if out is not None:
            console.print(f"{count} answers written to {out}")
