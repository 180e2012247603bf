"""An in-process channel for `postlive demo`, `postlive chat` and tests.

It plays the part of WhatsApp or Telegram: messages the outbox sends land in a
transcript per address, where a simulated (or real, in `chat`) customer reads them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

from bot.messages import Outbound


class SimulatorChannel:
    def __init__(self, on_message: Callable[[Outbound], None] | None = None) -> None:
        self.transcripts: dict[str, list[Outbound]] = defaultdict(list)
        self.keys: set[str] = set()
        self.duplicates = 0
        self._ids = itertools.count(1)
        self.on_message = on_message

    async def send(self, message: Outbound, *, key: str) -> str:
        if key in self.keys:
            self.duplicates += 1  # what a customer would see twice; tests assert it is zero
        self.keys.add(key)
        self.transcripts[message.address].append(message)
        if self.on_message:
            self.on_message(message)
        return f"SIM{next(self._ids):08d}"

    def last(self, address: str) -> Outbound | None:
        messages = self.transcripts.get(address)
        return messages[-1] if messages else None
