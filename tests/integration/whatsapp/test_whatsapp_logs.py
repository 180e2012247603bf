"""A message sent through the real Twilio SDK leaves no SDK lines in the logs at the
default level, and its number never appears in clear, even at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from adapters.whatsapp import sender as build_sender
from bot.logs import configure
from bot.messages import Channel, Outbound
from bot.settings import Settings
from tests.integration.whatsapp.fake_twilio import FakeTwilio
from tests.integration.whatsapp.support import ALICE


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    yield out
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name in ("twilio", "twilio.http_client", "httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.NOTSET)


async def send_one(
    settings: Settings, level: str, out: io.StringIO, open_up: str | None = None
) -> str:
    configure("json", level)
    logging.getLogger().handlers[0].setStream(out)  # type: ignore[attr-defined]
    if open_up:  # an operator opening one SDK logger on purpose, after configure()
        logging.getLogger(open_up).setLevel(logging.DEBUG)
    sender = build_sender(settings)
    assert sender is not None
    message = Outbound(channel=Channel.WHATSAPP, address=ALICE, text="Thanks for your order!")
    return await sender.send(message, key="logs-1")


async def test_the_twilio_sdk_is_silent_at_the_default_level(
    settings: Settings, twilio: FakeTwilio, captured: io.StringIO
) -> None:
    # Without the hold, twilio.http_client writes its request and response lines at INFO.
    sid = await send_one(settings, "INFO", captured)
    assert sid.startswith("SM") and twilio.sent_to(ALICE)
    assert '"logger": "twilio' not in captured.getvalue()


async def test_at_debug_the_sdk_may_speak_but_numbers_and_secrets_stay_hidden(
    settings: Settings, twilio: FakeTwilio, captured: io.StringIO
) -> None:
    await send_one(settings, "DEBUG", captured, open_up="twilio.http_client")
    lines = captured.getvalue()
    assert '"logger": "twilio.http_client"' in lines  # it did speak
    assert ALICE not in lines and ALICE.removeprefix("+") not in lines
    assert twilio.auth_token not in lines
