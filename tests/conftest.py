"""Shared builders. Tests run on a real database: a SQLite file by default, PostgreSQL
when POSTLIVE_TEST_DATABASE_URL points at one (CI runs the suite on both)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App, build
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.delivery import Sender
from bot.messages import Channel, Inbound
from bot.models import AudienceMember, Contact
from bot.services.delivery_now import drain_blocking
from bot.settings import Settings
from tests import network_guard

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


# -- no test reaches the outside world (tests/network_guard.py) -----------------------------
network_guard.install()


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Fails the test that tried to connect outside localhost, after it ran."""
    violations = network_guard.violations
    violations.clear()
    yield
    if violations:
        tried = ", ".join(sorted(set(violations))[:5])
        violations.clear()
        pytest.fail(f"the test tried to reach the network: {tried}", pytrace=False)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    server = os.environ.get("POSTLIVE_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'postlive.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    # A Wednesday 20:00 in New York: inside the US evening window.
    return FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        shop_name="Luna Live Shop",  # type: ignore[call-arg]
        media_dir=str(tmp_path / "media"),
    )


@pytest.fixture
def simulator() -> SimulatorChannel:
    """The in-process channel; a test that asks for it gets an `app` built with it."""
    return SimulatorChannel()


@pytest.fixture
def senders(request: pytest.FixtureRequest) -> Mapping[str, Sender] | None:
    """The senders `app` is built with: the simulator on both channels when the test
    uses it, else None (those the settings configure). A conftest or a test module
    overrides this to build the App with other senders, never by changing `app.senders`."""
    if "simulator" not in request.fixturenames:
        return None
    channel: SimulatorChannel = request.getfixturevalue("simulator")
    return {Channel.WHATSAPP: channel, Channel.TELEGRAM: channel}


@pytest.fixture
def app(
    settings: Settings, clock: FrozenClock, senders: Mapping[str, Sender] | None
) -> Iterator[App]:
    application = build(settings, clock=clock, senders=senders)
    yield application
    application.engine.dispose()


def add_contact(
    app: App,
    address: str,
    *,
    locale: str | None = "en-US",
    country: str = "US",
    timezone: str = "America/New_York",
    tag: str = "show-1",
    consent: bool = True,
    channel: Channel = Channel.WHATSAPP,
) -> int:
    with session_scope(app.engine) as session:
        contact = Contact(
            channel=channel,
            address=address,
            locale=locale,
            country=country,
            timezone=timezone,
            consent=consent,
            created_at=app.clock.now(),
        )
        session.add(contact)
        session.flush()
        session.add(AudienceMember(tag=tag, contact_id=contact.id))
        assert contact.id is not None
        return contact.id


def deliver(app: App) -> int:
    """Deliver everything due now (from sync or async tests); returns how many were sent."""
    return drain_blocking(app.engine, app.senders, app.clock).sent


_counter = iter(range(1, 10**9))


def say(
    app: App,
    address: str,
    text: str | None = None,
    *,
    choice: str | None = None,
    channel: Channel = Channel.WHATSAPP,
    external_id: str | None = None,
    **kw: object,
) -> bool:
    """The customer sends a message; the bot's replies are delivered."""
    inbound = Inbound(
        channel=channel,
        address=address,
        external_id=external_id or f"SM{next(_counter):032d}",
        text=text,
        choice=choice,
        **kw,
    )  # type: ignore[arg-type]
    accepted = app.intake.receive(inbound)
    deliver(app)
    return accepted
