"""The composition root: settings, database, flows, channels, translator, the team's
Slack and the periodic jobs, in one place.

The web app, the worker, the CLI and the tests all build their world here, so there is
one way to wire postlive and tests exercise the same wiring as production. Tests replace
parts by construction (`build(settings, clock=..., senders=...)`), never by mutation.
This is the only module of `bot/` that imports `adapters/`: adapters register here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

import adapters
from bot.campaigns import flow_path_finder
from bot.clock import Clock, SystemClock
from bot.db import make_engine, upgrade
from bot.delivery import Sender
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.flows import Flow, Window, load_flows
from bot.intake import Intake
from bot.settings import Settings
from bot.translation import Translator

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from adapters.simulator import SimulatorChannel
    from adapters.slack.team import SlackTeam
    from bot.messages import Outbound
    from bot.scheduler import JobSpec
    from bot.shop import CouponShop

_UNSET: Any = object()


@dataclass
class App:
    settings: Settings
    engine: Engine
    flows: Mapping[str, Flow]
    clock: Clock
    intake: Intake
    dispatcher: Dispatcher
    senders: dict[str, Sender] = field(default_factory=dict)
    #: Puts the team's words into a customer's language; None without an OpenAI key.
    translator: Translator | None = None
    #: The team's Slack (None when Slack is not configured).
    slack: SlackTeam | None = None
    #: HTTP routes and periodic jobs the adapters add (set by `build`).
    adapter_routes: Callable[[App], list[BaseRoute]] = lambda _app: []
    adapter_jobs: Callable[[App], list[JobSpec]] = lambda _app: []
    #: `postlive serve --telegram-polling`: uvicorn and the Telegram poller together.
    serve_with_polling: Callable[[App, Any, str, int], Coroutine[Any, Any, None]] | None = None

    async def post_digest(self, campaign_id: int, channel: str | None = None) -> list[Any]:
        """Post a campaign's digest to Slack now (default SLACK_DIGEST_CHANNEL)."""
        return await adapters.post_digest(self, campaign_id, channel)

    def coupon_shop(self) -> CouponShop | None:
        """The shop where coupon codes must exist (Shopify), None when not configured."""
        return adapters.coupon_shop(self.settings)

    def replay_live_demo(self, show: str) -> Any:
        """The demo's short live show replayed into the radar (adapters.live)."""
        return adapters.replay_live_demo(self, show)

    def live_board(self, session: Any, url: str) -> Any:
        """The radar's board in Slack, edited in place (None without SLACK_LIVE_CHANNEL)."""
        return adapters.live_board(self, session, url)

    async def erase_quotes(self) -> int:
        """Edit Slack messages that quote forgotten customers to "erased" now."""
        return await adapters.erase_quotes(self)


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    flow_paths: list[Path] | None = None,
    migrate: bool = True,
    senders: Mapping[str, Sender] | None = None,
    translator: Translator | None = _UNSET,
) -> App:
    """The whole application from `settings`. `senders` replaces the configured channel
    senders (the demo's simulator, tests); `translator` replaces the OpenAI one."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    flows: Mapping[str, Flow]
    if flow_paths is not None:
        flows = load_flows(flow_paths)
    else:
        # FLOWS_DIR first, then the shipped flows; broken files are reported and skipped.
        flows = FlowCatalog.discover(settings.flows_dir, find_path=flow_path_finder(engine))
    intake = Intake(engine, flows, clock, shop=settings.shop_name, batch=settings.inbound_batch)
    dispatcher = Dispatcher(
        engine,
        flows,
        clock,
        shop=settings.shop_name,
        quiet_hours=Window.parse(settings.quiet_hours),
    )
    app = App(
        settings,
        engine,
        flows,
        clock,
        intake,
        dispatcher,
        senders=dict(senders) if senders is not None else channel_senders(settings),
        translator=adapters.translator(settings) if translator is _UNSET else translator,
        adapter_routes=adapters.routes,
        adapter_jobs=adapters.jobs,
        serve_with_polling=adapters.serve_with_polling,
    )
    app.slack = adapters.slack_team(app)
    # The team's posts (Slack digests, alerts) are outbox rows sent by the same worker.
    for channel, sender in adapters.team_senders(app).items():
        app.senders.setdefault(channel, sender)
    return app


def channel_senders(settings: Settings) -> dict[str, Sender]:
    """The channels configured in `settings`; adapters build their own senders."""
    return adapters.senders(settings)


def simulator(on_message: Callable[[Outbound], None] | None = None) -> SimulatorChannel:
    """The in-process channel of `postlive demo` and `postlive chat` (pass it to `build`
    as the senders): customers' messages land in a transcript instead of a platform."""
    from adapters.simulator import SimulatorChannel

    return SimulatorChannel(on_message=on_message)
