"""The team sees a pool's codes left, issued and redeemed in Slack, and is warned in the
alert channel before a campaign's pool runs out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot import coupons
from bot.bootstrap import App
from bot.db import session_scope
from tests.integration.slack.fake_slack import ALERTS, FakeSlack
from tests.integration.slack.support import SlackClient, alerts_posted, texts
from tests.integration.test_coupon_redemption_digest import WHEN, campaign_with, give_codes

pytestmark = pytest.mark.timeout(60)


async def test_coupons_shows_left_issued_and_redeemed(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    campaign_id = campaign_with(app, {"US": 4})
    codes = give_codes(app, campaign_id)["US"]
    with session_scope(app.engine) as session:
        coupons.redeem(
            session, codes[0], order_number="#1", amount=Decimal(10), currency="USD", when=WHEN
        )
    await slack.command("coupons post-live")
    assert (
        "pool `post-live`: *46* free, 4 assigned, 1 redeemed (25%)"
        in fake_slack.responses[-1]["text"]
    )


async def test_a_pool_about_to_run_out_is_posted_to_the_alert_channel_once(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    campaign_with(app, {"US": 30}, state="active")
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", 5)
    await alerts_posted(app)
    await alerts_posted(app)
    (warning,) = fake_slack.in_channel(ALERTS)
    shown = texts(warning.blocks)
    assert "Coupon pool `post-live` is running out" in shown
    assert "5 codes left for about 30 more completions" in shown
