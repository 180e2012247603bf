"""An urgent alert's states and where each may go: one table the service layer, the
analysis runner (which opens alerts) and the digest (which counts them) share.

`None` is an answer that never was an alert: the analysis may open one, and the team may
still reply to it or mark it "not a complaint" from a review. Every write of
`Answer.alert_status` goes through `move` (or, for a conditional UPDATE, `sources`), so an
illegal move is refused here and not in each caller.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import PostliveError


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    REPLIED = "replied"
    NOT_COMPLAINT = "not_complaint"


#: Where each state may go; anything else is refused (or a no-op for acknowledge).
TRANSITIONS: dict[AlertStatus | None, frozenset[AlertStatus]] = {
    None: frozenset({AlertStatus.OPEN, AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
    AlertStatus.OPEN: frozenset(
        {AlertStatus.ACKNOWLEDGED, AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}
    ),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
    AlertStatus.REPLIED: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
    AlertStatus.NOT_COMPLAINT: frozenset({AlertStatus.REPLIED, AlertStatus.NOT_COMPLAINT}),
}
#: States the team still has to act on (the digest counts them).
AWAITING_ACTION = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class IllegalTransition(PostliveError):
    """An alert asked to move where TRANSITIONS does not let it go."""

    def __init__(self, current: AlertStatus | None, to: AlertStatus) -> None:
        self.current = current
        self.to = to
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nowhere"
        super().__init__(
            f"an alert that is {current or 'not an alert'} cannot become {to}"
            f" (it may become: {allowed})"
        )


def parse(stored: str | None) -> AlertStatus | None:
    """The stored column as a state; an unknown string is an error, not 'no alert'."""
    if stored is None:
        return None
    try:
        return AlertStatus(stored)
    except ValueError:
        raise PostliveError(f"unknown alert status {stored!r}") from None


def can_move(current: str | None, to: AlertStatus) -> bool:
    return to in TRANSITIONS[parse(current)]


def move(current: str | None, to: AlertStatus) -> AlertStatus:
    """`to` when the table allows current -> to; IllegalTransition otherwise."""
    state = parse(current)
    if to not in TRANSITIONS[state]:
        raise IllegalTransition(state, to)
    return to


def sources(to: AlertStatus) -> tuple[AlertStatus | None, ...]:
    """The states that may move to `to`, for a compare-and-set UPDATE's WHERE."""
    return tuple(state for state, targets in TRANSITIONS.items() if to in targets)
