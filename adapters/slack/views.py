"""Modals: start a campaign, reply to a customer, adopt a theme; and their submissions.

A submission is checked before the ack (the role, the fields: a refusal or a bad field
shows in the modal itself, since `response_action="errors"` can only ride in the ack,
and nothing is recorded). Durable (adapters.slack.durable): a valid reply or adoption
is acknowledged by ONE insert of the submission into inbound_event (the view's id and
hash: a replay is recorded once), applied by the inbound handler loop, and answered in
Slack after its commit. Not durable: the start form's submission only shows a plan
(read-only; the plan's Start button is the durable state change).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import durable
from adapters.slack.blocks import Block, clip, context, escape, plain, quote, section
from adapters.slack.plans import PlanSpec, UsageError, make_plan, plan_blocks
from adapters.slack.team import SlackTeam
from bot.services import alert_handling, campaign_control
from bot.services.actors import NotAllowed, Role, require

log = logging.getLogger(__name__)

START = "start_campaign"
REPLY = "alert_reply"
ADOPT = "theme_adopt"


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": "v"},
        "optional": optional,
    }


def _text_input(multiline: bool = False, max_length: int = 200, hint: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if hint:
        element["placeholder"] = plain(hint, 150)
    return element


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": clip(json.dumps(meta), 3000),
        "blocks": blocks[:100],
    }


def start_modal(team: SlackTeam, channel: str | None, response_url: str | None) -> dict[str, Any]:
    options = [
        {"text": plain(f"{f.id} · {f.name}" if f.name else f.id, 75), "value": f.id}
        for f in sorted(team.app.flows.values(), key=lambda f: f.id)
    ][:100]
    flow: dict[str, Any] = {"type": "static_select", "options": options}
    if options:
        flow["initial_option"] = options[0]
    blocks = [
        _input("flow", "Survey flow", flow),
        _input("audience", "Audience tag", _text_input(hint="e.g. show-2026-11-24")),
        _input("pool", "Coupon pool (default: the flow's)", _text_input(), optional=True),
        _input("at", "Start at (default: now)", {"type": "datetimepicker"}, optional=True),
        _input("show", "Live show title (used in messages)", _text_input(), optional=True),
        context(
            "You will see the plan (markets, local send times, coupons) before anything is sent."
        ),
    ]
    meta = {"channel": channel, "response_url": response_url}
    return _modal(START, "Start a campaign", "Show plan", blocks, meta)


def reply_modal(
    view: alert_handling.AlertView, ref: str | None, log_lines: list[str], team: SlackTeam
) -> dict[str, Any]:
    a = view.answer
    target = team.language.language(view.conversation.locale)
    said = f"“{a.translation or a.raw_text or ''}”"
    how = (
        f"Your reply will be translated into *{target}* before it is sent."
        if team.translator is not None
        else "No OpenAI key is set: your reply goes out exactly as you write it."
    )
    blocks = [
        section(f"{quote(clip(said, 1200))}\n{quote(clip(a.raw_text or '', 1200), italic=True)}"),
        context(how),
        _input("reply", "Your reply", _text_input(True, alert_handling.MAX_REPLY)),
    ]
    # "k": this form's key; the reply it sends is queued once, however often it arrives.
    meta = {"a": a.id, "ref": ref, "log": log_lines[-5:], "k": uuid.uuid4().hex}
    return _modal(REPLY, "Reply to customer", "Send", blocks, meta)


def adopt_modal(theme_id: int, label: str, ref: str | None) -> dict[str, Any]:
    blocks = [
        section(f"*Theme:* {escape(label)}"),
        _input(
            "message",
            "What did you do about it?",
            _text_input(True, 1000, "e.g. we now show every colour in daylight too"),
        ),
        context(
            "Everyone who raised it gets a “you said, we did” message once, in their "
            "language, at their local hour. Opted-out customers get nothing."
        ),
    ]
    return _modal(ADOPT, "Mark adopted", "Tell customers", blocks, {"t": theme_id, "ref": ref})


def _value(view: dict[str, Any], block: str) -> Any:
    element = view["state"]["values"].get(block, {}).get("v", {})
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value")
    if "selected_date_time" in element:
        return element["selected_date_time"]
    return element.get("value")


def _refused(team: SlackTeam, user: str, needed: Role, what: str) -> str | None:
    """The refusal to show in the form, or None when the user's role allows it."""
    try:
        require(team.actor(user), needed, what)
    except NotAllowed as exc:
        return team.refusal(exc)
    return None


