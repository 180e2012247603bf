"""bot/ reaches the OpenAI SDK through one module (bot.analysis.openai_analyzer: its
client factory and error types), so timeouts, retries and OPENAI_BASE_URL are set once."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[3] / "bot"
THE_PLACE = BOT / "analysis" / "openai_analyzer.py"


def importers_of_openai() -> set[Path]:
    found = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n == "openai" or n.startswith("openai.") for n in names):
                found.add(path)
    return found


def test_only_the_analysis_client_module_imports_the_openai_sdk() -> None:
    assert importers_of_openai() == {THE_PLACE}
