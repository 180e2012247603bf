"""SQLite's one writer, shared fairly in one process: acknowledgements go first.

SQLite lets one transaction write at a time, and a writer that finds the lock taken
sleeps in SQLite's busy handler, in naps growing to 100 ms. While handling lagged, the
handler loop began its next batch the moment it committed the last one, before the
napping acknowledgement woke: webhooks waited seconds for an insert of microseconds.
Here the process's two writers take turns in Python instead: an acknowledgement waiting
is let in as soon as the batch under way commits, before the next batch starts, and a
batch asks `should_yield` between events to end early once an acknowledgement has
waited `patience` seconds. (PostgreSQL locks rows, not the database: no turns there.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class WriteTurns:
    def __init__(
        self, patience: float = 0.015, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.patience = patience
        self._clock = clock
        self._turn = threading.Condition()
        self._writing = False
        #: When each waiting acknowledgement began to wait (monotonic seconds).
        self._acks_since: list[float] = []

    @contextmanager
    def ack(self) -> Iterator[None]:
        """An acknowledgement's write: in as soon as the current writer is done."""
        since = self._clock()
        with self._turn:
            self._acks_since.append(since)
            try:
                while self._writing:
                    self._turn.wait()
            finally:
                self._acks_since.remove(since)
            self._writing = True
        try:
            yield
        finally:
            self._done()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """A handling batch's transaction: after every waiting acknowledgement."""
        with self._turn:
            while self._writing or self._acks_since:
                self._turn.wait()
            self._writing = True
        try:
            yield
        finally:
            self._done()

    def should_yield(self) -> bool:
        """Whether an acknowledgement has waited long enough for the batch to end now."""
        waiting = self._acks_since
        return bool(waiting) and self._clock() - waiting[0] > self.patience

    def _done(self) -> None:
        with self._turn:
            self._writing = False
            self._turn.notify_all()
