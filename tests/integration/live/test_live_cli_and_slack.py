"""The live commands end to end, and the board kept in Slack as one edited message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from adapters.slack.radar import slack_board
from bot.bootstrap import App
from bot.cli import app as cli
from bot.clock import FrozenClock
from bot.radar import LiveComment, store
from bot.radar.hub import hub_for
from tests.integration.slack.fake_slack import FakeSlack

LABELLED = Path(__file__).resolve().parents[2] / "data" / "live" / "labelled_show.csv"
LIVE = "C0LIVE01"
runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_replay_prints_the_top_questions_and_the_page(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = run("live", "replay", str(LABELLED), "--show", "KNITS", "--speed", "0")
    assert "/live/" in out
    lines = [line for line in out.splitlines() if line.strip()[:3].strip(". ").isdigit()]
    assert lines[0].lstrip().startswith("1. How much is it?")


def test_a_replay_file_that_cannot_be_read_is_one_clear_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time": 0, "text": "hi"}\n{oops\n', encoding="utf-8")
    result = runner.invoke(cli, ["live", "replay", str(bad), "--speed", "0"])
    assert result.exit_code == 1
    assert "line 2: not JSON" in result.output


def test_exports_join_the_show_once_whatever_the_platforms_columns(
    app: App, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    tiktok = tmp_path / "tiktok.csv"
    tiktok.write_text(
        "Comment ID,Unique ID,Nickname,Comment,Create Time\n"
        "1,ana_b,Ana,quanto custa?,2026-11-30 20:00:01\n"
        "2,bo,Bo,how much?,2026-11-30 20:00:02\n"
        "3,cc,Cee,,2026-11-30 20:00:03\n",
        encoding="utf-8",
    )
    youtube = tmp_path / "chat.jsonl"
    youtube.write_text(
        json.dumps(
            {
                "message_id": "yt1",
                "message": "envían a México?",
                "timestamp": 1764532800000000,
                "author": {"name": "Dee", "id": "UCdee"},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    instagram = tmp_path / "comments.json"
    instagram.write_text(
        json.dumps(
            [
                {
                    "string_map_data": {
                        "Comment": {"value": "ship to Mexico?"},
                        "Username": {"value": "eve"},
                        "Time": {"timestamp": 1764532900},
                    }
                }
            ]
        ),
        encoding="utf-8",
    )
    assert "2 comments read, 2 new" in run(
        "comments", "import", str(tiktok), "--show", "KNITS", "--platform", "tiktok"
    )
    assert "1 rows skipped" in run(
        "comments", "import", str(tiktok), "--show", "KNITS", "--platform", "tiktok"
    )
    assert "0 new" in run(
        "comments", "import", str(tiktok), "--show", "KNITS", "--platform", "tiktok"
    )
    run("comments", "import", str(youtube), "--show", "KNITS", "--platform", "youtube")
    run("comments", "import", str(instagram), "--show", "KNITS", "--platform", "instagram")
    asked = {q.key: q.viewers for q in store.asked(app.engine, ["KNITS"])}
    assert asked == {"price": 2, "shipping:MX": 2}

    assert "4 comments analysed: product_question 4" in run(
        "comments", "analyze", "--show", "KNITS"
    )
    assert "0 comments analysed" in run("comments", "analyze", "--show", "KNITS")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.channels.add(LIVE)
    server.start()
    yield server
    server.stop()


async def test_the_slack_board_is_one_message_edited_in_place(
    app: App, clock: FrozenClock, fake_slack: FakeSlack
) -> None:
    app.settings.slack_bot_token = SecretStr(fake_slack.token)
    app.settings.slack_api_url = fake_slack.api_url
    app.settings.slack_live_channel = LIVE
    session = hub_for(app).open("KNITS")
    board = slack_board(app.settings, session, "https://example.test/live/t")
    assert board is not None

    def said(author: str, text: str) -> LiveComment:
        return LiveComment("youtube", "KNITS", author, author, text, clock.now())

    session.feed([said("a", "how much?"), said("b", "¿cuánto cuesta?")])
    await session.tick()
    assert await board.refresh()
    assert not await board.refresh()  # nothing changed: Slack is not called
    clock.advance(seconds=3)
    session.feed([said("c", "ship to Brazil?"), said("d", "いくらですか")])
    await session.tick()
    assert await board.refresh()

    methods = [c.method for c in fake_slack.calls]
    assert methods.count("chat.postMessage") == 1 and methods.count("chat.update") == 1
    (message,) = [m for m in fake_slack.messages if m.channel == LIVE]
    assert message.updates == 1
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "1. How much is it?*  (3 " in text and "Do you ship to Brazil?" in text
    await session.stop()
