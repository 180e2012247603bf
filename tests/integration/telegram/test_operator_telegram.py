"""The operator's day on Telegram: a test send to their own chat through the real PTB
sender, and a broken survey file that must not take the webhooks down."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from adapters.telegram import TelegramSender
from bot.bootstrap import App
from bot.db import session_scope
from bot.flow_catalog import FlowCatalog
from bot.models import Campaign, Coupon
from bot.resources import flows_dir
from bot.services.test_send import send_test
from bot.settings import Settings
from tests.conftest import DATA, deliver
from tests.integration.telegram.builders import message_update, post_update
from tests.integration.telegram.fake_bot_api import FakeBotApi

OPERATOR_CHAT = "700999111"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """FLOWS_DIR holds a good survey and, beside it, a six-question one."""
    folder = tmp_path / "my-flows"
    folder.mkdir()
    shutil.copy(DATA / "flows" / "six-questions.yaml", folder / "six-questions.yaml")
    good = (flows_dir() / "post-live.yaml").read_text(encoding="utf-8")
    (folder / "after-show.yaml").write_text(
        good.replace("id: post-live", "id: after-show", 1), encoding="utf-8"
    )
    return settings.model_copy(update={"flows_dir": [str(folder)]})


def test_a_broken_survey_beside_a_good_one_is_skipped_and_webhooks_are_answered(
    app: App, client: TestClient, bot_api: FakeBotApi
) -> None:
    assert isinstance(app.flows, FlowCatalog)
    assert {"after-show", "post-live"} <= set(app.flows)
    assert [broken.path.name for broken in app.flows.broken] == ["six-questions.yaml"]
    assert "at most 5 questions" in str(app.flows.broken[0])
    assert app.flows.sources["after-show"].origin == "FLOWS_DIR"
    assert client.get("/healthz").status_code == 200
    assert post_update(client, message_update("700100200", "halo")) == 200
    deliver(app)
    assert bot_api.received("sendMessage", "700100200")  # answered


def test_campaign_test_reaches_the_operators_own_chat_at_once_and_stays_a_test(
    app: App, telegram: TelegramSender, bot_api: FakeBotApi
) -> None:
    sent = asyncio.run(send_test(app, "after-show", OPERATOR_CHAT, locale="de"))
    assert sent.accepted == 1 and sent.channel == "telegram" and sent.locale == "de"
    german_intro = app.flows["after-show"].text("intro", "de").split("{")[0]
    assert german_intro.strip()
    assert german_intro in bot_api.last_message(OPERATOR_CHAT)["text"]
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, sent.campaign_id)
        assert campaign is not None
        assert campaign.is_test and campaign.ignore_windows
        assert campaign.coupon_pool == "post-live-test"
        test_codes = session.exec(select(Coupon.code).where(Coupon.pool == "post-live-test")).all()
        real_codes = session.exec(select(Coupon.code).where(Coupon.pool == "post-live")).all()
    assert test_codes and all(code.startswith("TEST-") for code in test_codes)
    assert real_codes == []  # no real code is spent on a test
