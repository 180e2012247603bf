"""Slack tests: the real slack-bolt app and slack-sdk client against a local fake Web API,
requests signed with the signing secret exactly as Slack signs them, the real web app,
database, outbox and (for translations) the real openai SDK against a local fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.settings import Settings
from bot.web import create_app
from tests.handling import HandlingTransport
from tests.integration.analysis.fake_openai import FakeOpenAI
from tests.integration.slack.fake_slack import ALERTS, DIGESTS, SIGNING_SECRET, FakeSlack
from tests.integration.slack.support import ADMIN, AGENT, SlackClient


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, fake_slack: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(fake_slack.token),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": fake_slack.api_url,
            "slack_digest_channel": DIGESTS,
            "slack_alert_channel": ALERTS,
            "slack_admin_users": [ADMIN],
            "slack_agent_users": [AGENT],
            # Slack's pace is one message per second per channel; tests keep it, faster.
            "slack_channel_mps": 100.0,
        }
    )


@pytest.fixture
def team(app: App) -> SlackTeam:
    assert app.slack is not None
    return app.slack


@pytest.fixture
async def slack(app: App, team: SlackTeam, fake_slack: FakeSlack) -> AsyncIterator[SlackClient]:
    web = create_app(app)
    # Each request is followed by the inbound handler, as the handler loop of a serving
    # process would apply a recorded click shortly after its ack (tests about the ack
    # alone build a plain client: test_slack_durable).
    async with httpx.AsyncClient(
        transport=HandlingTransport(app=web, intake=app.intake), base_url="https://postlive.test"
    ) as client:
        yield SlackClient(client, team, fake_slack)


@pytest.fixture
async def plain(app: App, team: SlackTeam, fake_slack: FakeSlack) -> AsyncIterator[SlackClient]:
    """Posts to /slack/events and waits for the listener, without running the handler:
    the durable tests run it themselves."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(app)), base_url="https://postlive.test"
    ) as client:
        yield SlackClient(client, team, fake_slack)
