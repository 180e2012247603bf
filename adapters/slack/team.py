"""The team's Slack, wired once per postlive App: Web API client, poster, bolt app.

The composition root (bot.bootstrap.build) builds one `SlackTeam` per App (`app.slack`);
the web routes, the worker hooks (`post_pending_alerts`, `post_due_digests`) and the CLI
share it, and so one rate limiter.
Slow work runs after bolt's ack, in tasks this object tracks, so a test (or a graceful
shutdown) can wait for it with `idle()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import IntegrityError

from adapters.slack.labels import TeamLanguage
from adapters.slack.poster import ChannelLimiter, Poster, web_client
from bot.db import session_scope
from bot.errors import ConfigError
from bot.models import InboundEvent
from bot.services.actors import Actor, NotAllowed, Role, slack_actor
from bot.translation import Translator

if TYPE_CHECKING:
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from starlette.requests import Request
    from starlette.responses import Response

    from bot.bootstrap import App

log = logging.getLogger(__name__)
T = TypeVar("T")


class SlackTeam:
    def __init__(
        self,
        app: App,
        *,
        min_interval: float = 1.0,
        rate_limit_retries: int = 3,
    ) -> None:
        settings = app.settings
        if settings.slack_bot_token is None:
            raise ConfigError("Slack is not configured: set SLACK_BOT_TOKEN")
        self.app = app
        self.settings = settings
        self.client = web_client(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_api_url,
            rate_limit_retries=rate_limit_retries,
        )
        self.poster = Poster(self.client, ChannelLimiter(min_interval))
        self.translator: Translator | None = app.translator
        self.language = TeamLanguage(settings.team_language)
        self._inflight: set[asyncio.Task[Any]] = set()
        #: Digest messages whose theme buttons may need "Adopted ✓" (channel:ts -> blocks).
        self.digest_messages: dict[str, list[dict[str, Any]]] = {}

    def remember_digest(self, ref: str, blocks: list[dict[str, Any]], keep: int = 200) -> None:
        """Keep the latest digest messages so an adoption can update its button."""
        self.digest_messages[ref] = blocks
        while len(self.digest_messages) > keep:
            del self.digest_messages[next(iter(self.digest_messages))]

    # -- who may do what -----------------------------------------------------------------

    def actor(self, user_id: str | None) -> Actor:
        """The Slack user as the services see them: admin, agent or viewer."""
        return slack_actor(
            user_id or "", self.settings.slack_admin_users, self.settings.slack_agent_users
        )

    def refusal(self, exc: NotAllowed) -> str:
        if exc.needed == Role.ADMIN and not self.settings.slack_admin_users:
            return f"⛔ Nobody may {exc.what} from Slack yet: SLACK_ADMIN_USERS is empty."
        return str(exc)

    # -- running work ----------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Database work off the event loop (SQLAlchemy sessions are synchronous)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    @contextlib.asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Marks the current task as in-flight Slack work until the block ends."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until every listener started so far has finished its slow work."""
        async with asyncio.timeout(timeout):
            while pending := [t for t in self._inflight if not t.done()]:
                await asyncio.wait(pending)

    # -- the bolt app --------------------------------------------------------------------------

    @cached_property
    def bolt(self) -> AsyncApp:
        from slack_bolt.async_app import AsyncApp

        from adapters.slack import actions, commands, views

        secret = self.settings.slack_signing_secret
        if secret is None:
            raise ConfigError("Slack is not configured: set SLACK_SIGNING_SECRET")
        bolt = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value(),
            request_verification_enabled=True,
            # Ack first, answer Slack within 3 s, then do the slow work in the listener.
            process_before_response=False,
            logger=logging.getLogger("adapters.slack.bolt"),
        )
        commands.register(self, bolt)
        actions.register(self, bolt)
        views.register(self, bolt)
        return bolt

    @cached_property
    def handler(self) -> AsyncSlackRequestHandler:
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        return AsyncSlackRequestHandler(self.bolt)

    async def endpoint(self, request: Request) -> Response:
        from starlette.responses import PlainTextResponse

        body = await request.body()  # Starlette caches it for bolt's adapter
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack always sends UTF-8; bolt would fail with a 500 on anything else.
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        # bolt parses the body (JSON, form, payload=) before it checks the signature, and
        # some malformed bodies crash that parsing: check the signature (and the 5-minute
        # window) first, so nothing unsigned is ever parsed.
        secret = self.settings.slack_signing_secret
        verifier = SignatureVerifier(secret.get_secret_value() if secret else "")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            return PlainTextResponse("invalid request", status_code=401)
        event_id = _event_id(body)
        if event_id and not await self.db(first_delivery, self.app, event_id):
            # Slack re-sends an event it thinks we missed (X-Slack-Retry-Num): handled once.
            return PlainTextResponse("", status_code=200)
        try:
            return await self.handler.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError):
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


def first_delivery(app: App, event_id: str) -> bool:
    """Record a Slack event once (the inbound log, like any platform's); False if seen."""
    try:
        with session_scope(app.engine) as session:
            session.add(
                InboundEvent(
                    channel="slack",
                    external_id=event_id[:128],
                    kind="slack_event",
                    status="handled",
                    received_at=app.clock.now(),
                    handled_at=app.clock.now(),
                )
            )
    except IntegrityError:
        return False
    return True


def team_for(app: App) -> SlackTeam | None:
    """The App's Slack team (built by the composition root); None without Slack."""
    return app.slack
