"""Who may do what from Slack: admins steer campaigns and close the loop, agents answer
customers, acknowledge and review, everyone else sees and is refused with nothing
changed. A Start click or a reply form counts once, whichever app instance gets it,
however often it is delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlmodel import col, func, select

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App, build
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.models import ActionClaim, Answer, Campaign, Outbox
from bot.web import create_app
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import (
    AGENT,
    STRANGER,
    SlackClient,
    alerts_posted,
    button_value,
    sign,
    submission,
    texts,
)
from tests.integration.slack.test_slack_alerts import answer, open_alert
from tests.integration.slack.test_slack_commands import audience, campaigns_in

pytestmark = pytest.mark.timeout(90)


@asynccontextmanager
async def instance(app: App, fake: FakeSlack) -> AsyncIterator[SlackClient]:
    """Another replica of the web app on the same database (its own App, own Slack)."""
    replica = build(app.settings, clock=app.clock)
    assert replica.slack is not None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(replica)), base_url="https://replica.test"
    ) as http:
        yield SlackClient(http, replica.slack, fake)
    replica.engine.dispose()


def reply_rows(app: App, answer_id: int) -> list[Outbox]:
    with session_scope(app.engine) as session:
        return list(
            session.exec(
                select(Outbox).where(
                    col(Outbox.idempotency_key).startswith(f"alert-reply:{answer_id}:")
                )
            ).all()
        )


async def _alert(app: App, fake_slack: FakeSlack) -> tuple[int, str, dict[str, object]]:
    answer_id, address = open_alert(app)
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    return answer_id, address, {"ts": alert.ts, "blocks": alert.blocks}


async def test_a_viewer_sees_alerts_but_cannot_act_on_them(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, message = await _alert(app, fake_slack)
    for action in ("alert_ack", "alert_not_complaint", "alert_reply"):
        await slack.click(action, str(answer_id), user=STRANGER, channel=ALERTS, message=message)
        refusal = fake_slack.responses[-1]
        assert "Only postlive agents (SLACK_AGENT_USERS" in refusal["text"], action
        assert refusal["response_type"] == "ephemeral"
    assert fake_slack.views == []  # the reply form was never opened
    stored = answer(app, answer_id)
    assert stored.alert_status == "open" and stored.category == "complaint"
    assert reply_rows(app, answer_id) == []


async def test_a_viewer_cannot_review_or_steer(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    answer_id, _, _ = await _alert(app, fake_slack)
    await slack.click("review_confirm", f'{{"a": {answer_id}, "c": null}}', user=STRANGER)
    assert "Only postlive agents" in fake_slack.responses[-1]["text"]
    await slack.click("review_category", selected=f"{answer_id}:praise:", user=STRANGER)
    assert "Only postlive agents" in fake_slack.responses[-1]["text"]
    assert answer(app, answer_id).category == "complaint"
    refused = await slack.command("pause 1", user=STRANGER)
    assert "Only postlive admins (SLACK_ADMIN_USERS) may pause campaigns" in refused.text


async def test_an_agent_answers_acknowledges_and_reviews_but_cannot_steer_campaigns(
    app: App, slack: SlackClient, fake_slack: FakeSlack, simulator: SimulatorChannel
) -> None:
    answer_id, address, message = await _alert(app, fake_slack)
    await slack.click("alert_ack", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    assert answer(app, answer_id).alert_status == "acknowledged"
    assert f"acknowledged by <@{AGENT}>" in texts(fake_slack.in_channel(ALERTS)[0].blocks)

    await slack.click("alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    await slack.submit(fake_slack.views[-1], {"reply": {"value": "Sorry, on its way!"}}, AGENT)
    await deliver_due(app.engine, app.senders, app.clock)
    sent = simulator.last(address)
    assert sent is not None and sent.text == "Sorry, on its way!"
    assert answer(app, answer_id).alert_status == "replied"

    await slack.click("review_category", selected=f"{answer_id}:praise:", user=AGENT)
    stored = answer(app, answer_id)
    assert stored.category == "praise" and stored.review_status == "corrected"
    assert f"reviewed by {AGENT}" in (stored.review_reason or "")

    audience(app)
    before = len(campaigns_in(app))  # the seeded one
    refused = await slack.command("start post-live --audience show-1", user=AGENT)
    assert "Only postlive admins" in refused.text
    await slack.command("start post-live --audience show-1")  # the admin's plan
    value = button_value(fake_slack.responses[-1]["blocks"], "plan_start")
    await slack.click("plan_start", value, user=AGENT)
    assert "Only postlive admins" in fake_slack.responses[-1]["text"]
    assert len(campaigns_in(app)) == before


async def test_a_start_click_delivered_to_two_instances_and_after_a_restart_starts_once(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await slack.command("start post-live --audience show-1")
    value = button_value(fake_slack.responses[-1]["blocks"], "plan_start")
    async with instance(app, fake_slack) as replica:
        # The same click reaches both replicas at once (a retry, a load balancer).
        await asyncio.gather(
            slack.click("plan_start", value, response="a"),
            replica.click("plan_start", value, response="b"),
        )
    assert len(campaigns_in(app)) == 1
    answers = sorted(r["text"] for r in fake_slack.responses[-2:])
    assert any("started campaign *#1*" in text for text in answers)
    assert any("This plan was started already as campaign #1" in text for text in answers)

    async with instance(app, fake_slack) as restarted:  # a new process, nothing in memory
        await restarted.click("plan_start", value)
    assert len(campaigns_in(app)) == 1
    assert "started already" in fake_slack.responses[-1]["text"]
    with session_scope(app.engine) as session:
        [claimed] = session.exec(select(ActionClaim)).all()
        started = session.exec(select(Campaign)).one()
        assert claimed.kind == "plan_start" and claimed.outcome == str(started.id)


async def test_a_replayed_reply_submission_sends_the_customer_one_reply(
    app: App, slack: SlackClient, fake_slack: FakeSlack, simulator: SimulatorChannel
) -> None:
    answer_id, address, message = await _alert(app, fake_slack)
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message=message)
    body = submission(fake_slack.views[-1], {"reply": {"value": "We are on it."}})
    # The signed submission arrives three times within Slack's 5 minutes, and once at
    # another replica of the app.
    for _ in range(3):
        assert (await slack.post(body, sign(body))).status_code == 200
    async with instance(app, fake_slack) as replica:
        assert (await replica.post(body, sign(body))).status_code == 200
    assert len(reply_rows(app, answer_id)) == 1
    await deliver_due(app.engine, app.senders, app.clock)
    assert [m.text for m in simulator.transcripts[address]] == ["We are on it."]

    # A second reply written in a new form is a new reply, and is sent.
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message=message)
    await slack.submit(fake_slack.views[-1], {"reply": {"value": "It shipped today."}})
    assert len(reply_rows(app, answer_id)) == 2
    with session_scope(app.engine) as session:
        claims = session.exec(select(func.count()).select_from(ActionClaim)).one()
        assert claims == 2
        assert session.get(Answer, answer_id).alert_status == "replied"  # type: ignore[union-attr]
