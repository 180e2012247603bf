"""A forgotten customer's words leave Slack too: the alert that quoted them is edited to
"erased" (buttons gone), through the real slack-sdk client against the local fake."""

from __future__ import annotations

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from adapters.slack.erasure import erase_due
from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.cli import app as cli
from bot.db import session_scope
from bot.models import Contact, SlackQuote
from bot.privacy import find_contacts, forget, remember_quote
from bot.quote_eraser import ERASED
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import alerts_posted, texts
from tests.integration.slack.test_slack_alerts import open_alert

pytestmark = pytest.mark.timeout(60)


async def test_the_alert_quoting_a_forgotten_customer_is_edited_to_erased(
    app: App, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    answer_id, address = open_alert(app)
    assert await alerts_posted(app) == 1
    [alert] = fake_slack.in_channel(ALERTS)
    quoted = "配信で見た色と違いました"
    assert quoted in texts(alert.blocks)
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, address)
        report = forget(session, contact, app.clock.now())
    assert report.slack_messages_due == 1
    assert await erase_due(app) == 1
    assert await erase_due(app) == 0  # done once
    [update] = fake_slack.calls_to("chat.update")
    assert update.params["ts"] == alert.ts
    [alert] = fake_slack.in_channel(ALERTS)
    assert quoted not in texts(alert.blocks) and ERASED in alert.text
    assert "alert_reply" not in str(alert.blocks)  # nobody can act on them any more


async def test_a_message_gone_from_slack_counts_as_erased_and_a_failure_is_retried(
    app: App, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    _, address = open_alert(app)
    now = app.clock.now()
    with session_scope(app.engine) as session:
        (contact,) = find_contacts(session, address)
        assert contact.id is not None
        remember_quote(session, ALERTS, "1700000000.000001", contact.id, now)  # deleted since
        forget(session, contact, now)
    fake_slack.rate_limit(1000)  # Slack refuses for now (past the retry policy's bound)
    assert await erase_due(app) == 0
    with session_scope(app.engine) as session:
        (quote,) = session.exec(select(SlackQuote)).all()
    assert quote.erased_at is None and quote.attempts == 1
    fake_slack.rate_limit(0)
    assert await erase_due(app) == 0  # message_not_found: nothing left to edit
    with session_scope(app.engine) as session:
        (quote,) = session.exec(select(SlackQuote)).all()
    assert quote.erased_at is not None


def test_the_forget_command_edits_the_slack_alert_at_once(
    app: App, team: SlackTeam, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    _, address = open_alert(app)
    assert asyncio.run(alerts_posted(app)) == 1
    for name, value in {
        "DATABASE_URL": app.settings.database_url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_SIGNING_SECRET": "x" * 32,
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["contacts", "forget", address])
    assert result.exit_code == 0, result.output
    assert '1 Slack messages edited to "erased"' in result.output
    [alert] = fake_slack.in_channel(ALERTS)
    assert ERASED in alert.text
    with session_scope(app.engine) as session:
        assert session.exec(select(Contact).where(Contact.address == address)).first() is None
