"""What every `postlive` command module shares: the consoles, one-line errors, the
progress bar and the application built from the environment.

Command modules (`bot/cli.py` and the `*_commands` modules it registers) import this,
never each other, so the CLI has no import cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.bootstrap import App, build
from bot.errors import PostliveError
from bot.settings import Settings

console = Console()
err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def clean_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Our errors become one red line and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PostliveError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
            raise typer.Exit(1) from exc
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/red] {exc.filename or exc}: file not found", highlight=False)
            raise typer.Exit(1) from exc

    return wrapper


def load_app(**parts: Any) -> App:
    """The application from the environment (.env, POSTLIVE settings)."""
    return build(Settings(), **parts)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
