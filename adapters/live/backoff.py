"""Reconnect delays for sources that drop: multiplied each failure, capped, jittered, so a
platform outage is not answered by every show reconnecting in lockstep."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    #: Each delay is drawn from [delay * (1 - jitter), delay].
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        base = min(self.cap, self.first * self.factor**self.failures)
        self.failures += 1
        return base * (1 - self.jitter * self.rng.random())

    def reset(self) -> None:
        self.failures = 0
