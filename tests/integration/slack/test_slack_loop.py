"""You said, we did: adopting a theme tells each customer who raised it, once, in their
language, at their local hour; and the review queue decides what counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import select
from typer.testing import CliRunner

from adapters.simulator import SimulatorChannel
from adapters.slack import digests as slack_digests
from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.clock import utc
from bot.db import session_scope
from bot.delivery import deliver_due
from bot.models import Answer, Contact, Outbox, Theme
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import DIGESTS, FakeSlack
from tests.integration.slack.support import STRANGER, SlackClient, build_digest, button_value, texts

pytestmark = pytest.mark.timeout(60)
DONE = "we now film every colour in daylight"


def loop_rows(app: App) -> list[Outbox]:
    with session_scope(app.engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == "loop")).all())


async def test_a_loop_message_reaches_each_contributor_exactly_once(
    app: App,
    slack: SlackClient,
    team: SlackTeam,
    fake_slack: FakeSlack,
    simulator: SimulatorChannel,
) -> None:
    seeded = seed(app, 24, themes=1, pending_every=24)  # answer 0 awaits review
    theme_id = seeded.theme_ids[0]
    with session_scope(app.engine) as session:
        session.execute(
            update(Contact)
            .where(Contact.address == "+19990000001")
            .values(opted_out_at=app.clock.now())
        )
        session.execute(
            update(Contact)
            .where(Contact.address == "+19990000002")
            .values(forgotten_at=app.clock.now())
        )
    await slack_digests.post_digest(team, seeded.campaign_id, DIGESTS)
    digest = fake_slack.in_channel(DIGESTS)[0]
    await slack.click(
        "theme_adopt",
        button_value(digest.blocks, "theme_adopt"),
        channel=DIGESTS,
        message={"ts": digest.ts, "blocks": digest.blocks},
    )
    await slack.submit(fake_slack.views[-1], {"message": {"value": DONE}})

    rows = loop_rows(app)
    assert len(rows) == 21  # 24 contributors: one awaits review, one opted out, one forgotten
    assert {r.idempotency_key for r in rows} == {f"loop:{theme_id}:{r.contact_id}" for r in rows}
    tokyo = next(r for r in rows if r.address == "+19990000010")
    assert tokyo.payload["business_initiated"] is True
    assert tokyo.payload["template"]["ref"] == "HX00000000000000000000000000030004"  # loop, ja
    # 01:00 UTC is 10:00 in Tokyo: it waits for the 19:00 window there.
    assert utc(tokyo.next_attempt_at) == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # type: ignore[arg-type]
    thread = fake_slack.in_channel(DIGESTS)[-1]
    assert thread.thread_ts == digest.ts and "21 customers will be told" in texts(thread.blocks)
    assert "2 skipped" not in texts(thread.blocks)
    assert "1 skipped (opted out)" in texts(thread.blocks)
    assert "Adopted ✓" in texts(digest.blocks) and digest.updates == 1

    # Adopting again, from the command this time, sends nothing more.
    await slack.command(f"loop {theme_id} something else entirely")
    assert "already adopted" in fake_slack.responses[-1]["text"]
    assert len(loop_rows(app)) == 21
    app.clock.advance(hours=24)
    await deliver_due(app.engine, app.senders, app.clock, limit=500)
    await deliver_due(app.engine, app.senders, app.clock, limit=500)
    told = {address: msgs for address, msgs in simulator.transcripts.items()}
    assert len(told) == 21 and all(len(m) == 1 for m in told.values())
    assert simulator.duplicates == 0
    japanese = simulator.last("+19990000010")
    assert japanese is not None and DONE in japanese.text and "ライブ" in japanese.text
    with session_scope(app.engine) as session:
        theme = session.get(Theme, theme_id)
    assert theme is not None and theme.loop_message == DONE
    assert theme.adopted_by == "slack:U0ADMIN"


async def test_only_admins_close_the_loop(
    app: App, slack: SlackClient, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 8, themes=1)
    theme_id = seeded.theme_ids[0]
    response = await slack.command(f"loop {theme_id} {DONE}", user=STRANGER)
    assert "Only postlive admins" in response.text
    await slack.click("theme_adopt", str(theme_id), user=STRANGER)
    assert "Only postlive admins" in fake_slack.responses[-1]["text"]
    assert fake_slack.views == [] and loop_rows(app) == []


async def test_review_queue_decisions_are_stored_and_counted(
    app: App, slack: SlackClient, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 22, themes=2, pending_every=11)  # answers 0 and 11 await review
    before = await team.db(build_digest, team, seeded.campaign_id)
    assert before.awaiting_review == 2
    await slack.command(f"review {seeded.campaign_id}")
    queue = fake_slack.responses[-1]["blocks"]
    shown = texts(queue)
    assert "2 awaiting review" in shown and "machine: *Complaint / after-sales*" in shown
    first, second = sorted(seeded.text_answers)[0], sorted(seeded.text_answers)[11]
    await slack.click("review_confirm", button_value(queue, "review_confirm"))
    assert "confirmed answer" in texts(fake_slack.responses[-1]["blocks"])
    await slack.click(
        "review_category", selected=f"{second}:suggestion:{seeded.campaign_id}", response="r2"
    )
    with session_scope(app.engine) as session:
        a, b = session.get(Answer, first), session.get(Answer, second)
    assert a is not None and b is not None
    assert a.review_status == "confirmed" and a.category == "complaint"
    assert b.review_status == "corrected" and b.category == "suggestion"
    after = await team.db(build_digest, team, seeded.campaign_id)
    assert after.awaiting_review == 0
    assert sum(after.categories.values()) == sum(before.categories.values()) + 2
    assert "Nothing awaits review" in texts(fake_slack.responses[-1]["blocks"])


def test_the_cli_closes_the_loop_and_says_it_went_untranslated(
    app: App, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app as cli

    seeded = seed(app, 8, themes=1)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    theme_id = str(seeded.theme_ids[0])
    result = CliRunner().invoke(cli, ["loop", theme_id, "--message", DONE])
    assert result.exit_code == 0, result.output
    assert "7 customers will be told" in result.output  # answer 0 awaits review
    assert "sent untranslated: no OpenAI key" in result.output
    again = CliRunner().invoke(cli, ["loop", theme_id, "--message", "other"])
    assert "0 customers will be told; 7 already told" in again.output
    assert len(loop_rows(app)) == 7
    missing = CliRunner().invoke(cli, ["loop", "999", "--message", DONE])
    assert missing.exit_code == 1 and "no theme 999" in missing.output


def test_the_cli_posts_a_digest_to_slack(
    app: App, database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app as cli

    seeded = seed(app, 8, themes=1)
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_DIGEST_CHANNEL": DIGESTS,
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["digest", str(seeded.campaign_id), "--post"])
    assert result.exit_code == 0, result.output
    assert "posted to C0DIGEST (1 messages + chart)" in result.output
    assert fake_slack.in_channel(DIGESTS) and fake_slack.files[-1][0] == DIGESTS
