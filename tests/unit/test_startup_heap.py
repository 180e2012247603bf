"""Freezing the startup heap: full collections stop walking what lives as long as the
process, and still collect what is made afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.bootstrap import App
from bot.startup_heap import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the other tests' objects go back to the collector


@pytest.mark.usefixtures("unfrozen")
def test_what_the_app_built_is_frozen_and_later_garbage_is_still_collected(app: App) -> None:
    flows = app.flows
    assert gc.is_tracked(flows) and id(flows) in {id(o) for o in gc.get_objects()}
    frozen = freeze_startup_heap()
    assert frozen > 10_000  # modules, flows, mappers: the bulk of a built app
    tracked = {id(o) for o in gc.get_objects()}
    assert id(flows) not in tracked  # out of every later collection's walk

    class Node:
        partner: object

    a, b = Node(), Node()
    a.partner, b.partner = b, a  # a cycle only the collector can free
    del a, b
    assert gc.collect() >= 2
