"""`/postlive test` and `/postlive list` in Slack (the CLI's use cases), and test
campaigns kept out of the team's digests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import update

from bot import campaigns
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Campaign, CampaignStatus
from bot.settings import Settings
from tests.conftest import add_contact
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import FakeSlack
from tests.integration.slack.support import STRANGER, SlackClient, digests_posted, final_posted
from tests.integration.whatsapp.fake_twilio import FakeTwilio

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    return settings.model_copy(
        update={
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": SecretStr(twilio.auth_token),
            "twilio_whatsapp_from": "whatsapp:+14155238886",
            "twilio_api_url": twilio.base_url,
        }
    )


async def test_postlive_test_sends_the_survey_to_the_admins_own_phone(
    app: App, slack: SlackClient, fake_slack: FakeSlack, twilio: FakeTwilio
) -> None:
    await slack.command("test post-live --to '+49 151 12345678' --locale de")
    assert len(twilio.sent_to("+4915112345678")) == 1
    answer = fake_slack.responses[-1]["text"]
    assert "test campaign 1: post-live in de sent to +4915112345678 on whatsapp" in answer
    with session_scope(app.engine) as session:
        campaign = campaigns.get(session, 1)
        assert campaign.is_test


async def test_a_stranger_cannot_send_tests(
    app: App, slack: SlackClient, fake_slack: FakeSlack, twilio: FakeTwilio
) -> None:
    response = await slack.command("test post-live --to +4915112345678", user=STRANGER)
    assert "Only postlive admins" in response.text
    assert twilio.sent_to("+4915112345678") == []


async def test_postlive_list_shows_the_latest_campaigns(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    add_contact(app, "+12125550101")
    now = app.clock.now()
    with session_scope(app.engine) as session:
        campaigns.start(session, app.flows["post-live"], "show-1", now, now, show="Knits")
    await slack.command("list")
    assert "1 · post-live → show-1 · Knits · running" in fake_slack.responses[-1]["text"]


async def test_test_campaigns_get_no_daily_nor_final_digest(
    app: App, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 4, themes=1)
    with session_scope(app.engine) as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == seeded.campaign_id)  # type: ignore[arg-type]
            .values(is_test=True, digest_time="09:00")
        )
    assert await digests_posted(app) == 0
    with session_scope(app.engine) as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == seeded.campaign_id)  # type: ignore[arg-type]
            .values(status=CampaignStatus.COMPLETED, ended_at=app.clock.now())
        )
    assert await final_posted(app, seeded.campaign_id) is False
    assert fake_slack.files == []
