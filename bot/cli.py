"""The `postlive` command line (Typer). Errors are one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import csv
import functools
import sys
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot import campaigns, coupons
from bot.bootstrap import App, build
from bot.db import session_scope
from bot.errors import PostliveError
from bot.flows import flow_files, load_flow
from bot.models import Campaign, CampaignStatus
from bot.ratelimit import planning_rates
from bot.resources import flows_dir
from bot.settings import Settings

app = typer.Typer(
    help="postlive: post-live-show surveys on WhatsApp and Telegram, digests in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
flows_app = typer.Typer(help="Survey flows.", no_args_is_help=True)
audience_app = typer.Typer(help="Audiences (contacts of a show).", no_args_is_help=True)
coupons_app = typer.Typer(help="Coupon pools.", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns.", no_args_is_help=True)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
app.add_typer(audience_app, name="audience")
app.add_typer(coupons_app, name="coupons")
app.add_typer(campaign_app, name="campaign")
app.add_typer(db_app, name="db")

console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(func: F) -> F:
    """Our errors become one red line and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PostliveError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
            raise typer.Exit(1) from exc
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/red] {exc.filename or exc}: file not found", highlight=False)
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def _app() -> App:
    return build(Settings())


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


# -- flows ---------------------------------------------------------------------------------


@flows_app.command("check")
@clean_errors
def flows_check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Flow files (default: the shipped flows/).")
    ] = None,
) -> None:
    """Validate survey files; every problem is reported with file, line and field."""
    files = paths or flow_files(flows_dir())
    failed = 0
    for path in files:
        try:
            flow = load_flow(path)
        except PostliveError as exc:
            failed += 1
            err.print(str(exc), highlight=False, markup=False)
        else:
            console.print(
                f"[green]ok[/green] {path}: {flow.id} v{flow.version}, "
                f"{len(flow.questions)} questions, {len(flow.locales)} locales"
            )
    if failed:
        raise typer.Exit(1)


# -- audience --------------------------------------------------------------------------------


