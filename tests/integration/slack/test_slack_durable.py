"""State-changing Slack interactions are acknowledged by ONE durable insert into
inbound_event, and applied by the inbound handler (here `handle_all`, as the handler
loop of `serve` or `worker` would), never in the request.

These tests post to /slack/events through a plain client (no handler after the request),
so what the ack alone did is visible; then they run the handler themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, text
from sqlmodel import select

from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.db import session_scope
from bot.handling import handle_all
from bot.models import Campaign, InboundEvent, Outbox
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import (
    AGENT,
    STRANGER,
    SlackClient,
    alerts_posted,
    button_value,
    click_payload,
    sign,
    slack_events,
    submission,
    texts,
)
from tests.integration.slack.test_slack_alerts import answer, open_alert
from tests.integration.slack.test_slack_commands import audience, campaigns_in

pytestmark = pytest.mark.timeout(90)

TABLE = str(InboundEvent.__tablename__)
ONE_INSERT = f"INSERT INTO {TABLE.upper()}"


@contextmanager
def statements(app: App) -> Iterator[list[str]]:
    """Every SQL statement the engine executes in the block, as its first two words."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, _p: Any, _c: Any, _many: bool) -> None:
        words = sql.split(None, 3)
        seen.append(" ".join(words[:3]).upper().replace('"', ""))

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.split()[0] in ("INSERT", "UPDATE", "DELETE", "REPLACE")]


async def posted_alert(app: App, fake_slack: FakeSlack) -> tuple[int, str, dict[str, Any]]:
    answer_id, address = open_alert(app)
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    return answer_id, address, {"ts": alert.ts, "blocks": alert.blocks}


def updates(fake_slack: FakeSlack) -> int:
    return len(fake_slack.calls_to("chat.update"))


