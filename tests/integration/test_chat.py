"""`postlive chat` is a preview: open at any hour, choices shown as WhatsApp shows them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from adapters.whatsapp.render import choice_lines as whatsapp_lines
from bot.chat import choice_lines, run_chat
from bot.clock import FrozenClock
from bot.engine import render_question
from bot.flows import load_flow
from bot.resources import flows_dir


def test_the_preview_is_open_at_04_utc_and_numbers_ratings_as_whatsapp_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 04:00 UTC is 23:00 in New York: every shipped market window is shut for the US.
    clock = FrozenClock(datetime(2026, 11, 25, 4, 0, tzinfo=UTC))
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n"))
    screen = io.StringIO()
    run_chat("post-live", "en", Console(file=screen, width=200), flows_dir=[], clock=clock)
    shown = screen.getvalue()
    assert "no survey open" not in shown
    flow = load_flow(flows_dir() / "post-live.yaml")
    assert flow.text("intro", "en").split("{")[0] in shown
    rating_lines = [line.strip() for line in shown.splitlines() if "⭐" in line]
    assert rating_lines and rating_lines[0].startswith("5")  # "5 ⭐⭐⭐⭐⭐", not "1. 5 ⭐..."
    assert not any(line.startswith("1. ") and "⭐" in line for line in rating_lines)
    # Typing "1" was read as one star: the survey moved on to the next question.
    assert flow.questions[1].text["en"] in shown


def test_chat_lines_are_the_whatsapp_lines() -> None:
    flow = load_flow(flows_dir() / "post-live.yaml")
    for question in flow.questions:
        message = render_question(flow, question, "en")
        assert choice_lines(message.choices) == whatsapp_lines(message.choices)
