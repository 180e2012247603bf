"""Buttons and selects: plan Start/Cancel, alert handling, review decisions, adopt.

Durable (adapters.slack.durable): Start, Acknowledge, Not a complaint, Confirm and
Change category change state, so their ack is ONE insert of the click into
inbound_event (replays recorded once) and the inbound handler loop applies it and
answers in Slack; the role is checked at the ack (refused: nothing recorded) and again
by the service in the handler. Not durable: Cancel changes nothing; "Reply to customer"
and "Adopt" only open a modal, which needs the trigger_id within its 3 seconds (the
modal's submission is the durable part); "Adopted ✓" only reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import alerts, durable, plans, review, views
from adapters.slack.blocks import section
from adapters.slack.digest_blocks import ADOPT, ADOPTED
from adapters.slack.team import SlackTeam
from bot.errors import PostliveError
from bot.services import alert_handling, theme_adoption
from bot.services.actors import NotAllowed, Role, require

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
                except PostliveError as exc:
                    await _private(respond, f"⚠️ {exc}")
                except Exception:  # noqa: BLE001 - the clicker gets a line, the log a trace
                    log.exception("slack action %s failed", action_id)
                    await _private(respond, "⚠️ That did not work; the details are in the log.")

        bolt.action(action_id)(listener)

    def durably(action_id: str, op: str, needed: Role, what: str, payload: Payload) -> None:
        async def listener(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            async with team.tracked():
                user = _user(body)
                try:
                    # Refused at the ack: the clicker hears it at once, nothing is stored.
                    require(team.actor(user), needed, what)
                    data = {"op": op, "user": user, **payload(body)}
                except NotAllowed as exc:
                    await ack()
                    await _private(respond, team.refusal(exc))
                    return
                except (ValueError, KeyError, TypeError):
                    log.warning("slack action %s with an unreadable value", action_id)
                    await ack()
                    await _private(respond, "⚠️ That button's value cannot be read.")
                    return
                action = _action(body)
                key = f"a:{user}:{action.get('action_ts', '')}:{action_id}"
                if not await durable.record(team, durable.ACTION, key, user, data):
                    await ack()
                    await _private(respond, durable.NOT_RECORDED)
                    return
                await ack()

        bolt.action(action_id)(listener)

    durably(plans.START, "plan_start", Role.ADMIN, "start campaigns", _start_payload)
    durably(alerts.ACK, "alert_ack", Role.AGENT, "acknowledge alerts", _alert_payload)
    durably(
        alerts.NOT_COMPLAINT,
        "alert_not_complaint",
        Role.AGENT,
        "change review categories",
        _alert_payload,
    )
    durably(review.CONFIRM, "review", Role.AGENT, "change review categories", _confirm_payload)
    durably(review.CHANGE, "review", Role.AGENT, "change review categories", _change_payload)
    on(plans.CANCEL, _plan_cancel)
    on(alerts.REPLY, _alert_reply)
    on(ADOPT, _theme_adopt)
    on(ADOPTED, _theme_adopted)


Payload = Callable[[dict[str, Any]], dict[str, Any]]


def _start_payload(body: dict[str, Any]) -> dict[str, Any]:
    value = str(_action(body).get("value", ""))
    plans.PlanSpec.from_value(value)  # unreadable: refused at the ack, not retried later
    return {"spec": value, "response_url": body.get("response_url")}


def _alert_payload(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer": _answer_id(body),
        "ref": _ref(body),
        "log": alerts.log_lines_of(body.get("message", {}).get("blocks", [])),
        "response_url": body.get("response_url"),
    }


def _confirm_payload(body: dict[str, Any]) -> dict[str, Any]:
    value = json.loads(str(_action(body).get("value", "{}")))
    return {
        "answer": int(value["a"]),
        "category": None,
        "scope": value.get("c"),
        "response_url": body.get("response_url"),
    }


def _change_payload(body: dict[str, Any]) -> dict[str, Any]:
    selected = (_action(body).get("selected_option") or {}).get("value", "")
    answer_id, category, scope = review.parse_choice(str(selected))
    return {
        "answer": answer_id,
        "category": category,
        "scope": scope,
        "response_url": body.get("response_url"),
    }


async def _plan_cancel(
    team: SlackTeam, body: dict[str, Any], respond: AsyncRespond, _client: AsyncWebClient
) -> None:
    text = f"Plan cancelled by <@{_user(body)}>: nothing was started."
    await respond(text=text, blocks=[section(text)], replace_original=True)


def _answer_id(body: dict[str, Any]) -> int:
    return int(str(_action(body).get("value", "0")))


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
