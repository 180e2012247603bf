"""`postlive live start|replay` and `postlive comments import`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adapters.live.show import ShowPlan, run_show
from bot.radar.board import Entry
from bot.radar.session import LiveSession

console = Console()


def register(app: typer.Typer) -> None:
    from bot.cli_common import clean_errors
    from bot.cli_common import load_app as _app

    live_app = typer.Typer(
        help="Live question radar: what viewers ask during a show.", no_args_is_help=True
    )
    app.add_typer(live_app, name="live")
    comments_app = typer.Typer(help="Live comments kept with their show.", no_args_is_help=True)
    app.add_typer(comments_app, name="comments")

    _register_analyze(comments_app)

    @live_app.command("start")
    @clean_errors
    def start(
        show: Annotated[str, typer.Option("--show", help="The show's code.")],
        youtube: Annotated[
            str | None, typer.Option("--youtube", help="YouTube live video id.")
        ] = None,
        tiktok: Annotated[
            str | None, typer.Option("--tiktok", help="TikTok @user who is live.")
        ] = None,
        host: str = "127.0.0.1",
        port: int = 8000,
    ) -> None:
        """Listen to a show's comments; serve the host's page; keep the Slack board."""
        application = _app()
        plan = ShowPlan(show, youtube=youtube, tiktok=tiktok, serve=(host, port))

        def started(session: LiveSession, url: str) -> None:
            console.print(f"listening to {show}; host's page: {url}")
            if not (youtube or tiktok):
                console.print("no --youtube/--tiktok: comments come from POST /live/comments")

        try:
            asyncio.run(run_show(application, plan, started=started))
        except KeyboardInterrupt:
            console.print("stopped")

    @live_app.command("replay")
    @clean_errors
    def replay(
        file: Annotated[Path, typer.Argument(help="CSV or JSONL: time, text, author_id, ...")],
        show: Annotated[str, typer.Option("--show", help="The show's code.")] = "REPLAY",
        speed: Annotated[
            float, typer.Option(help="2 = twice as fast; 0 = as fast as possible.")
        ] = 1.0,
        serve: Annotated[
            bool, typer.Option("--serve/--no-serve", help="Serve the host's page meanwhile.")
        ] = False,
        host: str = "127.0.0.1",
        port: int = 8000,
    ) -> None:
        """Play a recorded show into the radar, then print its top questions."""
        if speed < 0:
            raise typer.BadParameter("--speed must be 0 or more")
        application = _app()
        plan = ShowPlan(show, replay=file, speed=speed, serve=(host, port) if serve else None)

        def started(_session: LiveSession, url: str) -> None:
            console.print(f"replaying {file.name} into {show}; host's page: {url}")

        session = asyncio.run(run_show(application, plan, started=started))
        print_board(session.radar.top(application.clock.now().timestamp(), 10), console)

    @comments_app.command("import")
    @clean_errors
    def import_comments(
        file: Annotated[
            Path, typer.Argument(help="A TikTok, YouTube or Instagram comment export.")
        ],
        show: Annotated[str, typer.Option("--show", help="The show the comments belong to.")],
        platform: Annotated[
            str, typer.Option(help="tiktok, youtube, instagram, facebook...")
        ] = "import",
    ) -> None:
        """Keep an export's comments with the show (re-importing changes nothing)."""
        from adapters.live.exports import read_export
        from bot.radar import store
        from bot.radar.board import Radar

        application = _app()
        found = read_export(file, show, platform)
        radar = Radar(application.settings.team_language, window_seconds=float("inf"))
        seen = radar.ingest(found.comments)
        labels = {key: radar.label(group)[0] for key, group in radar.groups.items()}
        added = store.save(application.engine, seen, labels)
        console.print(
            f"{len(found.comments)} comments read, {added} new, "
            f"{sum(1 for s in seen if s.reading)} questions; {len(found.skipped)} rows skipped"
        )
        for number, reason in found.skipped[:20]:
            console.print(f"  row {number}: {reason}", highlight=False)


def _register_analyze(comments_app: typer.Typer) -> None:
    from bot.cli_common import clean_errors
    from bot.cli_common import load_app as _app

    @comments_app.command("analyze")
    @clean_errors
    def analyze(show: Annotated[str, typer.Option("--show", help="The show's code.")]) -> None:
        """Classify the show's kept comments with the analysis (product question, usage,
        suggestion, complaint), sentiment and themes."""
        from bot.radar.after_show import analyze_show

        application = _app()
        found = analyze_show(application.settings, application.engine, show)
        total = sum(found.values())
        console.print(
            f"{total} comments analysed: " + ", ".join(f"{k} {v}" for k, v in found.most_common())
        )


def print_board(entries: list[Entry], out: Console) -> None:
    if not entries:
        out.print("no questions")
        return
    for number, entry in enumerate(entries, 1):
        markets = " · ".join(entry.markets)
        out.print(
            f"{number:>2}. {entry.label}  [{entry.count} viewers · {markets}]  “{entry.original}”",
            highlight=False,
            markup=False,
        )
