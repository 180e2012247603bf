"""The ops team's command line, end to end on a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from tests.conftest import DATA

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_import_audience_and_coupons_then_start_a_campaign_and_read_its_status(
    tmp_path: Path,
) -> None:
    out = run("audience", "import", str(DATA / "audience" / "plain.csv"), "--tag", "show-7")
    assert "added" in out
    codes = tmp_path / "codes.csv"
    codes.write_text("code\nLIVE-AAAA\nLIVE-BBBB\n", encoding="utf-8")
    assert "2 added" in run("coupons", "import", str(codes), "--pool", "post-live")
    assert "50 generated" in run("coupons", "generate", "--pool", "post-live", "--count", "50")
    plan = run("campaign", "start", "post-live", "--audience", "show-7", "--yes", "--show", "Knits")
    assert "Plan: post-live" in plan and "campaign 1 started" in plan
    assert "Knits" in run("campaign", "list")
    status = run("campaign", "status", "1")
    assert "Campaign 1" in status
    assert "paused" in run("campaign", "pause", "1")
    assert "running" in run("campaign", "resume", "1")
    digest = run("digest", "1", "--chart", str(tmp_path / "chart.png"))
    assert "Campaign 1" in digest and (tmp_path / "chart.png").exists()
    assert "stopped" in run("campaign", "stop", "1")


def test_errors_are_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    for args, message in (
        (["campaign", "status", "99"], "no campaign 99"),
        (["campaign", "start", "nope", "--audience", "x", "--yes"], "no flow 'nope'"),
        (["audience", "import", str(tmp_path / "missing.csv"), "--tag", "t"], "missing.csv"),
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output


def test_starting_an_unknown_audience_says_so(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["campaign", "start", "post-live", "--audience", "ghosts", "--yes"])
    assert result.exit_code == 1
    assert "no audience 'ghosts'" in result.output
