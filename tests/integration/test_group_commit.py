"""Acknowledgements in group commits (bot.group_commit): webhooks arriving together share
one transaction, each answered only after the commit that stored it; a duplicate is told
apart from a new event, and one bad row refuses only its own webhook."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.bootstrap import App
from bot.messages import Channel, Inbound
from bot.models import InboundEvent


def message(i: int, text: str = "5") -> Inbound:
    return Inbound(Channel.WHATSAPP, f"+1212555{i:04d}", f"SM{i:032x}", text=text)


def stored(app: App) -> int:
    with app.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(InboundEvent)).scalar_one()


def commits(app: App) -> list[int]:
    counted = [0]

    def on_commit(_conn: Any) -> None:
        counted[0] += 1

    event.listen(app.engine, "commit", on_commit)
    return counted


async def test_webhooks_arriving_together_share_commits_and_each_is_stored_once(
    app: App,
) -> None:
    counted = commits(app)
    woken: list[int] = []
    app.intake.wakers.append(lambda: woken.append(1))

    fresh = await asyncio.gather(*(app.intake.acknowledge(message(i)) for i in range(60)))

    assert fresh == [True] * 60
    assert stored(app) == 60
    # All 60 were waiting before the writer thread took them: one transaction.
    assert app.intake.acks.rows == 60
    assert app.intake.acks.groups == counted[0] == 1
    assert woken == [1]  # the handler loop is woken once per commit, not per event

    later = [app.intake.acknowledge(message(i)) for i in range(60, 63)]
    assert await asyncio.gather(*later) == [True] * 3
    assert app.intake.acks.groups == counted[0] == 2


async def test_a_duplicate_delivery_is_acknowledged_as_one_and_stored_once(app: App) -> None:
    assert await app.intake.acknowledge(message(1)) is True
    # Twilio retrying: the same MessageSid again, alone and twice within one group.
    again = await asyncio.gather(
        app.intake.acknowledge(message(1)),
        app.intake.acknowledge(message(2)),
        app.intake.acknowledge(message(2)),
    )
    assert again == [False, True, False]
    assert stored(app) == 2


async def test_one_bad_row_refuses_only_its_own_webhook(app: App) -> None:
    good = [app.intake.acknowledge(message(i)) for i in range(5)]
    # A payload that cannot be stored (no JSON for it): the group fails, then is written
    # row by row, and only this acknowledgement fails.
    bad = app.intake.acks.submit(
        app.intake._values(Channel.WHATSAPP, "SM-bad", "+1", "message", {"x": object()})
    )
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert results[:5] == [True] * 5
    assert isinstance(results[5], Exception) and "not JSON serializable" in str(results[5])
    assert stored(app) == 5


async def test_a_webhook_whose_client_hangs_up_is_still_stored(app: App) -> None:
    waiting = asyncio.ensure_future(app.intake.acknowledge(message(7)))
    others = [asyncio.ensure_future(app.intake.acknowledge(message(i))) for i in range(3)]
    await asyncio.sleep(0)
    waiting.cancel()  # the request is cancelled; the write it joined is not
    assert await asyncio.gather(*others) == [True, True, True]
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert stored(app) == 4
