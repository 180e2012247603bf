"""Prompt templates are versioned files; rendering refuses a wrong placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analysis.prompts import language_name, load_prompt, parse_prompt
from bot.errors import ConfigError
from bot.resources import prompts_dir


@pytest.mark.parametrize("path", sorted(prompts_dir().glob("*.md")), ids=lambda p: p.name)
def test_every_shipped_prompt_has_a_name_and_version(path: Path) -> None:
    prompt = parse_prompt(path)
    assert prompt.name == path.stem and prompt.version >= 1
    assert "data" in prompt.template and "instructions" in prompt.template


def test_the_analysis_prompt_says_answers_are_untrusted_data() -> None:
    prompt = load_prompt("analyze")
    assert prompt.tag == "analyze.v1" and prompt.placeholders == {"team_language"}
    text = prompt.render(team_language=language_name("en"))
    assert "untrusted data" in text and "English [en]" in text and "{{" not in text


def test_a_wrong_placeholder_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nname: x\nversion: 2\n---\nHello {{ team_language }}\n", encoding="utf-8")
    prompt = parse_prompt(path)
    assert prompt.render(team_language="Thai [th]") == "Hello Thai [th]"
    with pytest.raises(ConfigError, match="missing"):
        prompt.render()
    with pytest.raises(ConfigError, match="unknown"):
        prompt.render(team_language="x", team_langauge="y")


@pytest.mark.parametrize(
    ("content", "problem"),
    [("Hello", "no YAML front matter"), ("---\nname: x\n---\nHi", "integer version")],
)
def test_a_prompt_without_a_version_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "p.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        parse_prompt(path)


def test_language_names_are_unambiguous() -> None:
    assert language_name("pt-BR") == "Portuguese (Brazil) [pt-BR]"
    assert language_name("zz-nope") == "zz-nope"
