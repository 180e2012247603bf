"""Digests in Slack: useful with counts alone, within Block Kit's limits however much
customers wrote, with a chart, posted on demand, daily and once at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from adapters.slack import digests as slack_digests
from adapters.slack.blocks import MAX_BLOCKS, fit, section
from adapters.slack.digest_blocks import render
from adapters.slack.labels import TeamLanguage
from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Campaign, CampaignStatus
from bot.services import digests
from tests.conftest import add_contact
from tests.integration.slack.builders import seed
from tests.integration.slack.fake_slack import DIGESTS, OPS, FakeSlack
from tests.integration.slack.support import (
    SlackClient,
    build_digest,
    digests_posted,
    final_posted,
    texts,
)
from tests.integration.test_survey_journey import start_campaign

pytestmark = pytest.mark.timeout(60)
PNG = b"\x89PNG\r\n\x1a\n"


def every_call_accepted(fake: FakeSlack) -> None:
    refused = [(c.method, c.error) for c in fake.calls if not c.ok and c.error != "ratelimited"]
    assert refused == []


async def test_a_digest_of_1000_answers_in_8_languages_fits_slack_and_has_a_chart(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 1000, themes=30, show="Luna Live " + "✨" * 190, long_texts=True)
    response = await slack.command(f"digest {seeded.campaign_id}")
    assert "Posting the digest" in response.text
    every_call_accepted(fake_slack)
    posted = fake_slack.in_channel(OPS)
    assert posted and all(len(m.blocks) <= MAX_BLOCKS for m in posted)
    shown = "\n".join(texts(m.blocks) for m in posted)
    for market in ("United States", "Germany", "Japan", "Brazil", "France", "Indonesia"):
        assert market in shown
    assert "Thailand" in shown and "China" in shown
    assert "awaiting review" in shown  # every 11th answer waits for a human
    assert "The colour differed from the stream." in shown and "配信で見た色と違いました" in shown
    assert "Hot keywords" in shown and "colour" in shown
    assert "Mark adopted" in shown
    assert "customers owed a code" not in shown
    assert "analysis budget 85% used" in shown  # 1.7M of the 2M token cap
    channel, name, png = fake_slack.files[-1]
    assert channel == OPS and name.endswith(".png") and png.startswith(PNG)


async def test_pending_answers_stay_out_of_categories_until_reviewed(
    app: App, team: SlackTeam
) -> None:
    seeded = seed(app, 110, themes=3, pending_every=11)
    built = await team.db(build_digest, team, seeded.campaign_id)
    assert built.awaiting_review == 10
    assert sum(built.categories.values()) == 100
    assert sum(t.count for t in built.themes) == 100


async def test_offline_analysed_answers_show_their_original_marked_untranslated(
    app: App, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 16, themes=2, offline_every=1)
    await slack_digests.post_digest(team, seeded.campaign_id, DIGESTS)
    shown = texts(fake_slack.in_channel(DIGESTS)[0].blocks)
    assert "“A cor era diferente da live.” _(untranslated)_" in shown
    assert "The colour was different from the live." not in shown


async def test_counts_and_ratings_alone_already_make_a_digest(
    app: App, team: SlackTeam, fake_slack: FakeSlack, simulator: object
) -> None:
    add_contact(app, "+12125550101")
    campaign_id = start_campaign(app, pool_size=0)
    posted = await slack_digests.post_digest(team, campaign_id, DIGESTS)
    every_call_accepted(fake_slack)
    shown = texts(fake_slack.in_channel(DIGESTS)[0].blocks)
    assert len(posted) == 1
    assert "Sent" in shown and "no ratings yet" in shown
    assert "No free-text answers analysed yet." in shown
    assert fake_slack.files[-1][2].startswith(PNG)


async def test_more_than_fifty_blocks_become_several_messages_slack_accepts(
    team: SlackTeam, fake_slack: FakeSlack
) -> None:
    blocks = [section(f"line {i} " + "x" * 3500) for i in range(120)]
    messages = fit(blocks)
    assert len(messages) == 3
    for message in messages:
        await team.poster.post(DIGESTS, message)
    every_call_accepted(fake_slack)
    assert len(fake_slack.in_channel(DIGESTS)) == 3


async def test_the_digest_speaks_the_team_language_or_says_it_cannot(app: App) -> None:
    seeded = seed(app, 40, themes=2)
    from bot import digest

    with session_scope(app.engine) as session:
        campaign = session.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        built = digest.build(session, campaign, app.flows["post-live"], now=app.clock.now())
    chinese = texts([b for m in render(built, TeamLanguage("zh-CN")) for b in m])
    assert "已发送" in chinese and "德国" in chinese and "Labels in English" not in chinese
    french = texts([b for m in render(built, TeamLanguage("fr")) for b in m])
    assert "Allemagne" in french and "Envoyés" in french and "Labels in English" not in french
    swedish = texts([b for m in render(built, TeamLanguage("sv")) for b in m])
    assert "Tyskland" in swedish
    assert "Labels in English: no catalogue for TEAM_LANGUAGE=sv" in swedish


async def test_daily_digest_once_a_day_at_the_team_time_and_a_final_one(
    app: App, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 16, themes=2)
    with session_scope(app.engine) as session:
        session.execute(
            update(Campaign).where(Campaign.id == seeded.campaign_id).values(digest_time="09:00")
        )
    # Created yesterday 01:00 UTC; now 01:00 UTC: yesterday's 09:00 slot is due.
    assert await digests_posted(app) == 1
    assert await digests_posted(app) == 0
    app.clock.advance(hours=7, minutes=59)  # 08:59: today's slot not yet
    assert await digests_posted(app) == 0
    app.clock.advance(minutes=1)
    assert await digests_posted(app) == 1
    every_call_accepted(fake_slack)
    assert len(fake_slack.files) == 2

    with session_scope(app.engine) as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == seeded.campaign_id)
            .values(status=CampaignStatus.COMPLETED, ended_at=app.clock.now())
        )
    app.clock.advance(minutes=5)
    assert await final_posted(app, seeded.campaign_id) is True
    assert await final_posted(app, seeded.campaign_id) is False
    last = fake_slack.in_channel(DIGESTS)[-1]
    assert "Final digest" in texts(last.blocks)
    app.clock.advance(days=1)
    assert await digests_posted(app) == 0  # an ended campaign gets no daily digest


async def test_slack_rate_limit_is_waited_out(
    app: App, team: SlackTeam, fake_slack: FakeSlack
) -> None:
    seeded = seed(app, 8, themes=1)
    fake_slack.rate_limit(1)
    await slack_digests.post_digest(team, seeded.campaign_id, DIGESTS)
    assert [c.error for c in fake_slack.calls][:2] == ["ratelimited", None]
    assert len(fake_slack.in_channel(DIGESTS)) == 1


async def test_the_limiter_paces_one_channel_not_the_others() -> None:
    from adapters.slack.poster import SLACK
    from bot.ratelimit import Limit, RateLimiter

    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    limiter = RateLimiter({SLACK: Limit(per_recipient=1.0)}, now=lambda: now[0], sleep=sleep)
    for channel in ("C1", "C1", "C2", "C1"):
        await limiter.acquire(SLACK, channel)
    assert waited == [1.0, 1.0]


def test_slot_follows_the_team_time_zone() -> None:
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    assert digests.slot(now, "09:00", "Asia/Tokyo") == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert digests.slot(now, "11:30", "Asia/Tokyo") == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert digests.slot(now, None, "UTC") == now.replace(hour=9) - timedelta(days=1)
