"""What every `postlive` command module shares: the consoles, one-line errors, the
progress bar, the settings and the application built from the environment.

Command modules (`bot/cli.py` and the `*_commands` modules it registers) import this,
never each other, so the CLI has no import cycle. Everything heavy (rich, SQLAlchemy,
the composition root and through it the SDKs) is imported on first use: `postlive
--help` must not pay for it (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import typer

from bot.errors import PostliveError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from sqlalchemy import Engine

    from bot.bootstrap import App
    from bot.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


class _LazyConsole:
    """A rich Console built on first use: importing rich costs more than `--help` itself."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


console = cast("Console", _LazyConsole())
err = cast("Console", _LazyConsole(stderr=True))


def real_console(lazy: Console) -> Console:
    """The Console itself, for rich objects that use it as a context manager."""
    return lazy.real() if isinstance(lazy, _LazyConsole) else lazy


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


_settings: Settings | None = None


def settings() -> Settings:
    """The settings every command reads, from the environment (.env, POSTLIVE settings):
    read once per command (on first use, so `--help` does not pay for pydantic) and
    shared by all that command asks of them; the one place the CLI constructs them."""
    global _settings
    if _settings is None:
        from bot.settings import Settings

        _settings = Settings()
    return _settings


def forget_settings() -> None:
    """A new command starts: read the environment again (the `postlive` callback; one
    process may run several commands, as tests do)."""
    global _settings
    _settings = None


def load_app(**parts: Any) -> App:
    """The application from the environment's settings."""
    from bot.bootstrap import build

    return build(settings(), **parts)


def database() -> Engine:
    """The database alone (migrated), for commands that need no flows nor channels."""
    from bot.db import make_engine, upgrade

    engine = make_engine(settings().database_url)
    upgrade(engine)
    return engine


def progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=real_console(err),
        transient=True,
    )
