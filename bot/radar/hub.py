"""The shows being listened to in this process, by show code and by page token.

One hub per application (`hub_for(app)`): the web routes, `postlive live start` and the
sources all reach the same sessions through it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.radar import store
from bot.radar.board import Radar
from bot.radar.session import Labeller, LiveSession

if TYPE_CHECKING:
    from bot.bootstrap import App

_HUBS: dict[int, LiveHub] = {}


class LiveHub:
    def __init__(self, app: App, labeller: Callable[[], Labeller | None] | None = None) -> None:
        self.app = app
        self.sessions: dict[str, LiveSession] = {}
        self.labeller = labeller

    def open(self, show: str) -> LiveSession:
        """The show's session, made (with its page token) the first time it is asked for;
        its loop starts when an event loop runs."""
        session = self.sessions.get(show)
        if session is None:
            settings = self.app.settings
            token = store.page_token(self.app.engine, show, self.app.clock.now())
            radar = Radar(settings.team_language)
            labeller = self.labeller() if self.labeller else None
            session = LiveSession(
                show, token, radar, self.app.engine, self.app.clock, labeller=labeller
            )
            self.sessions[show] = session
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return session
        session.start()
        return session

    def by_token(self, token: str) -> LiveSession | None:
        for session in self.sessions.values():
            if session.token == token:
                return session
        show = store.show_of_token(self.app.engine, token)
        return self.open(show) if show else None

    def page_url(self, session: LiveSession) -> str:
        return f"{self.app.settings.public_base_url.rstrip('/')}/live/{session.token}"


def hub_for(app: App) -> LiveHub:
    hub = _HUBS.get(id(app))
    if hub is None:
        from bot.radar.labeller import labeller_for

        hub = _HUBS[id(app)] = LiveHub(app, lambda: labeller_for(app.settings))
        weakref.finalize(app, _HUBS.pop, id(app), None)
    return hub
