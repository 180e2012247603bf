"""The team's Slack, wired once per postlive App: Web API client, poster, bolt app.

The composition root (bot.bootstrap.build) builds one `SlackTeam` per App (`app.slack`);
the web routes, the scheduler hooks (`post_pending_alerts`, `post_due_digests`) and the CLI
share it. Its `poster` makes the direct calls (edits after a click, ephemeral answers);
posts the jobs make are outbox rows sent by adapters.slack.sender.
Slow work runs after bolt's ack, in tasks this object tracks, so a test (or a graceful
shutdown) can wait for it with `idle()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.slack.labels import TeamLanguage
from adapters.slack.poster import Poster, channel_limiter, web_client
from bot.errors import ConfigError
from bot.services.actors import Actor, NotAllowed, Role, slack_actor
from bot.translation import Translator

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
T = TypeVar("T")


class SlackTeam:
    def __init__(
        self,
        app: App,
        *,
        min_interval: float = 1.0,
    ) -> None:
        settings = app.settings
        if settings.slack_bot_token is None:
            raise ConfigError("Slack is not configured: set SLACK_BOT_TOKEN")
        self.app = app
        self.settings = settings
        self.client = web_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url
        )
        # Direct calls (edits after a click, ephemeral answers): paced and retried on 429
        # by bot.ratelimit; posts the jobs make go through the outbox (adapters.slack.sender).
        self.poster = Poster(self.client, channel_limiter(1.0 / max(min_interval, 0.001)))
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


def team_for(app: App) -> SlackTeam | None:
    """The App's Slack team (built by the composition root); None without Slack."""
    return app.slack
