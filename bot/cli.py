"""The `postlive` command line (Typer). Errors are one clear line and a non-zero exit."""

from __future__ import annotations

import sys
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# Typer carries its own copy of click (typer._click): its group speaks that copy's types,
# and only that copy's UsageError is turned into a usage message.
from typer._click import core as click
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

from bot import cli_common
from bot.cli_common import clean_errors, console, database, err, load_app, progress
from bot.flow_commands import flows_app

if TYPE_CHECKING:

    from bot import campaigns
    from bot.models import CampaignStatus

# Every command imports what it uses inside its body: `postlive --help` must not pay for
# SQLAlchemy, Alembic, the platform SDKs or the analysis stack (benchmarks/cli_startup.py).


class FeatureGroup(TyperGroup):
    """The top-level group: commands of feature packages are listed from FEATURE_COMMANDS
    and their module is imported only when one of them runs (or shows its own help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return [*names, *(n for n in _feature_names() if n not in names)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _feature_names():
            # A stand-in for the listing; resolve_command swaps in the real one to run it.
            return _FeatureStub(cmd_name, help=_feature_names()[cmd_name][1])
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _FeatureStub):
            command = _load_feature(ctx, command.name or "")
        return name, command, rest


class _FeatureStub(TyperCommand):
    pass


def _feature_names() -> dict[str, tuple[str, str]]:
    """command name -> (module, one-line help)."""
    return {
        name: (module, help_text)
        for module, commands in FEATURE_COMMANDS.items()
        for name, help_text in commands.items()
    }


def _load_feature(ctx: click.Context, name: str) -> click.Command:
    module, _ = _feature_names()[name]
    holder = typer.Typer()
    import_module(module).register(holder)
    group = typer.main.get_group(holder)
    command = group.get_command(ctx, name)
    if command is None:  # pragma: no cover - FEATURE_COMMANDS out of step with the module
        raise UsageError(f"{module} does not offer {name!r}")
    return command


app = typer.Typer(
    help="postlive: post-live-show surveys on WhatsApp and Telegram, digests in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=FeatureGroup,
    rich_markup_mode=None,
)
audience_app = typer.Typer(help="Audiences (contacts of a show).", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns.", no_args_is_help=True)
db_app = typer.Typer(help="Database.", no_args_is_help=True)


@app.callback()
def _each_command() -> None:
    # Each command reads the environment afresh, once (cli_common.settings).
    cli_common.forget_settings()


app.add_typer(flows_app, name="flows")  # bot/flow_commands.py
app.add_typer(audience_app, name="audience")
app.add_typer(campaign_app, name="campaign")
app.add_typer(db_app, name="db")


# Shared by every command module (bot.cli_common): command modules import that, not this.
_app = load_app
_database = database
_progress = progress


# -- flows ---------------------------------------------------------------------------------


# -- audience --------------------------------------------------------------------------------


@audience_app.command("import")
@clean_errors
def audience_import(
    file: Path,
    tag: Annotated[str, typer.Option(help="Audience tag, e.g. the show's code.")],
    channel: str = "whatsapp",
    consent_from_column: Annotated[
        str | None,
        typer.Option(help="The column that records WhatsApp/SMS consent (yes, true, 1...)."),
    ] = None,
    assume_whatsapp_consent: Annotated[
        bool,
        typer.Option(
            "--assume-whatsapp-consent",
            help="Every contact in the file opted in to WhatsApp (you collected it elsewhere).",
        ),
    ] = False,
) -> None:
    """Import contacts from a shop's order export (plain CSV, Shopify, TikTok Shop).

    Only SMS/WhatsApp consent columns count as WhatsApp consent; Shopify's "Accepts
    Marketing" is e-mail consent. Contacts without it are imported and then skipped by
    campaigns."""
    from bot.audience import import_audience
    from bot.db import session_scope

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
            consent_column=consent_from_column,
            assume_consent=assume_whatsapp_consent,
        )
    console.print(
        f"{file}: {report.format} export, {report.rows} rows: {report.added} added, "
        f"{report.updated} updated, {report.already} already there, "
        f"{len(report.rejected)} rejected"
    )
    if report.without_consent and channel == "whatsapp":
        console.print(
            f"{report.without_consent} contacts without WhatsApp consent: campaigns skip them "
            "(--consent-from-column COLUMN or --assume-whatsapp-consent if you have it)",
            highlight=False,
        )
    for line, reason in report.rejected[:50]:
        console.print(f"  line {line}: {reason}", highlight=False)
    if len(report.rejected) > 50:
        console.print(f"  … and {len(report.rejected) - 50} more")


# -- campaigns ---------------------------------------------------------------------------------


@campaign_app.command("start")
@clean_errors
def campaign_start(
    flow: Annotated[str, typer.Argument(help="A flow id, or the path of a flow file.")],
    audience: Annotated[str, typer.Option(help="Audience tag.")],
    pool: Annotated[str | None, typer.Option(help="Coupon pool (default: the flow's).")] = None,
    at: Annotated[
        str | None, typer.Option(help="ISO time to start from, or `now` (the default).")
    ] = None,
    show: Annotated[str, typer.Option(help="The live show's title, used in messages.")] = "",
    now: Annotated[
        bool,
        typer.Option(
            "--now",
            "--ignore-windows",
            help="Send at once, even to markets outside their local send window.",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Start without asking.")] = False,
) -> None:
    """Show the plan (markets, local send times, coupons, skipped), then start."""
    from bot import campaigns
    from bot.db import session_scope
    from bot.flow_catalog import resolve
    from bot.ratelimit import planning_rates
    from bot.services import campaign_control
    from bot.services.actors import operator

    application = _app()
    selected, path = resolve(application.flows, flow)
    starts_at = _parse_time(at, application.clock.now())
    with session_scope(application.engine) as session:
        plan = campaigns.plan(session, selected, audience, starts_at, pool, ignore_windows=now)
    print_plan(plan)
    campaigns.require_channels(plan, application.settings)
    outside = sum(m.outside_window for m in plan.outside_windows())
    question = (
        f"Send now to {outside} recipients outside their market's window?"
        if outside
        else "Start this campaign?"
    )
    if not yes and not confirm(question, "--yes"):
        raise typer.Exit(1)
    campaign = campaign_control.start(
        application.engine,
        application.flows,
        selected,
        audience,
        pool=pool,
        at=starts_at,
        now=application.clock.now(),
        actor=operator(),
        show=show,
        rates=planning_rates(application.settings),
        ignore_windows=now,
        flow_path=str(path) if path else None,
    )
    when = "at once" if now else "at each market's local time"
    console.print(
        f"campaign {campaign.id} started; run `postlive serve` or `postlive worker` to send {when}"
    )


@campaign_app.command("test")
@clean_errors
def campaign_test(
    flow: Annotated[str, typer.Argument(help="A flow id, or the path of a flow file.")],
    to: Annotated[
        str,
        typer.Option("--to", help="Your own WhatsApp number (+country code) or Telegram chat id."),
    ],
    locale: Annotated[str | None, typer.Option(help="Language to test, e.g. ja or pt-BR.")] = None,
    channel: Annotated[
        str | None, typer.Option(help="whatsapp or telegram (default: from the address).")
    ] = None,
) -> None:
    """Send the survey to yourself now, through the real channel: whatever the hour, a
    coupon from a test pool, kept out of digests and figures."""
    import asyncio

    from bot.services.test_send import send_test

    application = _app()
    sent = asyncio.run(send_test(application, flow, to, channel=channel, locale=locale))
    if not sent.accepted:
        err.print(
            f"[red]error:[/red] test campaign {sent.campaign_id}: {sent.channel} did not "
            f"accept the intro to {sent.address}: {sent.failure}",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"test campaign {sent.campaign_id}: {sent.flow_id} in {sent.locale} sent to "
        f"{sent.address} on {sent.channel}"
        + (f" (coupons from pool {sent.coupon_pool!r})" if sent.coupon_pool else "")
        + "; answer it from your phone while `postlive serve` runs",
        highlight=False,
    )


def confirm(question: str, flag: str) -> bool:
    """Ask on the terminal; with none (a script, CI), fail at once naming the flag that
    answers it, rather than read an empty line and abort as if the operator said no."""
    if not sys.stdin.isatty():
        err.print(
            f"[red]error:[/red] {question} needs an answer and there is no terminal "
            f"to ask on: pass {flag}",
            highlight=False,
        )
        raise typer.Exit(2)
    return typer.confirm(question, default=True)


def print_plan(plan: campaigns.Plan) -> None:
    from rich.table import Table

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
    for entry in sorted(plan.outside_windows(), key=lambda m: (m.market, m.channel)):
        console.print(
            f"[yellow]outside its window:[/yellow] {entry.market} ({entry.channel}): "
            f"{entry.outside_window} recipients get it now, not at {entry.window} local time",
            highlight=False,
        )
    for reason, count in plan.skipped.most_common():
        console.print(f"skipped {count}: {reason}")
    for warning in plan.warnings():
        console.print(f"[yellow]warning:[/yellow] {warning}")


@campaign_app.command("list")
@clean_errors
def campaign_list(
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 50,
) -> None:
    """Campaigns, newest first: flow, audience, show, status (tests marked), start."""
    from rich.table import Table

    from bot import campaigns
    from bot.db import session_scope

    table = Table("id", "flow", "audience", "show", "status", "starts")
    with session_scope(_database()) as session:
        for c in campaigns.recent(session, limit):
            table.add_row(
                str(c.id),
                c.flow_id,
                c.audience_tag,
                c.show,
                f"{c.status} (test)" if c.is_test else c.status,
                c.starts_at.isoformat(timespec="minutes") if c.starts_at else "-",
            )
    console.print(table)


@campaign_app.command("status")
@clean_errors
def campaign_status(campaign_id: int) -> None:
    """Conversations per market and state, and delivery failures with reasons."""
    from bot.services import campaign_control

    console.print(campaign_control.report(_database(), campaign_id).render())


def _set_status(campaign_id: int, status: CampaignStatus) -> None:
    from bot.services import campaign_control
    from bot.services.actors import operator

    application = _app()
    campaign = campaign_control.set_status(
        application.engine, campaign_id, status, actor=operator(), now=application.clock.now()
    )
    console.print(f"campaign {campaign.id}: {campaign.status}")


@campaign_app.command("pause")
@clean_errors
def campaign_pause(campaign_id: int) -> None:
    from bot.models import CampaignStatus

    _set_status(campaign_id, CampaignStatus.PAUSED)


@campaign_app.command("resume")
@clean_errors
def campaign_resume(campaign_id: int) -> None:
    from bot.models import CampaignStatus

    _set_status(campaign_id, CampaignStatus.RUNNING)


@campaign_app.command("stop")
@clean_errors
def campaign_stop(campaign_id: int) -> None:
    from bot.models import CampaignStatus

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
    import asyncio

    from bot import digest
    from bot.report import render_digest
    from bot.services import digests

    application = _app()
    if post:
        messages = asyncio.run(application.post_digest(campaign_id))
        console.print(
            f"digest of campaign {campaign_id} posted to "
            f"{application.settings.slack_digest_channel} ({len(messages)} messages + chart)"
        )
        return
    built = digests.build(
        application.engine,
        application.flows,
        campaign_id,
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
    from bot import campaigns, demo, digest
    from bot.db import session_scope
    from bot.report import render_digest

    with console.status("running the demo campaign…") as status:
        result = demo.run(workdir, progress=lambda msg: status.update(msg))
    console.print(result.live, highlight=False, markup=False)
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

    run_chat(flow, locale, console, flows_dir=cli_common.settings().flows_dir)


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
    import asyncio
    import os

    import uvicorn

    from bot.bootstrap import build
    from bot.http_server import uvicorn_options
    from bot.logs import configure
    from bot.startup_heap import freeze_startup_heap
    from bot.web import create_app

    settings = cli_common.settings()
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
        # Each process builds its own world (bot.web_processes.serve_app); the scheduler runs in
        # one of them at a time (leader lock), the outbox and inbound work is shared.
        os.environ["POSTLIVE_SERVE_WORKER"] = "1" if worker else "0"
        os.environ["POSTLIVE_SERVE_INBOUND"] = "1" if inbound else "0"
        uvicorn.run(
            "bot.web_processes:serve_app",
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
    freeze_startup_heap()
    if telegram_polling and application.serve_with_polling is not None:
        asyncio.run(application.serve_with_polling(application, web, host, port))
        return
    uvicorn.run(web, host=host, port=port, **uvicorn_options(settings))


@app.command("worker")
@clean_errors
def worker_command() -> None:
    """Scheduler, outbox worker and inbound handler (for scaled-out deployments)."""
    import asyncio

    from bot.logs import configure
    from bot.startup_heap import freeze_startup_heap
    from bot.worker import run_forever

    application = _app()
    configure(application.settings.log_format, application.settings.log_level)

    async def run() -> None:
        from bot.handling import InboundHandler

        application.adapter_routes(application)  # adapters register their follow-ups (media)
        freeze_startup_heap()
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

    settings = cli_common.settings()
    upgrade(make_engine(settings.database_url))
    console.print("database is up to date")


def _parse_time(text: str | None, now: datetime) -> datetime:
    """An ISO time (UTC when it names no zone), or `now`."""
    from datetime import UTC

    if text is None or text.strip().lower() == "now":
        return now
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO time nor `now`: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: Commands contributed by feature packages: module -> {command: one-line help}. Each
#: module offers register(app) and is imported only when one of its commands runs.
FEATURE_COMMANDS: dict[str, dict[str, str]] = {
    "bot.analysis.commands": {
        "analyze": "Analyse free text from any source: a summary, JSON lines with --json.",
    },
    "bot.coupon_commands": {
        "coupons": "Coupon pools: offers, codes, the shop's side and redemptions.",
    },
    "bot.loop_commands": {
        "loop": 'Adopt a theme and queue a "you said, we did" message to each contributor.'
    },
    "bot.privacy_commands": {
        "contacts": "Contacts and their personal data.",
        "export": "Export a campaign's answers for the team (one row per answer).",
    },
    "adapters.live.commands": {
        "live": "Live question radar: what viewers ask during a show.",
        "comments": "Live comments kept with their show.",
    },
    "adapters.telegram.commands": {
        "telegram": "Telegram bot.",
        "qr": "Write the QR codes (Telegram and WhatsApp) that join a live show's audience.",
    },
}


def main() -> None:  # pragma: no cover
    app(prog_name="postlive")


if __name__ == "__main__":  # pragma: no cover
    main()
