"""An urgent alert's states and where each may go: one table the service layer, the
analysis runner (which opens alerts) and the digest (which counts them) share."""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REPLIED = "replied"
    NOT_COMPLAINT = "not_complaint"


#: Where each state may go; anything else is refused (or a no-op for acknowledge).
TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.OPEN: frozenset(
        {AlertStatus.ACKNOWLEDGED, AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}
    ),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
    AlertStatus.REPLIED: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
    AlertStatus.NOT_COMPLAINT: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
}
#: States the team still has to act on (the digest counts them).
AWAITING_ACTION = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def can_move(current: str | None, to: AlertStatus) -> bool:
    return to in TRANSITIONS[AlertStatus(current or AlertStatus.OPEN)]
