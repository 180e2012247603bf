"""Viewers join a live show's audience by its code: Telegram deep link, WhatsApp text, and
the QR codes and webhook registration the shop sets up for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from adapters.simulator import SimulatorChannel
from bot import campaigns
from bot.bootstrap import App
from bot.cli import app as cli
from bot.db import session_scope
from bot.join import register_show
from bot.messages import Channel
from bot.models import AudienceMember, Contact, Show
from bot.phrases import phrase
from bot.settings import Settings
from tests.conftest import deliver, say
from tests.integration.telegram.builders import SECRET, message_update, post_update
from tests.integration.telegram.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.timeout(60)
VIEWER = "700555001"


def add_show(app: App, code: str = "LUNA1125", tag: str = "show-1125") -> None:
    with session_scope(app.engine) as session:
        register_show(session, code, tag, "Winter Knits", app.clock.now())


def member(app: App, channel: Channel, address: str) -> tuple[Contact, list[str]]:
    with session_scope(app.engine) as session:
        contact = session.exec(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        ).one()
        tags = session.exec(
            select(AudienceMember.tag).where(AudienceMember.contact_id == contact.id)
        ).all()
    return contact, list(tags)


def test_a_viewer_who_opens_the_deep_link_joins_the_show_with_consent(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    add_show(app)
    assert post_update(client, message_update(VIEWER, "/start LUNA1125", language="ja")) == 200
    deliver(app)
    contact, tags = member(app, Channel.TELEGRAM, VIEWER)
    assert contact.consent is True and contact.consent_source == "join:telegram"
    assert contact.locale == "ja" and tags == ["show-1125"]
    welcome = bot_api.received("sendMessage", VIEWER)
    assert [m["text"] for m in welcome] == [phrase("join_welcome", "ja", shop="Luna Live Shop")]
    with session_scope(app.engine) as session:  # the show's survey will reach them
        plan = campaigns.plan(session, app.flows["post-live"], "show-1125", app.clock.now())
    assert plan.recipients == 1 and not plan.skipped


def test_an_unknown_code_is_just_a_message(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    add_show(app)
    post_update(client, message_update(VIEWER, "/start NOPE2024", language="de"))
    deliver(app)
    contact, tags = member(app, Channel.TELEGRAM, VIEWER)
    assert contact.consent is False and tags == []
    reply = bot_api.last_message(VIEWER)["text"]
    assert reply == phrase("no_open_conversation", "de", shop="Luna Live Shop")


@pytest.mark.parametrize("typed", ["LUNA1125", "luna1125", " ＬＵＮＡ１１２５ "])
def test_a_whatsapp_viewer_joins_by_sending_the_code(
    app: App, simulator: SimulatorChannel, typed: str
) -> None:
    add_show(app)
    say(app, "+6281234567890", typed, language_hint="id")
    contact, tags = member(app, Channel.WHATSAPP, "+6281234567890")
    assert contact.consent is True and contact.consent_source == "join:whatsapp"
    assert tags == ["show-1125"]
    welcome = simulator.last("+6281234567890")
    assert welcome is not None and welcome.kind == "join_welcome"
    assert welcome.text == phrase("join_welcome", "id", shop="Luna Live Shop")


def test_joining_again_after_stop_is_a_fresh_opt_in(app: App, simulator: SimulatorChannel) -> None:
    add_show(app)
    say(app, "+6281234567890", "BERHENTI")
    assert member(app, Channel.WHATSAPP, "+6281234567890")[0].opted_out_at is not None
    say(app, "+6281234567890", "LUNA1125")
    contact, tags = member(app, Channel.WHATSAPP, "+6281234567890")
    assert contact.opted_out_at is None and contact.consent and tags == ["show-1125"]
    say(app, "+6281234567890", "LUNA1125")  # twice: still one membership, one more welcome
    assert member(app, Channel.WHATSAPP, "+6281234567890")[1] == ["show-1125"]
    kinds = [m.kind for m in simulator.transcripts["+6281234567890"]]
    assert kinds == ["stop_confirm", "join_welcome", "join_welcome"]


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token.get_secret_value(),  # type: ignore[union-attr]
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "PUBLIC_BASE_URL": "https://shop.example.test/",
    }.items():
        monkeypatch.setenv(name, value)
    return settings


def test_qr_registers_the_show_and_writes_both_codes(
    app: App, env: Settings, tmp_path: Path
) -> None:
    png = tmp_path / "screen" / "join.png"
    result = CliRunner().invoke(
        cli,
        ["qr", "--show", "LUNA1125", "--tag", "show-1125", "--title", "Winter Knits"]
        + ["--out", str(png)],
    )
    assert result.exit_code == 0, result.output
    assert "https://t.me/luna_live_bot?start=LUNA1125" in result.output
    assert "https://wa.me/14155238886?text=LUNA1125" in result.output
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 2 * image.height / 1.5
    with session_scope(app.engine) as session:
        show = session.get(Show, "LUNA1125")
    assert show is not None and show.audience_tag == "show-1125" and show.title == "Winter Knits"


def test_qr_for_an_unregistered_show_or_a_bad_code_is_one_clear_line(
    app: App, env: Settings
) -> None:
    unknown = CliRunner().invoke(cli, ["qr", "--show", "NOPE2024", "--bot-username", "luna_bot"])
    assert unknown.exit_code == 1 and "pass --tag" in unknown.output
    bad = CliRunner().invoke(cli, ["qr", "--show", "5", "--tag", "t"])
    assert bad.exit_code == 1 and "show code '5'" in bad.output
    assert "Traceback" not in unknown.output + bad.output


def test_set_webhook_registers_the_public_url_with_the_secret(
    app: App, env: Settings, bot_api: FakeBotApi
) -> None:
    result = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert result.exit_code == 0, result.output
    assert bot_api.webhook == {
        "url": "https://shop.example.test/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
        "drop_pending_updates": "false",
    }
    assert "@luna_live_bot" in result.output


def test_set_webhook_refuses_a_plain_http_url_and_a_bad_token_without_printing_it(
    app: App, env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:8000")
    insecure = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert insecure.exit_code == 1 and "https" in insecure.output
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example.test")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:wrong-token")
    refused = CliRunner().invoke(cli, ["telegram", "set-webhook"])
    assert refused.exit_code == 1 and "rejected" in refused.output
    assert "999:wrong-token" not in refused.output
