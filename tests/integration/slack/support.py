"""What Slack sends, built and signed as Slack does, for the Slack tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from sqlmodel import select

from adapters.slack import post_due_digests, post_final_digest, post_pending_alerts
from adapters.slack.team import SlackTeam
from bot.bootstrap import App
from bot.db import session_scope
from bot.delivery import DeliveryReport
from bot.digest import Digest
from bot.models import InboundEvent
from bot.services import delivery_now, digests
from bot.settings import Settings
from tests.integration.analysis.fake_openai import FakeOpenAI
from tests.integration.slack.fake_slack import OPS, SIGNING_SECRET, FakeSlack

KEY = "sk-test-not-a-real-key"
ADMIN = "U0ADMIN"
AGENT = "U0AGENT"
STRANGER = "U0GUEST"
_triggers = itertools.count(1)
#: Slack stamps each click (action_ts) and each opened view (id) anew.
_stamps = itertools.count(1)


def with_openai(settings: Settings, fake_openai: FakeOpenAI) -> Settings:
    return settings.model_copy(
        update={"openai_api_key": SecretStr(KEY), "openai_base_url": fake_openai.base_url}
    )


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers Slack sends: v0 HMAC-SHA256 of `v0:{timestamp}:{body}` with the secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class SlackClient:
    """Sends what Slack would send, signed, and waits for the app's slow work to finish."""

    def __init__(self, http: httpx.AsyncClient, team: SlackTeam, fake: FakeSlack) -> None:
        self.http = http
        self.team = team
        self.fake = fake

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        response = await self.http.post("/slack/events", content=body, headers=headers)
        # Generous: a busy machine may take long over a big digest; this waits, never asserts.
        await self.team.idle(timeout=120)
        return response

    async def command(
        self, text: str, user: str = ADMIN, channel: str = OPS, response: str = "cmd"
    ) -> httpx.Response:
        body = urlencode(
            {
                "token": "legacy-unused",
                "team_id": "T0TEAM",
                "team_domain": "luna",
                "channel_id": channel,
                "channel_name": "ops",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/postlive",
                "text": text,
                "api_app_id": "A0POSTLIVE",
                "response_url": self.fake.response_url(response),
                "trigger_id": f"{next(_triggers)}.1.abc",
            }
        ).encode()
        return await self.post(body, sign(body))

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, sign(body))

    async def click(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user: str = ADMIN,
        message: dict[str, Any] | None = None,
        channel: str = OPS,
        selected: str | None = None,
        response: str = "click",
    ) -> httpx.Response:
        return await self.interact(
            click_payload(
                self.fake,
                action_id,
                value,
                user=user,
                message=message,
                channel=channel,
                selected=selected,
                response=response,
            )
        )

    async def submit(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = ADMIN
    ) -> httpx.Response:
        """Submit a modal the app opened, with `values` as block_id -> element state."""
        body = submission(view, values, user)
        return await self.post(body, sign(body))


def click_payload(
    fake: FakeSlack,
    action_id: str,
    value: str | None = None,
    *,
    user: str = ADMIN,
    message: dict[str, Any] | None = None,
    channel: str = OPS,
    selected: str | None = None,
    response: str = "click",
) -> dict[str, Any]:
    """The block_actions payload Slack sends for one click (each click stamped anew:
    sending the same payload again is a replay)."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": "b",
        "action_ts": f"1795000000.{next(_stamps):06d}",
    }
    if selected is not None:
        action.update(type="static_select", selected_option={"value": selected})
    else:
        action.update(type="button", value=value or "")
    message = message or {"ts": "1795000000.000001", "blocks": []}
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM", "domain": "luna"},
        "api_app_id": "A0POSTLIVE",
        "trigger_id": f"{next(_triggers)}.2.def",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel, "name": "ops"},
        "message": message,
        "response_url": fake.response_url(response),
        "actions": [action],
    }


def submission(view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = ADMIN) -> bytes:
    """The form-encoded body Slack sends when `view` is submitted (sign it to send it;
    the same bytes signed again are a replay)."""
    state = {block: {"v": element} for block, element in values.items()}
    payload = {
        "type": "view_submission",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM", "domain": "luna"},
        "api_app_id": "A0POSTLIVE",
        "trigger_id": f"{next(_triggers)}.3.ghi",
        "view": {
            "id": f"V{next(_stamps):07d}",
            "hash": "1795000000.abc",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "state": {"values": state},
            "blocks": view.get("blocks", []),
        },
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def button_value(blocks: list[dict[str, Any]], action_id: str) -> str:
    """The value of the button `action_id` in `blocks` (as a person would click it)."""
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element.get("value", ""))
    raise AssertionError(f"no button {action_id} in {json.dumps(blocks)[:500]}")


def texts(blocks: list[dict[str, Any]]) -> str:
    """All visible text of `blocks`, for assertions."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(found)


def build_digest(team: SlackTeam, campaign_id: int) -> Digest:
    """The digest the team would be shown now (built as the Slack adapter builds it)."""
    app = team.app
    return digests.build(
        app.engine,
        app.flows,
        campaign_id,
        token_cap=app.settings.analysis_campaign_token_cap,
        now=app.clock.now(),
    )


# -- the team's posts are outbox rows: the jobs queue them, the worker sends them -----------


async def send_slack(app: App) -> DeliveryReport:
    """The outbox worker's next passes over the Slack rows (customer rows stay queued)."""
    sender = app.senders["slack"]
    return await delivery_now.drain(app.engine, {"slack": sender}, app.clock)


async def alerts_posted(app: App) -> int:
    """The alert job (it queues), then the Slack rows sent; returns how many were queued."""
    queued = await post_pending_alerts(app)
    await send_slack(app)
    return queued


async def digests_posted(app: App) -> int:
    queued = await post_due_digests(app)
    await send_slack(app)
    return queued


async def final_posted(app: App, campaign_id: int) -> bool:
    queued = await post_final_digest(app, campaign_id)
    await send_slack(app)
    return queued


#: The event kinds of Slack interactions recorded by their ack (adapters.slack.durable).
SLACK_KINDS = ("slack_action", "slack_view", "slack_command")


def slack_events(app: App, kinds: tuple[str, ...] = SLACK_KINDS) -> list[InboundEvent]:
    """The Slack interactions recorded so far, oldest first (not the Events API's dedup
    rows)."""
    with session_scope(app.engine) as session:
        return list(
            session.exec(
                select(InboundEvent)
                .where(InboundEvent.kind.in_(kinds))  # type: ignore[attr-defined]
                .order_by(InboundEvent.id)  # type: ignore[arg-type]
            ).all()
        )
