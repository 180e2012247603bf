"""A postlive with WhatsApp on, its web app, and a fake Twilio on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import App
from bot.settings import Settings
from bot.web import create_app
from tests.handling import HandlingTransport
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import PUBLIC, SENDER


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, tmp_path: Path, twilio: FakeTwilio) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        shop_name="Luna Live Shop",
        media_dir=str(tmp_path / "media"),
        # The trailing slash is stripped: Twilio signs ".../webhooks/whatsapp".
        public_base_url=PUBLIC + "/",
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,  # type: ignore[arg-type]
        twilio_whatsapp_from=SENDER,
        twilio_api_url=twilio.base_url,
        twilio_mps=1000,
    )


@pytest.fixture
async def web(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """The app as Twilio reaches it: through the proxy, at PUBLIC_BASE_URL."""
    transport = HandlingTransport(app=create_app(app), intake=app.intake)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        yield client
