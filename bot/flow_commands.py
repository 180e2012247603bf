"""`postlive flows check` and `postlive flows list`: the operator's survey files.

Imports only typer at load time (the CLI must start at once); the flow code is loaded
when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.errors import FlowProblem

flows_app = typer.Typer(help="Survey flows.", no_args_is_help=True, rich_markup_mode=None)


def _folders() -> list[str]:
    from bot.cli_common import settings

    return settings().flows_dir


@flows_app.command("check")
def flows_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Flow files (default: every flow in FLOWS_DIR and the shipped ones)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings fail too (templates not set, ...).")
    ] = False,
) -> None:
    """Validate survey files: every problem at its file and line, with its field."""
    from bot.cli_common import console, err
    from bot.errors import FlowError
    from bot.flows import check_flow, flow_files
    from bot.resources import flows_dir

    files = list(paths or [])
    if not files:
        for folder in [*_folders(), str(flows_dir())]:
            files += flow_files(Path(folder).expanduser())
    failed = warned = 0
    for path in files:
        try:
            flow, warnings = check_flow(path)
        except FlowError as exc:
            failed += 1
            for problem in exc.problems:
                err.print(
                    _line(exc.path, problem, "error"),
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            continue
        for problem in warnings:
            warned += 1
            err.print(
                _line(path, problem, "warning"),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        console.print(
            f"ok {path}: {flow.id} v{flow.version}, {len(flow.questions)} questions, "
            f"{len(flow.locales)} locales" + (f", {len(warnings)} warnings" if warnings else ""),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if failed or (strict and warned):
        raise typer.Exit(1)


def _line(path: Path, problem: FlowProblem, severity: str) -> str:
    """`file:line: error: field: message`, one line, as editors and CI annotations read it."""
    place = f"{path}:{problem.line}:" if problem.line else f"{path}:"
    field = f" {problem.field}:" if problem.field else ""
    return f"{place} {severity}:{field} {problem.message}"


@flows_app.command("list")
def flows_list() -> None:
    """Every flow found, in search order (FLOWS_DIR first, then the shipped flows), with
    the file it came from; files that are broken or hidden by an earlier one of the
    same id are listed too."""
    from rich.table import Table

    from bot.cli_common import console, err
    from bot.flow_catalog import FlowCatalog

    catalog = FlowCatalog.discover(_folders())
    table = Table("flow", "version", "questions", "locales", "from")
    table.add_column("file", overflow="fold")
    for flow_id, source in catalog.sources.items():
        flow = catalog.flows[flow_id]
        table.add_row(
            flow_id,
            str(flow.version),
            str(len(flow.questions)),
            str(len(flow.locales)),
            source.origin,
            str(source.path),
        )
    for hidden in catalog.shadowed:
        table.add_row(hidden.flow_id, "-", "-", "-", f"hidden by {hidden.by}", str(hidden.path))
    for broken in catalog.broken:
        table.add_row("?", "-", "-", "-", "broken: run flows check", str(broken.path))
    console.print(table)
    if not catalog.sources:
        err.print("no flows found: set FLOWS_DIR to a folder of flow files", markup=False)
