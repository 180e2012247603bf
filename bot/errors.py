"""The exceptions postlive raises, and the data they carry.

    PostliveError
    ├── FlowError(path, problems)          a survey file that cannot be used
    ├── ConfigError                        a setting that is missing or wrong
    ├── AudienceError                      an audience file that cannot be read at all
    ├── NotFound(kind, key)                a campaign, flow or pool that does not exist
    └── DeliveryError                      a send that did not happen
        ├── RateLimited(retry_after)       try again later, not before retry_after seconds
        ├── TransientDeliveryError         network or 5xx: try again with backoff
        ├── RecipientUnreachable(reason)   invalid number, bot blocked: never retry
        │   └── RecipientOptedOut(reason)  the platform says they unsubscribed: as STOP
        └── OutsideWindow                  free-form text refused outside the 24-hour window

Adapters map SDK exceptions onto DeliveryError subclasses with `raise ... from exc`; the
CLI prints `str(error)` on one line; the web layer maps errors to 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PostliveError(Exception):
    """Base of every error postlive raises on purpose."""


@dataclass(frozen=True)
class FlowProblem:
    line: int | None
    field: str
    message: str


class FlowError(PostliveError):
    def __init__(self, path: Path | str, problems: list[FlowProblem]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__(self.describe())

    def describe(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{self.path}:{p.line}" if p.line else str(self.path)
            field = f" {p.field}:" if p.field else ""
            lines.append(f"{where}:{field} {p.message}")
        return "\n".join(lines)


class ConfigError(PostliveError):
    pass


class AudienceError(PostliveError):
    pass


class NotFound(PostliveError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {kind} {key!r}")


class DeliveryError(PostliveError):
    pass


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float | None = None, detail: str = "") -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited (retry after {retry_after}s) {detail}".strip())


class TransientDeliveryError(DeliveryError):
    pass


class Refused(DeliveryError):
    """The provider refused this message for good (a Slack channel the bot is not in, a
    malformed message): the row fails at once instead of being retried."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        super().__init__(f"refused: {code} {detail}".strip())


class RecipientUnreachable(DeliveryError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"recipient unreachable: {reason}")


class RecipientOptedOut(RecipientUnreachable):
    """The platform refused the send because the customer unsubscribed (WhatsApp 21610):
    they are opted out as if they had written STOP to us."""


class OutsideWindow(DeliveryError):
    """WhatsApp refused free-form text: the 24-hour customer-service window is closed."""
