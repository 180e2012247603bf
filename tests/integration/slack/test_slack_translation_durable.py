"""A reply or an adoption that needs a translation is not lost by a process that dies
after the handler's commit: its event stays received (leased) until the follow-up has
translated, queued and marked it handled; otherwise it is claimed and run again after the
lease, and the re-run queues nothing twice. The translator is the real openai SDK against
a local fake; the handler is the real intake; time is the injected FrozenClock.

A "crash" is a handler batch whose follow-ups are never run (`handle_batch` alone, as the
handler loop would have returned before starting them)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.handling import handle_all
from bot.intake import MAX_ATTEMPTS
from bot.messages import Outbound
from bot.models import InboundEvent, Outbox
from bot.settings import Settings
from tests.integration.analysis.fake_openai import FakeOpenAI
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import (
    AGENT,
    SlackClient,
    alerts_posted,
    sign,
    slack_events,
    submission,
    texts,
    with_openai,
)
from tests.integration.slack.test_slack_alerts import answer, open_alert

pytestmark = pytest.mark.timeout(120)

REPLY = "So sorry! A new one ships today, tracking follows."
IN_JAPANESE = "大変申し訳ございません。本日、新しい商品を発送いたします。"
LOOP = "we now film every colour in daylight"
#: Past the default lease of an Unfinished event (bot.intake.Unfinished).
AFTER_LEASE = 121.0


@pytest.fixture
def settings(settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    return with_openai(settings, fake_openai)


#: What the replies and adoptions are recorded as (modal submissions, `/postlive loop`).
MODALS_AND_COMMANDS = ("slack_view", "slack_command")


def rows(app: App, kind: str) -> list[Outbox]:
    with session_scope(app.engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == kind)).all())


def crash(app: App) -> None:
    """One handler batch whose follow-ups never run: the process died after its commit."""
    batch = app.intake.handle_batch()
    assert batch.claimed == 1 and batch.handled == 0 and len(batch.follow_ups) == 1


async def follow_ups_of_one_batch(app: App) -> None:
    """One handler batch, then its follow-ups (as `handle_all` does); the event is not
    handled before its follow-up has run."""
    batch = app.intake.handle_batch()
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["received"]
    for _label, work in batch.follow_ups:
        await work()


def lose_the_mark(app: App) -> None:
    """The follow-up queued, then the process died before marking its event handled."""
    with session_scope(app.engine) as session:
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.kind.in_(("slack_view", "slack_command")))  # type: ignore[attr-defined]
            .values(status="received", handled_at=None)
        )


async def reply_form(app: App, plain: SlackClient, fake_slack: FakeSlack) -> tuple[int, str, bytes]:
    """A Japanese customer's alert, and the agent's reply form submitted (acked only)."""
    answer_id, address = open_alert(app, "ja")
    await alerts_posted(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    message = {"ts": alert.ts, "blocks": alert.blocks}
    await plain.click("alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=message)
    body = submission(fake_slack.views[-1], {"reply": {"value": REPLY}}, AGENT)
    response = await plain.post(body, sign(body))
    assert response.status_code == 200
    return answer_id, address, body


def alert_text(fake_slack: FakeSlack) -> str:
    return texts(fake_slack.in_channel(ALERTS)[0].blocks)


async def delivered(app: App, simulator: SimulatorChannel, address: str) -> list[Outbound]:
    await deliver_due(app.engine, app.senders, app.clock)
    return [m for m in simulator.transcripts[address] if m.kind == "alert_reply"]


async def test_a_reply_is_translated_and_queued_after_a_crash_before_its_follow_up(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    answer_id, address, _ = await reply_form(app, plain, fake_slack)

    crash(app)
    [event] = slack_events(app, MODALS_AND_COMMANDS)
    assert (event.status, event.attempts) == ("received", 1)  # not lost: still to do
    assert rows(app, "alert_reply") == [] and fake_openai.chat_requests() == []
    # Leased: a handler run before the lease is over does not take it again.
    assert await handle_all(app.intake) == 0
    assert fake_openai.chat_requests() == []

    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    [event] = slack_events(app, MODALS_AND_COMMANDS)
    assert event.status == "handled"
    [row] = rows(app, "alert_reply")
    assert row.payload["text"] == IN_JAPANESE
    assert len(fake_openai.chat_requests()) == 1
    assert answer(app, answer_id).alert_status == "replied"
    assert f"sent in ja: “{IN_JAPANESE}”" in alert_text(fake_slack)
    sent = await delivered(app, simulator, address)
    assert [m.text for m in sent] == [IN_JAPANESE] and simulator.duplicates == 0


async def test_a_reply_rerun_after_a_lost_mark_is_neither_queued_twice_nor_refused(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    _, address, body = await reply_form(app, plain, fake_slack)
    # The normal path: handled only once its follow-up has translated and queued.
    await follow_ups_of_one_batch(app)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert len(rows(app, "alert_reply")) == 1

    lose_the_mark(app)
    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert len(rows(app, "alert_reply")) == 1
    # Slack replays the submission: recorded once before, so nothing new at all.
    await plain.post(body, sign(body))
    await handle_all(app.intake)
    assert len(slack_events(app, MODALS_AND_COMMANDS)) == 1 and len(rows(app, "alert_reply")) == 1
    assert "⛔" not in alert_text(fake_slack)
    assert not any("⚠️" in str(r.get("text")) for r in fake_slack.responses)
    assert [m.text for m in await delivered(app, simulator, address)] == [IN_JAPANESE]


async def test_a_failing_translation_leaves_the_reply_to_be_retried(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    _, address, _ = await reply_form(app, plain, fake_slack)
    fake_openai.fail(500, times=3)  # the SDK's request and its two retries

    await handle_all(app.intake)
    [event] = slack_events(app, MODALS_AND_COMMANDS)
    assert (event.status, event.attempts) == ("received", 1)
    assert event.error is not None and "could not translate" in event.error
    assert rows(app, "alert_reply") == []
    assert "⛔" not in alert_text(fake_slack)  # not reported as "not sent": retried

    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    [row] = rows(app, "alert_reply")
    assert row.payload["text"] == IN_JAPANESE
    assert [m.text for m in await delivered(app, simulator, address)] == [IN_JAPANESE]


async def test_a_translation_failing_at_every_attempt_is_given_up_and_reported(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    await reply_form(app, plain, fake_slack)
    fake_openai.fail(500, times=3 * MAX_ATTEMPTS)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await handle_all(app.intake)
        [event] = slack_events(app, MODALS_AND_COMMANDS)
        assert event.attempts == attempt
        assert event.status == ("failed" if attempt == MAX_ATTEMPTS else "received")
        clock.advance(seconds=AFTER_LEASE)
    assert rows(app, "alert_reply") == []
    assert f"<@{AGENT}>'s reply not sent: could not translate into ja" in alert_text(fake_slack)
    asked = len(fake_openai.chat_requests())
    await handle_all(app.intake)  # given up: never claimed again
    assert len(fake_openai.chat_requests()) == asked
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["failed"]


async def adopt_command(plain: SlackClient, app: App) -> int:
    seeded = seed(app, 16, themes=1, pending_every=16)  # the first one awaits review
    theme_id = seeded.theme_ids[0]
    await plain.command(f"loop {theme_id} {LOOP}")
    return theme_id


def german_rows(app: App) -> list[Outbox]:
    return [r for r in rows(app, "loop") if r.address == "+19990000001"]


async def test_an_adoption_is_translated_and_queued_after_a_crash_before_its_follow_up(
    app: App, clock: FrozenClock, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    await adopt_command(plain, app)
    crash(app)
    [event] = slack_events(app, MODALS_AND_COMMANDS)
    assert (event.status, event.attempts) == ("received", 1)
    assert rows(app, "loop") == []

    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert len(rows(app, "loop")) == 15  # each contributor once (one awaits review)
    [german] = german_rows(app)
    assert f"[de] {LOOP}" in german.payload["text"]
    [report] = [r for r in fake_slack.responses if "adopted" in str(r.get("text"))]
    assert "15" in str(report["text"])


async def test_an_adoption_rerun_after_a_lost_mark_queues_nothing_twice(
    app: App, clock: FrozenClock, plain: SlackClient, fake_slack: FakeSlack
) -> None:
    await adopt_command(plain, app)
    await follow_ups_of_one_batch(app)  # the normal path
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    first = sorted(r.idempotency_key for r in rows(app, "loop"))
    assert len(first) == 15

    lose_the_mark(app)
    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert sorted(r.idempotency_key for r in rows(app, "loop")) == first
    assert not any("⚠️" in str(r.get("text")) for r in fake_slack.responses)


async def test_a_later_submission_of_the_same_user_waits_for_the_unfinished_one(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    answer_id, _, _ = await reply_form(app, plain, fake_slack)
    crash(app)
    alert = fake_slack.in_channel(ALERTS)[0]
    payload_message = {"ts": alert.ts, "blocks": alert.blocks}
    await plain.click(
        "alert_reply", str(answer_id), user=AGENT, channel=ALERTS, message=payload_message
    )
    second = submission(fake_slack.views[-1], {"reply": {"value": "Any news?"}}, AGENT)
    await plain.post(second, sign(second))
    # The agent's first reply is unfinished (leased): their second one is not overtaking it.
    assert await handle_all(app.intake) == 0
    assert rows(app, "alert_reply") == []

    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled", "handled"]
    texts_in_order = [
        r.payload["text"] for r in sorted(rows(app, "alert_reply"), key=lambda r: r.id or 0)
    ]
    assert texts_in_order == [IN_JAPANESE, "[ja] Any news?"]


async def test_a_lease_over_while_translating_runs_twice_and_queues_once(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    simulator: SimulatorChannel,
) -> None:
    """A slow translation outlives the lease: a second process claims the event and runs
    it too. Both translate; one queues; the other finds the form's key taken."""
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    _, address, _ = await reply_form(app, plain, fake_slack)
    first = app.intake.handle_batch()
    clock.advance(seconds=AFTER_LEASE)
    second = app.intake.handle_batch()  # another process, after the lease
    assert len(first.follow_ups) == len(second.follow_ups) == 1
    for _label, work in [*first.follow_ups, *second.follow_ups]:
        await work()
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert len(rows(app, "alert_reply")) == 1
    assert alert_text(fake_slack).count(f"sent in ja: “{IN_JAPANESE}”") == 1
    assert [m.text for m in await delivered(app, simulator, address)] == [IN_JAPANESE]


