"""Flows are data the team edits: every mistake must be named with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.errors import FlowError
from bot.flows import MAX_QUESTIONS, QuestionType, load_flow
from bot.resources import flows_dir
from tests.conftest import DATA

FLOWS = DATA / "flows"
SHIPPED = flows_dir() / "post-live.yaml"
SHIPPED_LOCALES = {
    "en",
    "en-US",
    "de",
    "ja",
    "es",
    "es-MX",
    "pt-BR",
    "fr",
    "id",
    "th",
    "vi",
    "ar",
    "zh-CN",
}


def test_the_shipped_survey_loads_with_every_market_language() -> None:
    flow = load_flow(SHIPPED)
    assert len(flow.questions) <= MAX_QUESTIONS
    assert set(flow.locales) >= SHIPPED_LOCALES
    assert [q.type for q in flow.questions][:3] == [
        QuestionType.RATING,
        QuestionType.SINGLE,
        QuestionType.MULTI,
    ]


def test_texts_fall_back_from_region_to_language_to_default() -> None:
    flow = load_flow(SHIPPED)
    assert flow.locale_for("pt-PT") == "pt-PT"
    assert flow.locale_for("pt") == "pt-BR"
    assert flow.locale_for("es-AR") == "es-419"
    assert flow.locale_for("es-ES") == "es"
    assert flow.locale_for("es_MX") == "es-MX"
    assert flow.locale_for("zh-HK") == "zh-TW"
    assert flow.locale_for("ko-KR") == "ko"
    assert flow.locale_for("sv") == "en"
    assert flow.locale_for(None) == "en"
    assert flow.text("intro", "de") != flow.text("intro", "en")


def test_market_windows_follow_the_seller_brief() -> None:
    flow = load_flow(SHIPPED)
    assert flow.market("US").tone == "casual"
    assert flow.market("us").window.start.hour == 19
    assert flow.market("ID").window.end.hour == 20
    assert flow.market("ZZ") == flow.markets["default"]


def test_a_sixth_question_is_refused_with_the_file_and_line() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(FLOWS / "six-questions.yaml")
    message = str(caught.value)
    assert "six-questions.yaml:" in message
    assert "at most 5 questions" in message
    assert caught.value.problems[0].line == 11  # the `questions:` key


def test_a_missing_translation_names_the_locale_and_line() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(FLOWS / "missing-translation.yaml")
    problem = caught.value.problems[0]
    assert problem.field == "questions.0.text"
    assert problem.message == "missing translation for de"
    assert problem.line == 14


def test_a_broken_yaml_line_is_reported_where_it_is() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(FLOWS / "bad-yaml.yaml")
    assert caught.value.problems[0].line == 4
    assert "invalid YAML" in str(caught.value)


def test_an_unknown_key_is_an_error_not_silently_ignored(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + "\ncolour: blue\n", encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert [p.field for p in caught.value.problems] == ["colour"]


def test_a_skip_rule_must_name_an_earlier_question(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "ask_if:\n      question: problems", "ask_if:\n      question: nowhere"
    )
    path = tmp_path / "bad-rule.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert "'nowhere' is not an earlier question" in str(caught.value)


def test_flows_check_exits_non_zero_and_names_each_broken_file() -> None:
    result = CliRunner().invoke(
        cli, ["flows", "check", str(SHIPPED), *map(str, sorted(FLOWS.glob("*.yaml")))]
    )
    assert result.exit_code == 1
    for name in ("six-questions.yaml", "missing-translation.yaml", "bad-yaml.yaml"):
        assert name in result.output
    assert "ok" in result.output


def test_flows_check_passes_on_the_shipped_flows() -> None:
    result = CliRunner().invoke(cli, ["flows", "check"])
    assert result.exit_code == 0, result.output
