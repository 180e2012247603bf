"""`postlive serve --workers N`: several processes need a database with several writers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli


def test_several_web_processes_on_sqlite_are_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'postlive.db'}")
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 2
    assert "SQLite has one writer" in result.output
    assert "PostgreSQL" in result.output
    assert not (tmp_path / "postlive.db").exists()  # refused before anything started