@audience_app.command("import")
@clean_errors
def audience_import(
    file: Path,
    tag: Annotated[str, typer.Option(help="Audience tag, e.g. the show's code.")],
    channel: str = "whatsapp",
) -> None:
    """Import contacts from a shop's order export (plain CSV, Shopify, TikTok Shop)."""
    from bot.audience import import_audience

    application = _app()
    with _progress() as progress, session_scope(application.engine) as session:
        task = progress.add_task(f"importing {file.name}", total=None)
        report = import_audience(
            session,
            file,
            tag,
            application.clock.now(),
            channel=channel,
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(
        f"{file}: {report.format} export, {report.rows} rows: {report.added} added, "
        f"{report.updated} updated, {report.already} already there, "
        f"{len(report.rejected)} rejected"
    )
    for line, reason in report.rejected[:50]:
        console.print(f"  line {line}: {reason}", highlight=False)
    if len(report.rejected) > 50:
        console.print(f"  … and {len(report.rejected) - 50} more")


# -- coupons -----------------------------------------------------------------------------------


@coupons_app.command("import")
@clean_errors
def coupons_import(file: Path, pool: Annotated[str, typer.Option()]) -> None:
    """Add codes from a file (one per line, or a CSV whose first column or `code` column)."""
    codes = _read_codes(file)
    application = _app()
    with session_scope(application.engine) as session:
        added, present = coupons.import_codes(session, pool, codes)
        free, assigned = coupons.stock(session, pool)
    console.print(
        f"pool {pool}: {added} added, {present} already present; {free} free, {assigned} assigned"
    )


def _read_codes(file: Path) -> list[str]:
    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    column = header.index("code") if "code" in header else 0
    start = 1 if "code" in header else 0
    return [row[column] for row in rows[start:] if len(row) > column]


@coupons_app.command("generate")
@clean_errors
def coupons_generate(
    pool: Annotated[str, typer.Option()],
    count: Annotated[int, typer.Option(min=1, max=1_000_000)],
    prefix: str = "",
) -> None:
    """Create random unique codes (no 0/O or 1/I, easy to read aloud)."""
    application = _app()
    with session_scope(application.engine) as session:
        made = coupons.generate(session, pool, count, prefix=prefix)
        free, assigned = coupons.stock(session, pool)
    console.print(f"pool {pool}: {len(made)} generated; {free} free, {assigned} assigned")


# -- campaigns ---------------------------------------------------------------------------------


@campaign_app.command("start")
@clean_errors
def campaign_start(
    flow: str,
    audience: Annotated[str, typer.Option(help="Audience tag.")],
    pool: Annotated[str | None, typer.Option(help="Coupon pool (default: the flow's).")] = None,
    at: Annotated[str | None, typer.Option(help="ISO time to start from (default: now).")] = None,
    show: Annotated[str, typer.Option(help="The live show's title, used in messages.")] = "",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Start without asking.")] = False,
) -> None:
    """Show the plan (markets, local send times, coupons, skipped), then start."""
    application = _app()
    selected = _flow(application, flow)
    starts_at = _parse_time(at) if at else application.clock.now()
    with session_scope(application.engine) as session:
        plan = campaigns.plan(session, selected, audience, starts_at, pool)
    print_plan(plan)
    if not yes and not typer.confirm("Start this campaign?", default=True):
        raise typer.Exit(1)
    with session_scope(application.engine) as session:
        campaign = campaigns.start(
            session,
            selected,
            audience,
            starts_at,
            application.clock.now(),
            coupon_pool=pool,
            show=show,
            rates=planning_rates(application.settings),
        )
    console.print(
        f"campaign {campaign.id} started; run `postlive serve` or `postlive worker` "
        "to send at each market's local time"
    )


def print_plan(plan: campaigns.Plan) -> None:
    table = Table(title=f"Plan: {plan.flow.id} → audience {plan.audience_tag}")
    for column in ("market", "channel", "recipients", "first send (local)"):
        table.add_column(column)
    for entry in sorted(plan.markets.values(), key=lambda m: (m.market, m.channel)):
        table.add_row(entry.market, entry.channel, str(entry.recipients), entry.first_send_local)
    console.print(table)
    if plan.coupon_pool:
        console.print(
            f"coupons: {plan.coupons_free} free in {plan.coupon_pool!r}, "
            f"{plan.recipients} needed if everyone completes"
        )
    for reason, count in plan.skipped.most_common():
        console.print(f"skipped {count}: {reason}")
    for warning in plan.warnings():
        console.print(f"[yellow]warning:[/yellow] {warning}")


@campaign_app.command("list")
@clean_errors
def campaign_list() -> None:
    from sqlmodel import select

    application = _app()
    table = Table("id", "flow", "audience", "show", "status", "starts")
    with session_scope(application.engine) as session:
        for c in session.exec(select(Campaign).order_by(Campaign.id)).all():  # type: ignore[arg-type]
            table.add_row(
                str(c.id),
                c.flow_id,
                c.audience_tag,
                c.show,
                c.status,
                c.starts_at.isoformat(timespec="minutes") if c.starts_at else "-",
            )
    console.print(table)


@campaign_app.command("status")
@clean_errors
def campaign_status(campaign_id: int) -> None:
    """Conversations per market and state, and delivery failures with reasons."""
    from bot.status import campaign_report

    application = _app()
    with session_scope(application.engine) as session:
        report = campaign_report(session, campaign_id)
    console.print(report.render())


def _set_status(campaign_id: int, status: CampaignStatus) -> None:
    application = _app()
    with session_scope(application.engine) as session:
        campaign = campaigns.set_status(session, campaign_id, status, application.clock.now())
    console.print(f"campaign {campaign.id}: {campaign.status}")


@campaign_app.command("pause")
@clean_errors
def campaign_pause(campaign_id: int) -> None:
    _set_status(campaign_id, CampaignStatus.PAUSED)


@campaign_app.command("resume")
@clean_errors
def campaign_resume(campaign_id: int) -> None:
    _set_status(campaign_id, CampaignStatus.RUNNING)


@campaign_app.command("stop")
@clean_errors
def campaign_stop(campaign_id: int) -> None:
    _set_status(campaign_id, CampaignStatus.STOPPED)


# -- digest, demo, chat --------------------------------------------------------------------------


@app.command("digest")
@clean_errors
def digest_command(
    campaign_id: int,
    chart: Annotated[Path | None, typer.Option(help="Write the chart PNG here.")] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Post it to SLACK_DIGEST_CHANNEL (with the chart).")
    ] = False,
) -> None:
    """Print a campaign digest (figures per market), or post it to Slack."""
    from bot import digest
    from bot.report import render_digest

    application = _app()
    if post:
        from adapters.slack import post_digest

        messages = asyncio.run(post_digest(application, campaign_id))
        console.print(
            f"digest of campaign {campaign_id} posted to "
            f"{application.settings.slack_digest_channel} ({len(messages)} messages + chart)"
        )
        return
    with session_scope(application.engine) as session:
        campaign = campaigns.get(session, campaign_id)
        built = digest.build(
            session,
            campaign,
            application.flows.get(campaign.flow_id),
            token_cap=application.settings.analysis_campaign_token_cap,
            now=application.clock.now(),
        )
    console.print(render_digest(built))
    if chart:
        console.print(f"chart: {digest.chart(built, chart)}")


