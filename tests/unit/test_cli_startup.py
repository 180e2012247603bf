"""`postlive --help` answers at once: it loads no platform SDK, no Alembic, no chart
library (benchmarks/cli_startup.py measures the CPU it costs)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("twilio", "telegram", "slack_sdk", "slack_bolt", "openai", "alembic", "matplotlib")


def modules_loaded_by(*argv: str) -> set[str]:
    """Run `postlive argv` in a fresh interpreter; the top-level modules it imported."""
    script = (
        "import json, sys\n"
        "from bot.cli import app\n"
        "try:\n"
        f"    app({list(argv)!r}, prog_name='postlive')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_imports_no_sdk_no_alembic_no_matplotlib() -> None:
    loaded = modules_loaded_by("--help")
    assert "typer" in loaded  # the probe sees what the command imported
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # Nor the database layer: the listing needs none of it.
    assert loaded.isdisjoint({"sqlalchemy", "sqlmodel", "pydantic_settings"})


def test_a_feature_command_help_loads_its_module_only_when_asked() -> None:
    loaded = modules_loaded_by("telegram", "--help")
    assert "telegram" in loaded  # the Telegram commands' own module, on demand
    assert loaded.isdisjoint({"twilio", "slack_sdk", "openai", "matplotlib"})


def test_flows_check_imports_no_sdk_and_no_database() -> None:
    loaded = modules_loaded_by("flows", "check")
    assert "yaml" in loaded
    assert loaded.isdisjoint({*HEAVY, "sqlalchemy"}), sorted(loaded & {*HEAVY, "sqlalchemy"})