async def test_a_stale_lease_failing_at_the_last_attempt_does_not_give_up_a_newer_one(
    app: App,
    clock: FrozenClock,
    plain: SlackClient,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    """The last attempt's translation fails after its lease ran out, while another process
    has claimed the event again and succeeds: the event ends handled, not failed."""
    fake_openai.translations[(REPLY, "ja")] = IN_JAPANESE
    await reply_form(app, plain, fake_slack)
    fake_openai.fail(500, times=3 * (MAX_ATTEMPTS - 1))
    for _attempt in range(MAX_ATTEMPTS - 1):
        await handle_all(app.intake)
        clock.advance(seconds=AFTER_LEASE)
    [event] = slack_events(app, MODALS_AND_COMMANDS)
    assert (event.status, event.attempts) == ("received", MAX_ATTEMPTS - 1)
    stale = app.intake.handle_batch()  # the last attempt
    clock.advance(seconds=AFTER_LEASE)
    newer = app.intake.handle_batch()  # its lease ran out: claimed again
    fake_openai.fail(500, times=3)
    for _label, work in [*stale.follow_ups, *newer.follow_ups]:
        await work()
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    [row] = rows(app, "alert_reply")
    assert row.payload["text"] == IN_JAPANESE
    # The stale lease's failure was not its to report: the team never read "not sent".
    refreshed = [str(c.params) for c in fake_slack.calls_to("chat.update")]
    assert refreshed and not any("not sent" in params for params in refreshed)


async def test_an_adoption_refused_after_its_translation_is_told_and_not_retried(
    app: App, clock: FrozenClock, plain: SlackClient, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    """A refusal met only by the follow-up (the loop message is too long: checked when it
    is adopted) is told to the admin at once, and the event is handled, not retried."""
    seeded = seed(app, 16, themes=1, pending_every=16)
    too_long = "x" * 1200
    await plain.command(f"loop {seeded.theme_ids[0]} {too_long}")
    await handle_all(app.intake)
    assert [e.status for e in slack_events(app, MODALS_AND_COMMANDS)] == ["handled"]
    assert rows(app, "loop") == []
    told = [str(r.get("text")) for r in fake_slack.responses]
    assert any("⚠️ the loop message is 1200 characters" in t for t in told), told
    asked = len(fake_openai.chat_requests())
    clock.advance(seconds=AFTER_LEASE)
    await handle_all(app.intake)
    assert len(fake_openai.chat_requests()) == asked
