"""With an OpenAI key, the team writes in its language and each customer reads theirs:
alert replies and "you said, we did" go through the real openai SDK (to a local fake)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.models import Answer, Outbox
from bot.settings import Settings
from tests.integration.analysis.fake_openai import FakeOpenAI
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import SlackClient, alerts_posted, texts, with_openai
from tests.integration.slack.test_slack_alerts import open_alert

pytestmark = pytest.mark.timeout(60)

REPLY = "So sorry! A new one ships today, tracking follows."
IN_JAPANESE = (
    "大変申し訳ございません。本日、新しい商品を発送いたします。追跡番号は追ってお送りします。"
)


@pytest.fixture
def settings(settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    return with_openai(settings, fake_openai)


async def test_an_alert_reply_reaches_the_customer_in_their_language(
    app: App,
    slack: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    answer_id, address = open_alert(app, "ja")
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    await slack.click(
        "alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts, "blocks": []}
    )
    modal = fake_slack.views[-1]
    assert "translated into *Japanese*" in texts(modal["blocks"])
    await slack.submit(modal, {"reply": {"value": REPLY}})

    await deliver_due(app.engine, app.senders, app.clock)
    sent = simulator.last(address)
    assert sent is not None and sent.text == IN_JAPANESE and sent.kind == "alert_reply"
    assert fake_openai.chat_requests()[-1]["messages"][-1]["content"] == REPLY
    assert "Japanese" in fake_openai.chat_requests()[-1]["messages"][0]["content"]
    with session_scope(app.engine) as session:
        keys = session.exec(
            select(Outbox.idempotency_key).where(Outbox.channel != "slack")
        ).all()
        assert session.get(Answer, answer_id).alert_status == "replied"  # type: ignore[union-attr]
    # One row to the customer (the alert itself was a "slack" row), keyed by the reply
    # form it was written in.
    assert len(keys) == 1 and keys[0].startswith(f"alert-reply:{answer_id}:")
    shown = texts(alert.blocks)
    assert f"replied: “{REPLY}”" in shown and f"sent in ja: “{IN_JAPANESE}”" in shown

    # A second reply is a second message, not a duplicate of the first.
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts})
    await slack.submit(fake_slack.views[-1], {"reply": {"value": "Any news?"}})
    await deliver_due(app.engine, app.senders, app.clock)
    assert simulator.last(address).text == "[ja] Any news?"  # type: ignore[union-attr]
    assert simulator.duplicates == 0


async def test_a_reply_to_a_customer_of_the_team_language_is_not_translated(
    app: App,
    slack: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    answer_id, address = open_alert(app, "en-US")
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    await slack.click("alert_reply", str(answer_id), channel=ALERTS, message={"ts": alert.ts})
    await slack.submit(fake_slack.views[-1], {"reply": {"value": REPLY}})
    await deliver_due(app.engine, app.senders, app.clock)
    assert simulator.last(address).text == REPLY  # type: ignore[union-attr]
    assert fake_openai.chat_requests() == []


async def test_the_loop_message_is_translated_for_each_contributor(
    app: App, slack: SlackClient, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    seeded = seed(app, 16, themes=1, pending_every=16)  # the first one awaits review
    theme_id = seeded.theme_ids[0]
    await slack.command(f"loop {theme_id} we now film every colour in daylight")
    with session_scope(app.engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == "loop")).all()
    assert len(rows) == 15  # a pending answer does not count until a human confirms it
    german = next(r for r in rows if r.address == "+19990000001")
    assert "[de] we now film every colour in daylight" in german.payload["text"]
    assert "Das haben wir getan" in german.payload["text"]
    american = next(r for r in rows if r.address == "+19990000008")
    assert "Here's what we did: we now film every colour in daylight" in american.payload["text"]
    assert not any("sent untranslated" in r.get("text", "") for r in fake_slack.responses)
