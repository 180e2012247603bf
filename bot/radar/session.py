"""A show being listened to: sources feed it, the host's page and Slack read it.

Sources call `feed()` with batches of comments from any thread of the event loop; the
radar reads them at once. Every tick (half a second) the session stores what arrived,
recomputes the board and, when it changed, hands a snapshot to every subscriber (the
page's server-sent events, the Slack message). Subscribers hold a one-slot queue: a slow
phone only ever gets the newest board, never a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bot.clock import Clock
from bot.radar import store
from bot.radar.board import Entry, Radar, Seen
from bot.radar.comment import LiveComment

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
TOP = 8


@dataclass
class SourceState:
    """What the page says about one source: live, reconnecting (with why), or stopped."""

    state: str
    detail: str = ""
    #: Anything the source wants shown, e.g. YouTube quota units used.
    figures: dict[str, Any] = field(default_factory=dict)


class Labeller:
    """Turns the top entries' originals into one question in the team's language."""

    interval_seconds: float = 5.0

    def label(self, batch: Sequence[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
        raise NotImplementedError


class LiveSession:
    def __init__(
        self,
        show: str,
        token: str,
        radar: Radar,
        engine: Engine | None,
        clock: Clock,
        *,
        tick_seconds: float = TICK_SECONDS,
        top: int = TOP,
        labeller: Labeller | None = None,
    ) -> None:
        self.show = show
        self.token = token
        self.radar = radar
        self.engine = engine
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.top_n = top
        self.labeller = labeller
        self.sources: dict[str, SourceState] = {}
        self.board: list[Entry] = []
        self.version = 0
        self._pending: list[Seen] = []
        self._answered: list[str] = []
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._labelled_at = 0.0
        self._last: dict[str, Any] | None = None
        #: Monotonic time each comment batch arrived, until a board includes it.
        self._arrivals: list[tuple[float, int]] = []
        self.on_publish: list[Callable[[float, int], None]] = []

    # -- in ----------------------------------------------------------------------------
    def feed(self, comments: Sequence[LiveComment]) -> list[Seen]:
        if not comments:
            return []
        seen = self.radar.ingest(comments)
        self._pending.extend(seen)
        self._arrivals.append((time.monotonic(), len(comments)))
        return seen

    def source(self, name: str, state: str, detail: str = "", **figures: Any) -> None:
        current = self.sources.get(name)
        merged = {**(current.figures if current else {}), **figures}
        self.sources[name] = SourceState(state, detail, merged)

    def answer(self, key: str) -> bool:
        done = self.radar.answer(key, self.clock.now().timestamp())
        if done:
            self._answered.append(key)
            self.board = [e for e in self.board if e.key != key]
        return done

    # -- the loop ------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.tick()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                await self.tick()
            except Exception:  # one bad tick (database busy) must not end the show
                log.exception("live tick failed for show %s", self.show)

    async def tick(self) -> dict[str, Any]:
        """Store what arrived, refresh the board, tell subscribers if anything changed."""
        now = self.clock.now()
        pending, self._pending = self._pending, []
        answered, self._answered = self._answered, []
        arrivals, self._arrivals = self._arrivals, []
        self.board = self.radar.top(now.timestamp(), self.top_n)
        labels = {e.key: e.label for e in self.board}
        if self.engine is not None and (pending or answered):
            await asyncio.to_thread(self._persist, pending, answered, labels, now)
        if self.labeller and time.monotonic() - self._labelled_at >= self.labeller.interval_seconds:
            self._labelled_at = time.monotonic()
            await self._label(now.timestamp())
        snapshot = self.snapshot()
        published = time.monotonic()
        for arrived, count in arrivals:
            for hook in self.on_publish:
                hook(published - arrived, count)
        if snapshot != self._last:
            self._last = snapshot
            self.version += 1
            for queue in list(self._subscribers):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(snapshot)
        return snapshot

    def _persist(
        self, pending: list[Seen], answered: list[str], labels: dict[str, str], now: Any
    ) -> None:
        assert self.engine is not None
        if pending:
            store.save(self.engine, pending, labels)
        for key in answered:
            store.mark_answered(self.engine, self.show, key, now)

    async def _label(self, now: float) -> None:
        assert self.labeller is not None
        batch = self.radar.unlabelled(now, self.top_n)
        if not batch:
            return
        try:
            found = await asyncio.to_thread(self.labeller.label, batch)
        except Exception as exc:  # the offline label stays; the show goes on
            log.warning("live labelling failed: %s", exc)
            return
        for key, text in found.items():
            self.radar.set_canonical(key, text)
        self.board = self.radar.top(now, self.top_n)

    # -- out -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "show": self.show,
            "questions": [
                {
                    "key": e.key,
                    "label": e.label,
                    "count": e.count,
                    "markets": list(e.markets),
                    "original": e.original,
                    "original_language": e.original_language,
                    "translated": e.translated,
                }
                for e in self.board
            ],
            "sources": {
                name: {"state": s.state, "detail": s.detail, **s.figures}
                for name, s in sorted(self.sources.items())
            },
            "reconnecting": any(s.state == "reconnecting" for s in self.sources.values()),
        }

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A one-slot queue holding the newest board (the current one to begin with)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1)
        queue.put_nowait(self.snapshot())
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)
