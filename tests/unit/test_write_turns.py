"""SQLite's one writer shared in a process (bot.write_turns): an acknowledgement that
waits gets in before the next handling batch, and a batch hears when one has waited."""

from __future__ import annotations

import threading

from bot.write_turns import WriteTurns


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def waiting_for(turns: WriteTurns, count: int) -> bool:
    for _ in range(1000):
        with turns._turn:
            if len(turns._acks_since) == count:
                return True
        threading.Event().wait(0.005)
    return False


def test_an_ack_waiting_during_a_batch_goes_before_the_next_batch() -> None:
    turns = WriteTurns()
    order: list[str] = []
    first_batch = turns.batch()
    first_batch.__enter__()

    def ack() -> None:
        with turns.ack():
            order.append("ack")

    def next_batch() -> None:
        with turns.batch():
            order.append("next batch")

    acking = threading.Thread(target=ack)
    acking.start()
    assert waiting_for(turns, 1)
    batching = threading.Thread(target=next_batch)
    batching.start()
    order.append("first batch done")
    first_batch.__exit__(None, None, None)
    acking.join(5)
    batching.join(5)
    assert order == ["first batch done", "ack", "next batch"]


def test_a_batch_yields_once_an_ack_has_waited_its_patience() -> None:
    ticks = Ticks()
    turns = WriteTurns(patience=0.015, clock=ticks)
    batch = turns.batch()
    batch.__enter__()
    assert not turns.should_yield()  # nobody waits

    acking = threading.Thread(target=lambda: turns.ack().__enter__())
    acking.start()
    assert waiting_for(turns, 1)
    ticks.now = 0.010
    assert not turns.should_yield()
    ticks.now = 0.020
    assert turns.should_yield()
    batch.__exit__(None, None, None)
    acking.join(5)
    assert not acking.is_alive()
    assert not turns.should_yield()  # it got in: nobody waits any more
