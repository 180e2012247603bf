"""Telegram tests: the real PTB client against a local fake Bot API, the real web app,
database, engine and outbox."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from adapters.telegram import TelegramSender
from adapters.telegram.client import LoopBot
from bot.bootstrap import App, channel_senders
from bot.delivery import Sender
from bot.messages import Channel
from bot.settings import Settings
from bot.web import create_app
from tests.handling import HandlingTestClient
from tests.integration.telegram.builders import SECRET
from tests.integration.telegram.fake_bot_api import FakeBotApi


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def settings(settings: Settings, bot_api: FakeBotApi) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(bot_api.token),
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_url": bot_api.url,
            "public_base_url": "https://shop.example.test",
            "twilio_whatsapp_from": "whatsapp:+14155238886",
        }
    )


@pytest.fixture
def telegram(settings: Settings) -> TelegramSender:
    """The production sender, paced for a test: back-to-back replies in one chat would
    otherwise wait a real second each (the production pace has its own test). A test
    that asks for it gets an `app` built with it (see `senders`)."""
    return TelegramSender(LoopBot(settings))


@pytest.fixture
def senders(
    senders: Mapping[str, Sender] | None, settings: Settings, request: pytest.FixtureRequest
) -> Mapping[str, Sender] | None:
    """As everywhere (tests/conftest.py), and the paced `telegram` sender when used."""
    if "telegram" not in request.fixturenames:
        return senders
    configured = channel_senders(settings) if senders is None else senders
    return {**configured, Channel.TELEGRAM: request.getfixturevalue("telegram")}


@pytest.fixture
def client(app: App, telegram: TelegramSender) -> Iterator[TestClient]:
    with HandlingTestClient(create_app(app), intake=app.intake) as test_client:
        yield test_client
