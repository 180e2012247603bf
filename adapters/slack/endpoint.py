"""POST /slack/events: the signature checked before anything is parsed, Events API
retries handled once, then slack-bolt's AsyncApp with postlive's listeners.

Kept apart from `team.py` so the listeners (commands, actions, views) depend on the
team and this module depends on them, without a cycle.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import cached_property

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from adapters.slack import actions, commands, views
from adapters.slack.team import SlackTeam
from bot.errors import ConfigError
from bot.services import claims


class SlackEndpoint:
    def __init__(self, team: SlackTeam) -> None:
        self.team = team

    @cached_property
    def bolt(self) -> AsyncApp:
        team = self.team
        secret = team.settings.slack_signing_secret
        if secret is None:
            raise ConfigError("Slack is not configured: set SLACK_SIGNING_SECRET")
        bolt = AsyncApp(
            client=team.client,
            signing_secret=secret.get_secret_value(),
            request_verification_enabled=True,
            # Ack first, answer Slack within 3 s. A state change is recorded before the
            # ack and applied by the inbound handler loop (adapters.slack.durable).
            process_before_response=False,
            logger=logging.getLogger("adapters.slack.bolt"),
        )
        commands.register(team, bolt)
        actions.register(team, bolt)
        views.register(team, bolt)
        return bolt

    @cached_property
    def verifier(self) -> SignatureVerifier:
        """Built once, like the bolt app: not per request."""
        secret = self.team.settings.slack_signing_secret
        return SignatureVerifier(secret.get_secret_value() if secret else "")

    @cached_property
    def handler(self) -> AsyncSlackRequestHandler:
        return AsyncSlackRequestHandler(self.bolt)

    async def handle(self, request: Request) -> Response:
        team = self.team
        body = await request.body()  # Starlette caches it for bolt's adapter
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack always sends UTF-8; bolt would fail with a 500 on anything else.
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        # bolt parses the body (JSON, form, payload=) before it checks the signature, and
        # some malformed bodies crash that parsing: check the signature (and the 5-minute
        # window) first, so nothing unsigned is ever parsed.
        verifier = self.verifier
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            return PlainTextResponse("invalid request", status_code=401)
        try:
            event_id = _event_id(body)
        except RecursionError:
            return PlainTextResponse("malformed Slack request body", status_code=400)
        if event_id and not await asyncio.to_thread(
            claims.first_event, team.app.engine, "slack", event_id, "slack_event", team.app.clock
        ):
            # Slack re-sends an event it thinks we missed (X-Slack-Retry-Num): handled once.
            return PlainTextResponse("", status_code=200)
        try:
            return await self.handler.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            # Signed by Slack yet not a shape Slack sends: the sender's error, not ours.
            return PlainTextResponse("malformed Slack request body", status_code=400)


def _event_id(body: bytes) -> str | None:
    """The event_id of an Events API callback (JSON); None for commands and actions."""
    if not body.startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None
