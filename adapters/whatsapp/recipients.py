"""What a refused send says about the customer, written to the database at once.

The delivery layer fails the row and marks the contact unreachable for any
`RecipientUnreachable`. Some refusals mean more: 21610 (unsubscribed) means nothing
else may ever leave for them and their open conversations end, as if they had written
STOP to us; an invalid number means their conversations cannot go on. The sender is
built from settings alone (the adapter registry's contract), so this hook opens its
own pool-less engine on the same database and applies `bot.receipts.refused`.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from bot.clock import Clock, SystemClock
from bot.db import make_engine, session_scope
from bot.messages import Channel
from bot.receipts import Reason, refused


class DatabaseRecipients:
    def __init__(self, database_url: str, clock: Clock | None = None) -> None:
        self.database_url = database_url
        self.clock = clock or SystemClock()
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _bind(self) -> Engine:
        with self._lock:
            if self._engine is None:
                # NullPool: refusals are rare; no connection is held between them.
                self._engine = make_engine(self.database_url, poolclass=NullPool)
            return self._engine

    def __call__(self, address: str, reason: Reason, detail: str) -> None:
        with session_scope(self._bind()) as session:
            refused(session, Channel.WHATSAPP, address, reason, detail, self.clock.now())