def register(team: SlackTeam, bolt: AsyncApp) -> None:
    @bolt.view(START)
    async def start_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with team.tracked():
            await _start_submitted(team, ack, body, view)

    @bolt.view(REPLY)
    async def reply_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with team.tracked():
            await _reply_submitted(team, ack, body, view)

    @bolt.view(ADOPT)
    async def adopt_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with team.tracked():
            await _adopt_submitted(team, ack, body, view)


async def _start_submitted(
    team: SlackTeam, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    user = body["user"]["id"]
    refused = _refused(team, user, Role.ADMIN, "start campaigns")
    if refused:
        await ack(response_action="errors", errors={"audience": refused})
        return
    audience = str(_value(view, "audience") or "").strip()
    if not await team.db(campaign_control.audience_exists, team.app.engine, audience):
        await ack(
            response_action="errors", errors={"audience": f"No contacts tagged {audience!r}."}
        )
        return
    at = _value(view, "at")
    spec = PlanSpec(
        flow=str(_value(view, "flow") or ""),
        audience=audience,
        pool=(str(_value(view, "pool") or "").strip() or None),
        at=datetime.fromtimestamp(int(at), UTC).isoformat() if at else None,
        show=str(_value(view, "show") or "").strip(),
    )
    await ack()
    meta = json.loads(view.get("private_metadata") or "{}")
    try:
        plan = await team.db(make_plan, team.app.engine, team.app.flows, spec, team.app.clock.now())
        blocks, text = plan_blocks(plan, spec, team.language), "Campaign plan"
    except UsageError as exc:
        blocks, text = [section(f"❓ {exc}")], str(exc)
    if meta.get("response_url"):
        await AsyncWebhookClient(meta["response_url"]).send(
            text=text, blocks=blocks, response_type="ephemeral"
        )
    else:  # opened from a shortcut: no response_url, so a direct message
        await team.poster.post(user, blocks, text)


async def _reply_submitted(
    team: SlackTeam, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    user = body["user"]["id"]
    refused = _refused(team, user, Role.AGENT, "reply to customers")
    if refused:
        await ack(response_action="errors", errors={"reply": refused})
        return
    text = str(_value(view, "reply") or "").strip()
    if not text:
        await ack(response_action="errors", errors={"reply": "Write the reply first."})
        return
    meta = json.loads(view.get("private_metadata") or "{}")
    payload = {
        "op": "alert_reply",
        "user": user,
        "answer": int(meta["a"]),
        "text": text,
        # The form's own key: a replayed or twice-delivered submission sends once.
        "nonce": str(meta.get("k") or ""),
        "ref": meta.get("ref"),
        "log": meta.get("log", []),
    }
    await _record(team, ack, body, view, payload, "reply")


async def _record(
    team: SlackTeam,
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    payload: dict[str, Any],
    block: str,
) -> None:
    """The ack of a valid submission: ONE insert, keyed by the view's id and hash (a
    replay is recorded once); a database failure is shown in the form, not acked."""
    user = body["user"]["id"]
    key = f"v:{view.get('id', '')}:{view.get('hash', '')}"
    if not await durable.record(team, durable.VIEW, key, user, payload):
        await ack(response_action="errors", errors={block: durable.NOT_RECORDED})
        return
    await ack()


async def _adopt_submitted(
    team: SlackTeam, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    user = body["user"]["id"]
    refused = _refused(team, user, Role.ADMIN, "close the loop")
    if refused:
        await ack(response_action="errors", errors={"message": refused})
        return
    message = str(_value(view, "message") or "").strip()
    if not message:
        await ack(response_action="errors", errors={"message": "Say what was done."})
        return
    meta = json.loads(view.get("private_metadata") or "{}")
    payload = {"op": "theme_adopt", "user": user, "theme": int(meta["t"]), "message": message}
    payload["ref"] = meta.get("ref")
    await _record(team, ack, body, view, payload, "message")
