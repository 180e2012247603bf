"""Buttons and selects: plan Start/Cancel, alert handling, review decisions, adopt.

Each listener acks at once; a refusal or an outcome comes back as an ephemeral line or
as an update of the message the button sits on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import alerts, plans, review, views
from adapters.slack.blocks import escape, section
from adapters.slack.digest_blocks import ADOPT, ADOPTED
from adapters.slack.team import SlackTeam
from bot.errors import PostliveError
from bot.ratelimit import planning_rates
from bot.services import alert_handling, theme_adoption
from bot.services import review as reviewing
from bot.services.actors import NotAllowed, Role, require
from bot.services.campaign_control import AlreadyStarted

log = logging.getLogger(__name__)
Handler = Callable[[SlackTeam, dict[str, Any], AsyncRespond, AsyncWebClient], Awaitable[None]]


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user", {}).get("id", ""))


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return (body.get("actions") or [{}])[0]


def _ref(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return f"{channel}:{ts}" if channel and ts else None


async def _private(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)


def register(team: SlackTeam, bolt: AsyncApp) -> None:
    def on(action_id: str, handler: Handler) -> None:
        async def listener(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            async with team.tracked():
                await ack()
                try:
                    await handler(team, body, respond, client)
                except NotAllowed as exc:
                    await _private(respond, team.refusal(exc))
                except AlreadyStarted as exc:
                    await _private(respond, str(exc))
                except PostliveError as exc:
                    await _private(respond, f"⚠️ {exc}")
                except Exception:  # noqa: BLE001 - the clicker gets a line, the log a trace
                    log.exception("slack action %s failed", action_id)
                    await _private(respond, "⚠️ That did not work; the details are in the log.")

        bolt.action(action_id)(listener)

    on(plans.START, _plan_start)
    on(plans.CANCEL, _plan_cancel)
    on(alerts.ACK, _alert_ack)
    on(alerts.REPLY, _alert_reply)
    on(alerts.NOT_COMPLAINT, _alert_not_complaint)
    on(review.CONFIRM, _review_confirm)
    on(review.CHANGE, _review_change)
    on(ADOPT, _theme_adopt)
    on(ADOPTED, _theme_adopted)


async def _plan_start(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    user = _user(body)
    spec = plans.PlanSpec.from_value(str(_action(body).get("value", "")))
    campaign = await team.db(
        plans.start,
        team.app.engine,
        team.app.flows,
        spec,
        team.app.clock.now(),
        team.actor(user),
        planning_rates(team.settings),
    )
    text = (
        f"✅ <@{user}> started campaign *#{campaign.id}* ({escape(campaign.show)}): "
        f"`{campaign.flow_id}` → audience `{campaign.audience_tag}`. Each market gets it at its "
        f"local hour; `/postlive status {campaign.id}` shows progress."
    )
    await respond(text=text, blocks=[section(text)], replace_original=True)


async def _plan_cancel(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    text = f"Plan cancelled by <@{_user(body)}>: nothing was started."
    await respond(text=text, blocks=[section(text)], replace_original=True)


def _answer_id(body: dict[str, Any]) -> int:
    return int(str(_action(body).get("value", "0")))


async def _alert_ack(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    answer_id = _answer_id(body)
    changed = await team.db(
        alert_handling.acknowledge, team.app.engine, answer_id, actor=team.actor(_user(body))
    )
    history = alerts.log_lines_of(body.get("message", {}).get("blocks", []))
    if changed:
        history.append(f"👀 acknowledged by <@{_user(body)}>")
    await alerts.refresh(team, answer_id, _ref(body), history)


async def _alert_reply(
    team: SlackTeam, body: dict[str, Any], _respond: AsyncRespond, client: AsyncWebClient
) -> None:
    answer_id = _answer_id(body)
    # Refused before the form opens: a viewer never writes a reply that cannot be sent.
    require(team.actor(_user(body)), Role.AGENT, "reply to customers")
    view = await team.db(alert_handling.view, team.app.engine, answer_id)
    history = alerts.log_lines_of(body.get("message", {}).get("blocks", []))
    await client.views_open(
        trigger_id=body["trigger_id"], view=views.reply_modal(view, _ref(body), history, team)
    )


async def _alert_not_complaint(
    team: SlackTeam, body: dict[str, Any], _respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    answer_id = _answer_id(body)
    user = _user(body)
    category = await team.db(
        alert_handling.not_a_complaint, team.app.engine, answer_id, actor=team.actor(user)
    )
    history = alerts.log_lines_of(body.get("message", {}).get("blocks", []))
    history.append(f"🙅 <@{user}>: not a complaint (now {category})")
    await alerts.refresh(team, answer_id, _ref(body), history)


async def _review_confirm(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    value = json.loads(str(_action(body).get("value", "{}")))
    outcome = await _decide(team, int(value["a"]), None, _user(body))
    await _requeue(team, respond, value.get("c"), outcome)


async def _review_change(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    selected = (_action(body).get("selected_option") or {}).get("value", "")
    answer_id, category, scope = review.parse_choice(str(selected))
    outcome = await _decide(team, answer_id, category, _user(body))
    await _requeue(team, respond, scope, outcome)


async def _decide(team: SlackTeam, answer_id: int, category: str | None, user: str) -> str:
    decision = await team.db(
        reviewing.decide, team.app.engine, answer_id, category, actor=team.actor(user)
    )
    again = " (it had been reviewed already)" if decision.again else ""
    return f"<@{user}> {decision.outcome}{again}"


async def _requeue(team: SlackTeam, respond: AsyncRespond, scope: int | None, outcome: str) -> None:
    blocks = await team.db(review.queue_blocks, team, scope, outcome)
    await respond(text=outcome, blocks=blocks, replace_original=True)


async def _theme_adopt(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> None:
    require(team.actor(_user(body)), Role.ADMIN, "close the loop with customers")
    theme = await team.db(theme_adoption.theme, team.app.engine, _answer_id(body))
    if theme.adopted_at is not None:
        await _private(respond, f"Already adopted by {theme.adopted_by}: {theme.loop_message}")
        return
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=views.adopt_modal(theme.id or 0, theme.label, _ref(body)),
    )


async def _theme_adopted(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    theme = await team.db(theme_adoption.theme, team.app.engine, _answer_id(body))
    when = theme.adopted_at.strftime("%Y-%m-%d") if theme.adopted_at else "?"
    await _private(
        respond,
        f"“{theme.label}” was adopted on {when} by {theme.adopted_by}: {theme.loop_message}",
    )
