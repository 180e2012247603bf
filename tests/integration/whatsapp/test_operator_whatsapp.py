"""The operator's day on WhatsApp: `postlive campaign test` sends the survey to their own
phone at once through the real Twilio SDK (a local fake Twilio at the network edge),
the window override sends now on purpose, and the digest counts only accepted sends."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot import campaigns, digest
from bot.bootstrap import App
from bot.cli import app as cli
from bot.cli import print_plan
from bot.db import session_scope
from bot.models import Campaign
from bot.settings import Settings
from tests.conftest import add_contact, deliver
from tests.integration.whatsapp.fake_twilio import FakeTwilio

OPERATOR = "+81 90-1234-5678"  # as people write their own number


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads its settings from the environment, as in production."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", settings.twilio_account_sid or "")
    token = settings.twilio_auth_token
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token.get_secret_value() if token else "")
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", settings.twilio_whatsapp_from or "")
    monkeypatch.setenv("TWILIO_API_URL", settings.twilio_api_url)


def test_campaign_test_sends_the_survey_to_your_own_whatsapp_now(
    app: App, twilio: FakeTwilio, cli_env: None
) -> None:
    result = CliRunner().invoke(cli, ["campaign", "test", "post-live", "--to", OPERATOR])
    assert result.exit_code == 0, result.output
    assert "sent to +819012345678 on whatsapp" in result.output
    assert "ja" in result.output  # a Japanese number gets the Japanese survey
    messages = twilio.sent_to("+819012345678")
    assert len(messages) == 1
    # Business-initiated: the flow's template for Japanese, as a customer would get it.
    assert messages[0].content_sid == app.flows["post-live"].template("intro", "ja")
    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, 1)
        assert campaign is not None and campaign.is_test
        figures = digest.build(session, campaign, app.flows["post-live"])
    assert figures.total.sent == 1


def test_campaign_test_names_what_is_missing_when_whatsapp_is_not_configured(
    app: App, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    result = CliRunner().invoke(cli, ["campaign", "test", "post-live", "--to", OPERATOR])
    assert result.exit_code == 1
    assert "whatsapp is not configured: set TWILIO_AUTH_TOKEN" in result.output


def test_the_window_override_sends_now_and_the_plan_names_the_markets_outside(
    app: App, twilio: FakeTwilio, capsys: pytest.CaptureFixture[str]
) -> None:
    # 01:00 UTC: 20:00 in New York (inside 19-21), 10:00 in Tokyo (outside 19-21).
    add_contact(app, "+12125550101")
    add_contact(app, "+819012345678", locale="ja", country="JP", timezone="Asia/Tokyo")
    flow = app.flows["post-live"]
    now = app.clock.now()
    with session_scope(app.engine) as session:
        plan = campaigns.plan(session, flow, "show-1", now, ignore_windows=True)
    outside = {m.market: m.outside_window for m in plan.outside_windows()}
    assert outside == {"JP": 1}
    print_plan(plan)
    assert "outside its window: JP (whatsapp): 1 recipients get it now" in capsys.readouterr().out
    with session_scope(app.engine) as session:
        campaigns.start(session, flow, "show-1", now, now, ignore_windows=True)
    assert app.dispatcher.start_due() == 2  # Tokyo too, at once
    deliver(app)
    assert len(twilio.sent_to("+819012345678")) == 1
    assert len(twilio.sent_to("+12125550101")) == 1


def test_without_the_override_tokyo_waits_for_its_evening(app: App, twilio: FakeTwilio) -> None:
    add_contact(app, "+12125550101")
    add_contact(app, "+819012345678", locale="ja", country="JP", timezone="Asia/Tokyo")
    now = app.clock.now()
    with session_scope(app.engine) as session:
        campaigns.start(session, app.flows["post-live"], "show-1", now, now)
    app.dispatcher.start_due()
    deliver(app)
    assert twilio.sent_to("+819012345678") == []
    assert len(twilio.sent_to("+12125550101")) == 1


def test_the_digest_counts_what_the_provider_accepted_not_what_was_queued(
    app: App, twilio: FakeTwilio
) -> None:
    add_contact(app, "+12125550101")
    add_contact(app, "+12125550102")
    now = app.clock.now()
    with session_scope(app.engine) as session:
        campaign = campaigns.start(session, app.flows["post-live"], "show-1", now, now)
    app.dispatcher.start_due()  # both intros queued in the outbox, none sent yet
    with session_scope(app.engine) as session:
        stored = session.get(Campaign, campaign.id)
        assert stored is not None
        assert digest.build(session, stored, app.flows["post-live"]).total.sent == 0
    twilio.refuse_to("+12125550102", 21211, "Invalid 'To' Phone Number")
    deliver(app)
    with session_scope(app.engine) as session:
        stored = session.get(Campaign, campaign.id)
        assert stored is not None
        assert digest.build(session, stored, app.flows["post-live"]).total.sent == 1