@app.command("demo")
@clean_errors
def demo_command(
    workdir: Annotated[Path, typer.Option(help="Where the demo database and chart go.")] = Path(
        "demo-output"
    ),
) -> None:
    """Run a whole campaign with simulated customers in 11 markets; print the digest."""
    from bot import demo, digest
    from bot.report import render_digest

    with console.status("running the demo campaign…") as status:
        result = demo.run(workdir, progress=lambda msg: status.update(msg))
    with session_scope(result.app.engine) as session:
        campaign = campaigns.get(session, result.campaign_id)
        built = digest.build(session, campaign, result.app.flows[campaign.flow_id])
    console.print(render_digest(built))
    console.print(
        f"{result.messages} messages sent to simulated customers, {result.duplicates} duplicates"
    )
    console.print(f"chart: {result.chart}")


@app.command("chat")
@clean_errors
def chat_command(flow: str = "post-live", locale: str = "en") -> None:
    """Answer a survey yourself in the terminal, through the real engine."""
    from bot.chat import run_chat

    run_chat(flow, locale, console)


# -- serving ------------------------------------------------------------------------------------


@app.command("serve")
@clean_errors
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Also run the scheduler and outbox worker.")
    ] = True,
    inbound: Annotated[
        bool,
        typer.Option(
            "--inbound/--no-inbound",
            help="Handle inbound events here too (--no-inbound: acknowledge only, "
            "`postlive worker` handles).",
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, help="Web processes sharing the port (PostgreSQL only)."),
    ] = 1,
    telegram_polling: Annotated[
        bool,
        typer.Option(
            "--telegram-polling", help="Fetch Telegram updates by long polling (no public URL)."
        ),
    ] = False,
) -> None:
    """The web app (webhooks, Slack, /healthz) with its inbound handler and, unless
    --no-worker, the worker. Webhooks are acknowledged once recorded; handling runs
    apart, in every process (several share the load on PostgreSQL)."""
    import os

    import uvicorn

    from bot.http_server import uvicorn_options
    from bot.logs import configure
    from bot.web import create_app

    settings = Settings()
    if workers > 1:
        from sqlalchemy.engine import make_url

        if make_url(settings.database_url).get_backend_name() == "sqlite":
            raise typer.BadParameter(
                "SQLite has one writer: run one process, or use PostgreSQL "
                "(DATABASE_URL=postgresql+psycopg://...) for --workers above 1",
                param_hint="--workers",
            )
        if telegram_polling:
            raise typer.BadParameter("polling runs in one process", param_hint="--workers")
        build(settings)  # migrate once, before the processes start
        configure(settings.log_format, settings.log_level)
        # Each process builds its own world (bot.web.serve_app); the scheduler runs in
        # one of them at a time (leader lock), the outbox and inbound work is shared.
        os.environ["POSTLIVE_SERVE_WORKER"] = "1" if worker else "0"
        os.environ["POSTLIVE_SERVE_INBOUND"] = "1" if inbound else "0"
        uvicorn.run(
            "bot.web:serve_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **uvicorn_options(settings),
        )
        return
    application = build(settings)
    configure(settings.log_format, settings.log_level)
    web = create_app(application, run_worker=worker, handle_inbound=inbound)
    if telegram_polling:
        from adapters.telegram.polling import serve_with_polling

        asyncio.run(serve_with_polling(application, web, host, port))
        return
    uvicorn.run(web, host=host, port=port, **uvicorn_options(settings))


@app.command("worker")
@clean_errors
def worker_command() -> None:
    """Scheduler, outbox worker and inbound handler (for scaled-out deployments)."""
    from bot.logs import configure
    from bot.worker import run_forever

    application = _app()
    configure(application.settings.log_format, application.settings.log_level)

    async def run() -> None:
        import adapters
        from bot.handling import InboundHandler

        adapters.routes(application)  # adapters register their follow-ups (media)
        stop = asyncio.Event()
        handler = asyncio.create_task(InboundHandler(application.intake).run(stop))
        try:
            await run_forever(application)
        finally:
            stop.set()
            await handler

    asyncio.run(run())


@db_app.command("upgrade")
@clean_errors
def db_upgrade() -> None:
    """Apply database migrations (also done on every start)."""
    from bot.db import make_engine, upgrade

    settings = Settings()
    upgrade(make_engine(settings.database_url))
    console.print("database is up to date")


def _flow(application: App, flow_id: str) -> Any:
    from bot.errors import NotFound

    if flow_id not in application.flows:
        raise NotFound("flow", flow_id)
    return application.flows[flow_id]


def _parse_time(text: str) -> datetime:
    from datetime import UTC

    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Commands contributed by feature packages: each module offers register(app).
for _module in (
    "bot.analysis.commands",
    "bot.loop_commands",
    "bot.privacy_commands",
    "adapters.telegram.commands",
):
    import_module(_module).register(app)


def main() -> None:  # pragma: no cover
    app(prog_name="postlive")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
