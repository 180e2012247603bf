"""The composition root: settings, database, flows, channels, in one place.

The web app, the worker, the CLI and the tests all build their world here, so there is
one way to wire postlive and tests exercise the same wiring as production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.db import make_engine, upgrade
from bot.delivery import Sender
from bot.dispatch import Dispatcher
from bot.flows import Flow, Window, flow_files, load_flows
from bot.intake import Intake
from bot.resources import flows_dir
from bot.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: Engine
    flows: Mapping[str, Flow]
    clock: Clock
    intake: Intake
    dispatcher: Dispatcher
    senders: dict[str, Sender] = field(default_factory=dict)


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    flow_paths: list[Path] | None = None,
    migrate: bool = True,
) -> App:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    flows = load_flows(flow_paths if flow_paths is not None else flow_files(flows_dir()))
    intake = Intake(engine, flows, clock, shop=settings.shop_name, batch=settings.inbound_batch)
    dispatcher = Dispatcher(
        engine,
        flows,
        clock,
        shop=settings.shop_name,
        quiet_hours=Window.parse(settings.quiet_hours),
    )
    app = App(settings, engine, flows, clock, intake, dispatcher)
    app.senders.update(channel_senders(settings))
    return app


def channel_senders(settings: Settings) -> dict[str, Sender]:
    """The channels configured in `settings`; adapters build their own senders."""
    import adapters

    return adapters.senders(settings)
