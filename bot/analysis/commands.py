"""`postlive analyze FILE [--json] [--out FILE]`: analyse free text from any source.

A summary for people (categories, themes with originals, the top product questions
grouped across languages, urgent complaints, the share sent to review: bot.analysis.
summary) and, on request, one JSON line per input row, in input order, carrying the
original text beside its judgement. Batched like the campaign path (the OpenAI analyzer
packs answers into few requests and caches them in the database); a progress bar on
standard error for long files, and the throughput at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from bot.analysis.analyzers import analyzer_for
from bot.analysis.cache import DatabaseCache, MemoryCache, ResultCache
from bot.analysis.interface import Analyzer, Item, Result
from bot.analysis.offline import OfflineAnalyzer
from bot.analysis.review import review_reason
from bot.analysis.sources import Row, read_rows
from bot.analysis.summary import Summary
from bot.cli_common import clean_errors, err
from bot.cli_common import progress as _progress
from bot.cli_common import settings as cli_settings
from bot.settings import Settings

#: Rows handed to the analyzer at once: big enough for full OpenAI batches, small enough
#: that results stream out and the progress bar moves.
CHUNK = 1000


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""
    # bot.cli imports this module at its end, so its helpers exist by now.

    app.command("analyze")(clean_errors(analyze_command))


def analyze_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSON lines with a `text` column.")],
    json_lines: Annotated[
        bool,
        typer.Option(
            "--json", help="One JSON line per row on stdout (the summary goes to stderr)."
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON lines to this file.")
    ] = None,
    column: Annotated[str, typer.Option(help="The column holding the text.")] = "text",
) -> None:
    """Analyse free text (e.g. a live stream's exported comments): a summary (categories,
    themes, top questions grouped, urgent complaints) and, with --json or --out, one JSON
    line per row: the original text, language, translation, category, sentiment, themes,
    urgency, confidence and why it needs review, if it does."""

    rows = read_rows(file, column)
    settings = cli_settings()
    analyzer = analyzer_for(settings, _cache(settings))
    reader = OfflineAnalyzer(settings.team_language)
    summary = Summary(settings.team_language)
    started = time.perf_counter()
    warnings: list[str] = []
    sink: IO[str] | None = (
        out.open("w", encoding="utf-8") if out else sys.stdout if json_lines else None
    )
    try:
        with _progress() as progress:
            task = progress.add_task(f"analysing {file.name}", total=len(rows))
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]

                def moved(done: int, base: int = start) -> None:
                    progress.update(task, completed=base + done)

                for line in _analyse(analyzer, reader, chunk, warnings, moved, summary):
                    if sink is not None:
                        sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        analyzer.close()
        if out and sink is not None:
            sink.close()
    seconds = max(time.perf_counter() - started, 1e-9)
    # The summary is the answer, on stdout; with JSON lines on stdout it steps aside.
    if json_lines and not out:
        sys.stderr.write(summary.render())
    else:
        sys.stdout.write(summary.render())
    # soft_wrap: one line each, whatever the terminal width (or none, in a pipe).
    for warning in dict.fromkeys(warnings):
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    err.print(
        f"{len(rows):,} rows analysed in {seconds:.1f} s ({len(rows) / seconds:,.0f} rows/s) "
        f"by {analyzer.name}" + (f"; written to {out}" if out else ""),
        highlight=False,
        soft_wrap=True,
    )


def _cache(settings: Settings) -> ResultCache | None:
    """The database's analysis cache when OpenAI is used (nothing is paid twice, across
    runs); a run-local cache when the database cannot be reached."""
    if settings.postlive_analyzer == "offline" or settings.openai_api_key is None:
        return None
    from bot.db import make_engine, upgrade

    try:
        engine = make_engine(settings.database_url)
        upgrade(engine)
    except Exception:  # noqa: BLE001 - a cache is an optimisation, never a blocker
        return MemoryCache()
    return DatabaseCache(engine)


def _analyse(
    analyzer: Analyzer,
    reader: OfflineAnalyzer,
    rows: list[Row],
    warnings: list[str],
    progress: Any,
    summary: Summary,
) -> list[dict[str, Any]]:
    items = [Item(row.text, rating=row.rating, ref=row.number) for row in rows]
    wanted = [i for i, item in enumerate(items) if item.text]
    outcome = analyzer.analyze([items[i] for i in wanted], progress=progress)
    warnings.extend(outcome.warnings)
    results: dict[int, Result] = {}
    for index, result in zip(wanted, outcome.results, strict=True):
        if result is not None:
            results[index] = result
    missing = [i for i in wanted if i not in results]
    if missing:  # the model was unavailable: every row still gets a line, judged offline
        offline = reader.analyze([items[i] for i in missing]).results
        results.update({i: r for i, r in zip(missing, offline, strict=True) if r is not None})
    lines = []
    for index, row in enumerate(rows):
        line: dict[str, Any] = {"row": row.number}
        if row.ref is not None:
            line["id"] = row.ref
        line["text"] = row.text  # the original: a row number alone tells nobody anything
        result = results.get(index)
        if result is None:
            line.update(_EMPTY)
        else:
            line.update(result.as_dict())
            line["review"] = review_reason(items[index], result, reader)
        summary.add(row.text, result, line["review"])
        lines.append(line)
    return lines


_EMPTY: dict[str, Any] = {
    "language": None,
    "translation": None,
    "category": None,
    "sentiment": None,
    "themes": [],
    "urgency": None,
    "confidence": 0.0,
    "analyzer": None,
    "review": "no text",
}
