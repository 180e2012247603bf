"""The ops team's command line, end to end on a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from tests.conftest import DATA, ROOT

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def configure_whatsapp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings only: starting a campaign sends nothing, the worker would."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-a-real-token")
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", "whatsapp:+14155238886")


def test_import_audience_and_coupons_then_start_a_campaign_and_read_its_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_whatsapp(monkeypatch)
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
        (["digest", "99"], "no campaign 99"),  # through bot.services.digests
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


def test_a_campaign_whose_channel_is_not_configured_is_refused_naming_the_settings(
    database_url: str,
) -> None:
    run("audience", "import", str(DATA / "audience" / "plain.csv"), "--tag", "show-7")
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as patch:
        patch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)  # the other two are missing
        result = runner.invoke(
            cli, ["campaign", "start", "post-live", "--audience", "show-7", "-y"]
        )
    assert result.exit_code == 1
    assert "not started" in result.output
    assert "TWILIO_AUTH_TOKEN" in result.output and "TWILIO_WHATSAPP_FROM" in result.output
    assert "TWILIO_ACCOUNT_SID" not in result.output.split("needs")[1]
    assert campaigns_stored(database_url) == 0


def campaigns_stored(database_url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from bot.db import make_engine
    from bot.models import Campaign

    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Campaign)).one()
    engine.dispose()
    return count


def test_a_prompt_without_a_terminal_fails_at_once_naming_its_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_whatsapp(monkeypatch)
    run("audience", "import", str(DATA / "audience" / "plain.csv"), "--tag", "show-7")
    # CliRunner's stdin is no terminal, as in a script or CI.
    result = runner.invoke(cli, ["campaign", "start", "post-live", "--audience", "show-7"])
    assert result.exit_code == 2
    assert "no terminal" in result.output and "--yes" in result.output
    assert "Aborted" not in result.output


def test_at_now_starts_now(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_whatsapp(monkeypatch)
    run("audience", "import", str(DATA / "audience" / "plain.csv"), "--tag", "show-7")
    out = run("campaign", "start", "post-live", "--audience", "show-7", "--at", "now", "-y")
    assert "campaign 1 started" in out
    bad = runner.invoke(
        cli, ["campaign", "start", "post-live", "--audience", "show-7", "--at", "soon"]
    )
    assert bad.exit_code == 2 and "not an ISO time nor `now`" in bad.output


def test_parse_time_reads_now_and_iso_times() -> None:
    from datetime import UTC, datetime

    from bot.cli import _parse_time

    fixed = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert _parse_time("now", fixed) == fixed
    assert _parse_time(None, fixed) == fixed
    assert _parse_time("2026-12-01T19:00", fixed) == datetime(2026, 12, 1, 19, tzinfo=UTC)


def test_a_campaign_started_from_a_path_is_found_by_serve_and_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    from datetime import UTC, datetime

    from adapters.simulator import SimulatorChannel
    from bot.bootstrap import build
    from bot.clock import FrozenClock
    from bot.resources import flows_dir
    from bot.settings import Settings
    from tests.conftest import deliver

    configure_whatsapp(monkeypatch)
    survey = tmp_path / "elsewhere" / "pop-up.yaml"
    survey.parent.mkdir()
    text = (flows_dir() / "post-live.yaml").read_text(encoding="utf-8")
    survey.write_text(text.replace("id: post-live", "id: pop-up", 1), encoding="utf-8")
    run("audience", "import", str(DATA / "audience" / "plain.csv"), "--tag", "show-7")
    out = run("campaign", "start", str(survey), "--audience", "show-7", "--now", "-y")
    assert "Plan: pop-up" in out and "started" in out

    # What `serve` builds: no FLOWS_DIR, yet the campaign's file is found.
    clock = FrozenClock(datetime.now(UTC))
    channel = SimulatorChannel()
    served = build(
        Settings(_env_file=None, database_url=database_url),  # type: ignore[call-arg]
        clock=clock,
        senders={"whatsapp": channel},
    )
    try:
        assert "pop-up" not in set(served.flows)  # not in any folder...
        assert served.flows["pop-up"].id == "pop-up"  # ...but found through its campaign
        assert served.dispatcher.start_due() > 0  # --now: whatever the hour
        deliver(served)
        assert len(channel.transcripts) >= 3  # every consenting contact of plain.csv
    finally:
        served.engine.dispose()


def test_each_command_reads_the_environment_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings are read once per command (bot.cli_common.settings), not once per
    process: one process running two commands sees the environment of each."""
    mine = tmp_path / "flows"
    mine.mkdir()
    shipped = (ROOT / "flows" / "post-live.yaml").read_text(encoding="utf-8")
    (mine / "mine.yaml").write_text(shipped.replace("id: post-live", "id: my-own"), "utf-8")
    monkeypatch.setenv("FLOWS_DIR", str(mine))
    assert "my-own" in run("flows", "list")
    monkeypatch.delenv("FLOWS_DIR")
    assert "my-own" not in run("flows", "list")
    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{elsewhere}")
    assert "database is up to date" in run("db", "upgrade")
    assert elsewhere.exists()
