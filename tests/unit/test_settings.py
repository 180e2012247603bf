"""Every setting is documented where a newcomer looks for it."""

from __future__ import annotations

import re

from bot.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_in_env_example_and_nothing_else_is() -> None:
    documented = set(
        re.findall(
            r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M
        )
    )
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from .env.example"
    assert documented - fields == set(), ".env.example names settings that do not exist"


def test_an_empty_token_leaves_the_channel_off() -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token="",
        slack_bot_token=" ",  # type: ignore[call-arg]
        slack_signing_secret="x",
        twilio_account_sid="AC1",
        twilio_auth_token="",
        twilio_whatsapp_from="whatsapp:+1",
    )
    assert not (settings.telegram_enabled or settings.slack_enabled or settings.whatsapp_enabled)
    assert Settings(_env_file=None, telegram_bot_token="1:abc").telegram_enabled  # type: ignore[call-arg]


def test_admin_users_are_a_comma_list() -> None:
    settings = Settings(_env_file=None, slack_admin_users="U1, U2,,U3 ")  # type: ignore[call-arg]
    assert settings.slack_admin_users == ["U1", "U2", "U3"]
