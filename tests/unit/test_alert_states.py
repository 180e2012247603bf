"""The alert transition table: what may move where, and a clear refusal otherwise."""

from __future__ import annotations

import pytest

from bot.alert_states import (
    TRANSITIONS,
    AlertStatus,
    IllegalTransition,
    can_move,
    move,
    sources,
)
from bot.errors import PostliveError

LEGAL = [
    (None, AlertStatus.OPEN),
    (None, AlertStatus.REPLIED),
    (None, AlertStatus.NOT_COMPLAINT),
    ("open", AlertStatus.ACKNOWLEDGED),
    ("open", AlertStatus.REPLIED),
    ("open", AlertStatus.NOT_COMPLAINT),
    ("acknowledged", AlertStatus.REPLIED),
    ("acknowledged", AlertStatus.NOT_COMPLAINT),
    ("replied", AlertStatus.REPLIED),  # a second reply to the same customer
    ("not_complaint", AlertStatus.REPLIED),
    ("replied", AlertStatus.NOT_COMPLAINT),
    ("not_complaint", AlertStatus.NOT_COMPLAINT),
]
ILLEGAL = [
    ("open", AlertStatus.OPEN),
    ("acknowledged", AlertStatus.OPEN),
    ("replied", AlertStatus.OPEN),  # a handled alert is never reopened
    ("not_complaint", AlertStatus.OPEN),
    (None, AlertStatus.ACKNOWLEDGED),  # nothing to acknowledge
    ("acknowledged", AlertStatus.ACKNOWLEDGED),
    ("replied", AlertStatus.ACKNOWLEDGED),
    ("not_complaint", AlertStatus.ACKNOWLEDGED),
]


@pytest.mark.parametrize(("current", "to"), LEGAL)
def test_a_legal_move_is_allowed(current: str | None, to: AlertStatus) -> None:
    assert can_move(current, to)
    assert move(current, to) is to


@pytest.mark.parametrize(("current", "to"), ILLEGAL)
def test_an_illegal_move_is_refused_with_where_it_may_go(
    current: str | None, to: AlertStatus
) -> None:
    assert not can_move(current, to)
    with pytest.raises(IllegalTransition) as refused:
        move(current, to)
    assert refused.value.to is to
    assert f"cannot become {to}" in str(refused.value)
    assert "it may become:" in str(refused.value)


def test_the_table_is_exactly_the_legal_moves_and_every_other_is_illegal() -> None:
    pairs = {(c, t) for c, targets in TRANSITIONS.items() for t in targets}
    assert pairs == {(None if c is None else AlertStatus(c), t) for c, t in LEGAL}
    assert len(LEGAL) + len(ILLEGAL) == len(TRANSITIONS) * len(AlertStatus)
    assert sources(AlertStatus.ACKNOWLEDGED) == (AlertStatus.OPEN,)
    assert sources(AlertStatus.OPEN) == (None,)


def test_an_unknown_stored_status_is_an_error_not_a_fresh_alert() -> None:
    with pytest.raises(PostliveError, match="unknown alert status 'escalated'"):
        move("escalated", AlertStatus.REPLIED)