async def test_an_acknowledge_click_is_one_insert_and_is_applied_by_the_handler(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    payload = click_payload(
        fake_slack, "alert_ack", str(answer_id), user=AGENT, channel=ALERTS, message=message
    )
    with statements(app) as seen:
        response = await plain.interact(payload)
    assert response.status_code == 200
    # The ack's whole database work: one INSERT (of the click), no other write.
    assert writes(seen) == [ONE_INSERT], seen
    assert answer(app, answer_id).alert_status == "open"  # not applied in the request
    [click] = slack_events(app)
    assert (click.kind, click.status, click.address) == ("slack_action", "received", AGENT)
    assert click.payload["op"] == "alert_ack" and click.payload["answer"] == answer_id
    assert updates(fake_slack) == 0

    assert await handle_all(app.intake) == 1
    assert answer(app, answer_id).alert_status == "acknowledged"
    assert updates(fake_slack) == 1  # the alert message refreshed, after the commit
    alert = fake_slack.in_channel(ALERTS)[0]
    assert f"acknowledged by <@{AGENT}>" in texts(alert.blocks)
    assert [e.status for e in slack_events(app)] == ["handled"]


async def test_a_replayed_click_is_recorded_once_and_applied_once(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    payload = click_payload(
        fake_slack, "alert_not_complaint", str(answer_id), channel=ALERTS, message=message
    )
    assert (await plain.interact(payload)).status_code == 200
    assert (await plain.interact(payload)).status_code == 200  # Slack (or anyone) resends it
    assert len(slack_events(app)) == 1
    assert await handle_all(app.intake) == 1
    assert (await plain.interact(payload)).status_code == 200  # again, once it was applied
    assert await handle_all(app.intake) == 0
    assert len(slack_events(app)) == 1
    assert updates(fake_slack) == 1
    stored = answer(app, answer_id)
    assert stored.alert_status == "not_complaint" and stored.category == "other"
    # No refusal either: the replay was never applied a second time.
    assert not any("⚠️" in str(r.get("text")) for r in fake_slack.responses)


async def test_a_reply_submission_is_one_insert_and_reaches_the_outbox_once(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    await plain.click("alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    modal = fake_slack.views[-1]  # opening the form stays in the request (trigger_id)
    assert slack_events(app) == []
    body = submission(modal, {"reply": {"value": "So sorry! A new one ships today."}}, AGENT)
    with statements(app) as seen:
        response = await plain.post(body, sign(body))
    assert response.status_code == 200 and response.text == ""  # the modal closes
    assert writes(seen) == [ONE_INSERT], seen
    assert reply_rows(app) == 0 and answer(app, answer_id).alert_status == "open"

    await plain.post(body, sign(body))  # the same submission again
    assert [e.kind for e in slack_events(app)] == ["slack_view"]
    assert await handle_all(app.intake) == 1
    assert reply_rows(app) == 1
    assert answer(app, answer_id).alert_status == "replied"
    assert "replied: “So sorry! A new one ships today.”" in texts(
        fake_slack.in_channel(ALERTS)[0].blocks
    )
    await plain.post(body, sign(body))
    await handle_all(app.intake)
    assert reply_rows(app) == 1


def reply_rows(app: App) -> int:
    with session_scope(app.engine) as session:
        return int(
            session.exec(
                select(func.count()).select_from(Outbox).where(Outbox.kind == "alert_reply")
            ).one()
        )


async def test_a_modal_validation_error_is_answered_in_the_ack_and_nothing_is_recorded(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    await plain.click("alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    body = submission(fake_slack.views[-1], {"reply": {"value": "   "}}, AGENT)
    with statements(app) as seen:
        response = await plain.post(body, sign(body))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"reply": "Write the reply first."},
    }
    assert writes(seen) == []
    assert slack_events(app) == []


async def test_a_refused_role_is_refused_at_the_ack_and_nothing_is_recorded(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    for action in ("alert_ack", "alert_not_complaint"):
        with statements(app) as seen:
            await plain.click(
                action, str(answer_id), user=STRANGER, channel=ALERTS, message=message
            )
        assert writes(seen) == [], action
        refusal = fake_slack.responses[-1]
        assert "Only postlive agents (SLACK_AGENT_USERS" in refusal["text"], action
        assert refusal["response_type"] == "ephemeral"
    refused = await plain.command("pause 1", user=STRANGER)
    assert "Only postlive admins (SLACK_ADMIN_USERS) may pause campaigns" in refused.text
    assert slack_events(app) == []
    assert await handle_all(app.intake) == 0
    assert answer(app, answer_id).alert_status == "open"


async def test_a_role_withdrawn_after_the_ack_is_refused_by_the_handler(
    app: App, team: SlackTeam, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    await plain.click("alert_ack", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    assert len(slack_events(app)) == 1
    team.settings = team.settings.model_copy(update={"slack_agent_users": []})
    assert await handle_all(app.intake) == 1  # handled (refused), not retried forever
    assert answer(app, answer_id).alert_status == "open"
    refusal = fake_slack.responses[-1]
    assert "Only postlive agents" in refusal["text"] and refusal["response_type"] == "ephemeral"
    assert updates(fake_slack) == 0


async def test_a_pause_command_is_one_insert_and_is_applied_by_the_handler(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    _, _, _ = await posted_alert(app, fake_slack)
    with session_scope(app.engine) as session:
        campaign_id = session.exec(select(Campaign.id)).one()
    with statements(app) as seen:
        response = await plain.command(f"pause {campaign_id}")
    assert response.status_code == 200
    assert writes(seen) == [ONE_INSERT], seen
    assert status_of(app) == "running"
    assert await handle_all(app.intake) == 1
    assert status_of(app) == "paused"
    assert "*paused*" in fake_slack.responses[-1]["text"]


def status_of(app: App) -> str:
    with session_scope(app.engine) as session:
        return str(session.exec(select(Campaign.status)).one())


async def test_a_click_the_database_cannot_record_is_not_acked_silently(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    # A real database failure at record time: the table is not there for a moment.
    with app.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_away"))
    try:
        response = await plain.click(
            "alert_ack", str(answer_id), user=AGENT, channel=ALERTS, message=message
        )
    finally:
        with app.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {TABLE}_away RENAME TO {TABLE}"))
    assert response.status_code == 200
    told = fake_slack.responses[-1]
    assert "could not be recorded" in told["text"] and told["response_type"] == "ephemeral"
    assert slack_events(app) == []
    assert await handle_all(app.intake) == 0
    assert answer(app, answer_id).alert_status == "open"


async def test_a_start_click_is_one_insert_and_the_campaign_is_created_by_the_handler(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await plain.command("start post-live --audience show-1 --show Knits")  # a plan: read-only
    value = button_value(fake_slack.responses[-1]["blocks"], "plan_start")
    with statements(app) as seen:
        response = await plain.click("plan_start", value)
    assert response.status_code == 200
    assert writes(seen) == [ONE_INSERT], seen
    assert campaigns_in(app) == []
    assert await handle_all(app.intake) == 1
    assert [c.show for c in campaigns_in(app)] == ["Knits"]
    assert "started campaign *#1*" in fake_slack.responses[-1]["text"]


async def test_a_submission_the_database_cannot_record_is_shown_in_the_form(
    app: App, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await posted_alert(app, fake_slack)
    await plain.click("alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    body = submission(fake_slack.views[-1], {"reply": {"value": "Sorry!"}}, AGENT)
    with app.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_away"))
    try:
        response = await plain.post(body, sign(body))
    finally:
        with app.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {TABLE}_away RENAME TO {TABLE}"))
    answer_form = response.json()
    assert answer_form["response_action"] == "errors"
    assert "could not be recorded" in answer_form["errors"]["reply"]
    assert slack_events(app) == [] and reply_rows(app) == 0
    # Submitted again once the database is back: recorded, and sent once.
    await plain.post(body, sign(body))
    assert await handle_all(app.intake) == 1
    assert reply_rows(app) == 1
