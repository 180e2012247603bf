"""CLI commands of this feature (being built: see its issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""
