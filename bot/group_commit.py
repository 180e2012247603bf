"""Group commit: the acknowledgements waiting at the same moment share one transaction.

A webhook is acknowledged once its event is durably stored. One transaction per webhook
cost a thread hand-off, a pool checkout, BEGIN and COMMIT for each; in a burst most of
an acknowledgement's CPU went there, not into the insert. Here one writer thread per
process writes whatever is waiting in one executemany and one commit, while the next
arrivals gather for the write after it: one event alone is written at once, a burst in
groups as large as the burst. Every caller still gets its answer only after the commit
that stored its row, so nothing acknowledged can be lost; a group whose write fails is
written again row by row, so one bad row refuses only its own request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)
Row = dict[str, Any]


class GroupCommit(Generic[Key]):
    """`submit(row)` returns once `write` has committed the row: True when it was new,
    False when its key was stored before (or earlier in the same group).

    `write(rows)` inserts the rows in one transaction and returns the keys it added."""

    def __init__(
        self,
        write: Callable[[Sequence[Row]], set[Key]],
        key: Callable[[Row], Key],
        *,
        max_group: int = 512,
        name: str = "postlive-group-commit",
    ) -> None:
        self._write = write
        self._key = key
        self.max_group = max_group
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Row, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        #: Groups written and rows in them (for the benchmarks and /metrics).
        self.groups = 0
        self.rows = 0

    async def submit(self, row: Row) -> bool:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (a test client's, a restarted server's): what waited in
            # the old one was never acknowledged, so its sender sends it again.
            self._loop, self._waiting, self._writer = loop, [], None
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((row, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_waiting())
        # Shielded: a client that hangs up does not cancel the write of the others.
        return await asyncio.shield(future)

    async def _write_waiting(self) -> None:
        while self._waiting:
            group = self._waiting[: self.max_group]
            del self._waiting[: self.max_group]
            await self._write_group(group)

    async def _write_group(self, group: list[tuple[Row, asyncio.Future[bool]]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            added = await loop.run_in_executor(
                self._thread(), self._write, [row for row, _ in group]
            )
        except Exception as exc:  # noqa: BLE001 - written again one by one below
            if len(group) == 1:
                _, future = group[0]
                if not future.done():
                    future.set_exception(exc)
                return
            log.warning("a group of %s inbound events failed; writing them one by one", len(group))
            for one in group:
                await self._write_group([one])
            return
        self.groups += 1
        self.rows += len(group)
        for row, future in group:
            key = self._key(row)
            new = key in added
            added.discard(key)  # a key given twice in one group is new once
            if not future.done():
                future.set_result(new)

    def _thread(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        return self._executor
