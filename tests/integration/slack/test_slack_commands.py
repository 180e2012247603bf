"""The ops team in Slack: `/postlive` is signed, admins start campaigns from a plan they
see first, and everyone else is refused with nothing changed."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from sqlmodel import func, select

from bot import coupons
from bot.bootstrap import App
from bot.db import session_scope
from bot.models import Campaign, CampaignStatus
from tests.conftest import add_contact
from tests.integration.slack.fake_slack import FakeSlack
from tests.integration.slack.support import STRANGER, SlackClient, button_value, sign, texts

pytestmark = pytest.mark.timeout(60)


def campaigns_in(app: App) -> list[Campaign]:
    with session_scope(app.engine) as session:
        return list(session.exec(select(Campaign)).all())


def audience(app: App) -> None:
    add_contact(app, "+12125550101")
    add_contact(app, "+12125550102")
    add_contact(app, "+4915112345678", locale="de", country="DE", timezone="Europe/Berlin")
    add_contact(app, "+12125550103", consent=False)
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", 2, prefix="T-")


def command_body(text: str) -> bytes:
    return urlencode(
        {
            "command": "/postlive",
            "text": text,
            "user_id": "U0ADMIN",
            "team_id": "T0TEAM",
            "channel_id": "C0OPS",
            "response_url": "http://127.0.0.1:1/r",
            "trigger_id": "1.2.3",
        }
    ).encode()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param(sign(b"something else"), id="signed-for-another-body"),
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("stale", id="six-minutes-old"),
    ],
)
async def test_unsigned_forged_or_stale_requests_are_refused_and_start_nothing(
    app: App, slack: SlackClient, fake_slack: FakeSlack, headers: object
) -> None:
    audience(app)
    body = command_body("start post-live --audience show-1")
    if headers == "wrong-secret":
        headers = sign(body, secret="not-the-signing-secret")
    elif headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 6 * 60)
    response = await slack.post(body, headers)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert campaigns_in(app) == []
    assert fake_slack.responses == [] and fake_slack.calls_to("views.open") == []


async def test_a_non_admin_cannot_start_and_nothing_happens(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    response = await slack.command("start post-live --audience show-1", user=STRANGER)
    assert response.status_code == 200
    assert "Only postlive admins" in response.text
    await slack.command("start", user=STRANGER)  # the form is not even opened
    await slack.command("stop 1", user=STRANGER)
    assert campaigns_in(app) == []
    assert fake_slack.views == [] and fake_slack.responses == []


async def test_start_shows_the_plan_then_the_start_button_starts_it(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    ack = await slack.command('start post-live --audience show-1 --show "Winter Knits"')
    assert ack.status_code == 200
    assert campaigns_in(app) == []  # a plan is only a plan
    plan = fake_slack.responses[-1]
    shown = texts(plan["blocks"])
    assert "Plan: post-live → audience show-1" in shown
    assert "United States" in shown and "Germany" in shown
    assert "2* free" in shown and "1 short" in shown  # 3 recipients, 2 codes
    assert "no recorded WhatsApp opt-in" in shown

    await slack.click("plan_start", button_value(plan["blocks"], "plan_start"))
    started = campaigns_in(app)
    assert len(started) == 1
    assert started[0].status == CampaignStatus.RUNNING
    assert started[0].show == "Winter Knits" and started[0].created_by == "slack:U0ADMIN"
    assert fake_slack.responses[-1]["replace_original"] is True
    assert "started campaign *#1*" in fake_slack.responses[-1]["text"]

    # A second click on the same plan starts nothing more.
    await slack.click("plan_start", button_value(plan["blocks"], "plan_start"))
    assert len(campaigns_in(app)) == 1


async def test_a_stranger_clicking_start_is_refused(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await slack.command("start post-live --audience show-1")
    value = button_value(fake_slack.responses[-1]["blocks"], "plan_start")
    await slack.click("plan_start", value, user=STRANGER)
    assert campaigns_in(app) == []
    assert "Only postlive admins" in fake_slack.responses[-1]["text"]


async def test_start_without_arguments_opens_a_form_whose_submission_shows_the_plan(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await slack.command("start")
    assert len(fake_slack.views) == 1
    form = fake_slack.views[0]
    assert form["callback_id"] == "start_campaign"
    refused = await slack.submit(
        form, {"flow": {"selected_option": {"value": "post-live"}}, "audience": {"value": "nope"}}
    )
    assert "No contacts tagged 'nope'" in json.loads(refused.text)["errors"]["audience"]
    await slack.submit(
        form,
        {
            "flow": {"selected_option": {"value": "post-live"}},
            "audience": {"value": "show-1"},
            "pool": {"value": None},
            "at": {"selected_date_time": None},
            "show": {"value": "Knits"},
        },
    )
    plan = fake_slack.responses[-1]
    assert "Plan: post-live → audience show-1 · Knits" in texts(plan["blocks"])
    await slack.click("plan_start", button_value(plan["blocks"], "plan_start"))
    assert [c.show for c in campaigns_in(app)] == ["Knits"]


async def test_a_stranger_cannot_submit_the_start_form(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await slack.command("start")
    response = await slack.submit(
        fake_slack.views[0],
        {"flow": {"selected_option": {"value": "post-live"}}, "audience": {"value": "show-1"}},
        user=STRANGER,
    )
    assert "Only postlive admins" in json.loads(response.text)["errors"]["audience"]
    assert fake_slack.responses == [] and campaigns_in(app) == []


async def test_status_pause_resume_stop_and_coupons(
    app: App, slack: SlackClient, fake_slack: FakeSlack
) -> None:
    audience(app)
    await slack.command("start post-live --audience show-1")
    await slack.click("plan_start", button_value(fake_slack.responses[-1]["blocks"], "plan_start"))
    await slack.command("status 1")
    assert "Campaign #1" in texts(fake_slack.responses[-1]["blocks"])
    await slack.command("pause 1")
    assert "*paused*" in fake_slack.responses[-1]["text"]
    assert campaigns_in(app)[0].status == CampaignStatus.PAUSED
    await slack.command("resume 1")
    await slack.command("stop 1")
    assert campaigns_in(app)[0].status == CampaignStatus.STOPPED
    await slack.command("coupons post-live")
    assert "*2* free, 0 assigned" in fake_slack.responses[-1]["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "/postlive status ID"),
        ("help", "/postlive status ID"),
        ("dance", "Unknown subcommand `dance`"),
        ("status twelve", "the campaign id must be a number"),
        ("status 99", "no campaign 99"),
        ("start post-live", "the following arguments are required: --audience"),
        ("start post-live --audience show-1 --at tomorrow", "is not a time"),
        ("start no-such-flow --audience show-1", "no survey flow `no-such-flow`"),
        ("start post-live --audience ghosts", "no audience tagged `ghosts`"),
        ('start post-live --audience "show-1', "a quote left open"),
        ("loop 1", "say what was done"),
        ("coupons", "name the pool"),
        ("stop 99", "no campaign 99"),
    ],
)
async def test_bad_input_gets_a_clear_answer_never_an_error(
    app: App, slack: SlackClient, fake_slack: FakeSlack, text: str, expected: str
) -> None:
    audience(app)
    response = await slack.command(text)
    assert response.status_code == 200
    answers = [response.text, *(r.get("text", "") for r in fake_slack.responses)]
    answers.extend(texts(r.get("blocks", [])) for r in fake_slack.responses)
    assert any(expected in a for a in answers), answers
    assert campaigns_in(app) == []


async def test_garbage_and_huge_bodies_are_4xx(slack: SlackClient) -> None:
    body = b"\xff\xfe not a form"
    assert (await slack.post(body, sign(body))).status_code in (400, 401, 404)
    big = b"text=" + b"x" * (300 * 1024)
    assert (await slack.post(big, sign(big))).status_code == 413


async def test_without_slack_settings_the_endpoint_says_so(app: App) -> None:
    import httpx

    from bot.bootstrap import build
    from bot.web import create_app

    bare = build(app.settings.model_copy(update={"slack_bot_token": None}), clock=app.clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(bare)), base_url="https://t"
    ) as client:
        response = await client.post("/slack/events", content=b"x")
    assert response.status_code == 404 and "not configured" in response.text
    with session_scope(bare.engine) as session:
        assert session.exec(select(func.count()).select_from(Campaign)).one() == 0
    bare.engine.dispose()


def test_the_manifest_sets_up_command_interactivity_events_and_scopes() -> None:
    import yaml

    from tests.conftest import ROOT

    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/postlive" and command["url"].endswith("/slack/events")
    settings = manifest["settings"]
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public", "files:write", "users:read"} <= scopes
