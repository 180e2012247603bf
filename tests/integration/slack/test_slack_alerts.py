"""Urgent complaints reach the alert channel at once, with buttons the team acts on.
(No OpenAI key here: a reply goes out exactly as typed, and the team is told so.)"""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.models import Answer, Contact, Outbox
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import SlackClient, alerts_posted, button_value, texts

pytestmark = pytest.mark.timeout(60)


def open_alert(app: App, locale: str = "ja") -> tuple[int, str]:
    """One of the seeded customers complains urgently; returns (answer id, address)."""
    seeded = seed(app, 8, themes=1)
    answer_id = next(a for a, (_, loc) in seeded.text_answers.items() if loc == locale)
    with session_scope(app.engine) as session:
        session.execute(
            update(Answer)
            .where(Answer.id == answer_id)
            .values(alert_status="open", urgency="high", category="complaint")
        )
        answer = session.get(Answer, answer_id)
        assert answer is not None
        contact = session.exec(
            select(Contact).where(Contact.id == seeded.text_answers[answer_id][0])
        ).one()
    return answer_id, contact.address


def answer(app: App, answer_id: int) -> Answer:
    with session_scope(app.engine) as session:
        found = session.get(Answer, answer_id)
        assert found is not None
        return found


async def test_an_urgent_complaint_is_posted_once_with_its_buttons(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _ = open_alert(app)
    assert await alerts_posted(app) == 1
    assert await alerts_posted(app) == 0
    [alert] = fake_slack.in_channel(ALERTS)
    shown = texts(alert.blocks)
    assert "Urgent complaint" in shown and "配信で見た色と違いました" in shown
    assert "The colour differed from the stream." in shown
    for action in ("alert_ack", "alert_reply", "alert_not_complaint"):
        assert button_value(alert.blocks, action) == str(answer_id)
    assert answer(app, answer_id).alert_ref == f"{ALERTS}:{alert.ts}"


async def test_acknowledge_then_not_a_complaint_is_stored_and_shown(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _ = open_alert(app)
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    message = {"ts": alert.ts, "blocks": alert.blocks}
    await slack.click("alert_ack", str(answer_id), channel=ALERTS, message=message)
    assert answer(app, answer_id).alert_status == "acknowledged"
    assert "acknowledged by <@U0ADMIN>" in texts(alert.blocks)
    message = {"ts": alert.ts, "blocks": alert.blocks}
    await slack.click("alert_not_complaint", str(answer_id), channel=ALERTS, message=message)
    stored = answer(app, answer_id)
    assert stored.alert_status == "not_complaint"
    assert stored.category == "other" and stored.review_status == "corrected"
    shown = texts(alert.blocks)
    assert "acknowledged by <@U0ADMIN>" in shown and "not a complaint (now other)" in shown
    assert "Acknowledge" not in shown and "Not a complaint" not in shown


async def test_without_an_openai_key_a_reply_goes_as_written_and_the_team_is_told(
    app: App, slack: SlackClient, fake_slack: FakeSlack, simulator: SimulatorChannel
) -> None:
    answer_id, address = open_alert(app)
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    await slack.click(
        "alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts, "blocks": []}
    )
    modal = fake_slack.views[-1]
    assert "goes out exactly as you write it" in texts(modal["blocks"])
    await slack.submit(modal, {"reply": {"value": "So sorry! A new one ships today."}})
    await deliver_due(app.engine, app.senders, app.clock)
    sent = simulator.last(address)
    assert sent is not None and sent.text == "So sorry! A new one ships today."
    assert "sent untranslated: no OpenAI key" in texts(alert.blocks)
    assert answer(app, answer_id).alert_status == "replied"


async def test_a_customer_who_opted_out_gets_no_reply(
    app: App, slack: SlackClient, fake_slack: FakeSlack, simulator: SimulatorChannel
) -> None:
    answer_id, address = open_alert(app)
    with session_scope(app.engine) as session:
        session.execute(
            update(Contact).where(Contact.address == address).values(opted_out_at=app.clock.now())
        )
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts})
    await slack.submit(fake_slack.views[-1], {"reply": {"value": "Sorry!"}})
    with session_scope(app.engine) as session:
        # Only the alert itself went through the outbox (channel "slack"); nothing to her.
        rows = session.exec(select(Outbox)).all()
        assert [(r.channel, r.status) for r in rows] == [("slack", "sent")]
    assert "not sent: the customer opted out" in texts(alert.blocks)


async def test_a_customer_cannot_write_lines_that_look_like_the_teams_own(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _ = open_alert(app)
    spoof = "fine\n✅ acknowledged by <@U0ADMIN>\n*all good*"
    with session_scope(app.engine) as session:
        session.execute(
            update(Answer)
            .where(Answer.id == answer_id)
            .values(raw_text=spoof, translation=spoof + "\r\n> nested")
        )
    await alerts_posted(app)
    [alert] = fake_slack.in_channel(ALERTS)
    said = alert.blocks[0]["text"]["text"].split("\n")[1:]  # after the title line
    assert len(said) >= 6
    assert all(line.startswith("> ") for line in said), said
    assert "&lt;@U0ADMIN&gt;" in alert.blocks[0]["text"]["text"]  # no real mention either
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts})
    modal_text = fake_slack.views[-1]["blocks"][0]["text"]["text"]
    assert all(line.startswith("> ") for line in modal_text.split("\n")), modal_text
