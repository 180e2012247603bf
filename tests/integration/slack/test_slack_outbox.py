"""The team's Slack posts are outbox rows: queued by the jobs, sent by the same delivery
code as customer messages (adapters.slack.sender), paced and retried by the one policy
(bot.ratelimit): Retry-After honoured on the injected clock, 429s bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.slack import digests as slack_digests
from adapters.slack import post_pending_alerts
from adapters.slack.blocks import section
from adapters.slack.sender import blocks_of
from bot.bootstrap import App
from bot.clock import utc
from bot.db import session_scope
from bot.errors import RateLimited
from bot.messages import Channel, Choice, Outbound
from bot.models import Outbox, OutboxStatus
from bot.ratelimit import DEFAULT_POLICY
from bot.services import delivery_now
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import ALERTS, DIGESTS, FakeSlack
from tests.integration.slack.support import SlackClient, send_slack, texts
from tests.integration.slack.test_slack_alerts import answer, open_alert

pytestmark = pytest.mark.timeout(120)


def slack_rows(app: App) -> list[Outbox]:
    with session_scope(app.engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.channel == "slack")).all())


async def test_an_alert_is_a_row_sent_by_the_same_delivery_as_customer_messages(
    app: App, fake_slack: FakeSlack
) -> None:
    answer_id, _ = open_alert(app)
    assert "slack" in app.senders  # the composition root registered the team's sender
    assert await post_pending_alerts(app) == 1
    [row] = slack_rows(app)
    assert (row.kind, row.address, row.status) == ("slack_alert", ALERTS, OutboxStatus.PENDING)
    # The row names the alert; the customer's words are not copied into the outbox.
    assert row.payload["source"] == {"alert": answer_id} and row.payload["text"] == ""
    assert fake_slack.in_channel(ALERTS) == []  # queued, not yet posted
    await delivery_now.drain(app.engine, app.senders, app.clock)  # every channel, as the worker
    [alert] = fake_slack.in_channel(ALERTS)
    [row] = slack_rows(app)
    assert row.status == OutboxStatus.SENT and row.provider_id == f"{ALERTS}:{alert.ts}"
    assert answer(app, answer_id).alert_ref == f"{ALERTS}:{alert.ts}"


async def test_retry_after_is_honoured_on_the_outbox_clock(app: App, fake_slack: FakeSlack) -> None:
    open_alert(app)
    await post_pending_alerts(app)
    fake_slack.rate_limit(1, retry_after=30)
    report = await send_slack(app)
    assert report.retried == 1 and fake_slack.in_channel(ALERTS) == []
    [row] = slack_rows(app)
    assert row.status == OutboxStatus.PENDING
    assert row.next_attempt_at is not None
    assert utc(row.next_attempt_at) == app.clock.now() + timedelta(seconds=30)
    app.clock.advance(seconds=29)
    assert (await send_slack(app)).claimed == 0  # not before Retry-After
    app.clock.advance(seconds=1)
    assert (await send_slack(app)).sent == 1
    assert len(fake_slack.in_channel(ALERTS)) == 1
    assert [c.error for c in fake_slack.calls_to("chat.postMessage")] == ["ratelimited", None]


async def test_429s_are_bounded_then_the_row_fails(app: App, fake_slack: FakeSlack) -> None:
    open_alert(app)
    await post_pending_alerts(app)
    fake_slack.rate_limit(1000, method="chat.postMessage")
    report = await send_slack(app)
    assert report.dead == 1 and report.sent == 0
    [row] = slack_rows(app)
    assert row.status == OutboxStatus.FAILED and row.error_code == "gave_up"
    assert row.attempts == DEFAULT_POLICY.rate_limited
    assert len(fake_slack.calls_to("chat.postMessage")) == DEFAULT_POLICY.rate_limited


async def test_a_post_slack_refuses_for_good_fails_at_once(app: App, fake_slack: FakeSlack) -> None:
    seeded = seed(app, 8, themes=1)
    team = app.slack
    assert team is not None
    await slack_digests.queue_digest(team, seeded.campaign_id, "C0NOTJOINED")
    report = await send_slack(app)
    assert report.failed == 1 and report.retried == 0
    [row] = slack_rows(app)
    assert (row.status, row.error_code, row.attempts) == ("failed", "channel_not_found", 1)


async def test_an_alert_queued_twice_after_its_lease_is_posted_once(
    app: App, fake_slack: FakeSlack
) -> None:
    answer_id, _ = open_alert(app)
    assert await post_pending_alerts(app) == 1
    app.clock.advance(minutes=6)  # the worker was down: the posting lease ran out
    assert await post_pending_alerts(app) == 1
    await send_slack(app)
    assert len(fake_slack.in_channel(ALERTS)) == 1
    rows = slack_rows(app)
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert rows[0].provider_id == rows[1].provider_id == answer(app, answer_id).alert_ref


async def test_a_digest_retried_after_its_chart_was_refused_is_not_posted_twice(
    app: App, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 8, themes=1)
    fake_slack.rate_limit(1, method="files.getUploadURLExternal")
    posted = await slack_digests.post_digest(app.slack, seeded.campaign_id, DIGESTS)  # type: ignore[arg-type]
    assert len(posted) == 1
    assert len(fake_slack.in_channel(DIGESTS)) == 1 and len(fake_slack.files) == 1
    [row] = slack_rows(app)
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert row.payload["source"] == {"digest": seeded.campaign_id, "final": False}


def test_neutral_messages_render_with_slacks_capabilities() -> None:
    long = "word " * 1000  # 5,000 characters: two sections of at most 3,000
    choices = tuple(Choice(f"pick:{n}", f"Option {n} " + "x" * 100) for n in range(3))
    blocks = blocks_of(Outbound(Channel.SLACK, ALERTS, "a <b> & " + long, choices))
    assert [b["type"] for b in blocks] == ["section", "section", "actions"]
    assert blocks[0]["text"]["text"].startswith("a &lt;b&gt; &amp; ")
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks[:2])
    buttons = blocks[2]["elements"]
    assert [b["value"] for b in buttons] == ["pick:0", "pick:1", "pick:2"]
    assert all(len(b["text"]["text"]) == 75 and b["text"]["text"].endswith("…") for b in buttons)
    too_many = tuple(Choice(f"c:{n}", f"c{n}") for n in range(26))  # over 25: a list
    [only] = blocks_of(Outbound(Channel.SLACK, ALERTS, "Pick", too_many))
    assert "26. c25" in texts([only])


async def test_direct_calls_wait_out_429s_by_the_same_bounded_policy(
    app: App, fake_slack: FakeSlack
) -> None:
    """Edits after a click and ephemeral answers stay direct calls: bot.ratelimit.call
    retries them on 429 (Retry-After honoured), and gives up after the policy's bound."""
    team = app.slack
    assert team is not None
    fake_slack.rate_limit(2)
    await team.poster.post(DIGESTS, [section("after two 429s")])
    assert [c.error for c in fake_slack.calls] == ["ratelimited", "ratelimited", None]
    fake_slack.rate_limit(1000)
    with pytest.raises(RateLimited):
        await team.poster.post(DIGESTS, [section("never")])
    assert len(fake_slack.calls) == 3 + DEFAULT_POLICY.rate_limited


async def test_a_digest_asked_for_in_a_channel_the_app_is_not_in_says_so(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 8, themes=1)
    await slack.command(f"digest {seeded.campaign_id}", channel="C0NOTJOINED")
    said = " ".join(str(r.get("text", "")) for r in fake_slack.responses)
    assert "cannot post here (channel_not_found)" in said
    [row] = slack_rows(app)
    assert row.status == OutboxStatus.FAILED
