"""Surveys from anywhere: FLOWS_DIR before the shipped flows, a flow file by its path,
and a `flows check` that names every problem at its own line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.errors import FlowError, NotFound
from bot.flow_catalog import FlowCatalog
from bot.flows import check_flow, load_flow
from bot.resources import flows_dir
from bot.settings import Settings
from tests.conftest import DATA

SHIPPED = flows_dir() / "post-live.yaml"
runner = CliRunner()


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_flows_dir_is_a_list_of_folders_split_by_pathsep_or_commas() -> None:
    value = f"/srv/flows{os.pathsep}/home/me/flows, ./more"
    settings = Settings(_env_file=None, flows_dir=value)  # type: ignore[call-arg]
    assert settings.flows_dir == ["/srv/flows", "/home/me/flows", "./more"]
    assert Settings(_env_file=None).flows_dir == []  # type: ignore[call-arg]


def test_a_flow_in_flows_dir_replaces_the_shipped_one_of_the_same_id(tmp_path: Path) -> None:
    mine = write(
        tmp_path / "mine", "post-live.yaml", shipped_text().replace("version: 1", "version: 7")
    )
    write(
        tmp_path / "mine",
        "after-show.yaml",
        shipped_text().replace("id: post-live", "id: after-show", 1),
    )
    catalog = FlowCatalog.discover([str(tmp_path / "mine")])
    assert catalog["post-live"].version == 7
    assert catalog.sources["post-live"].path == mine
    assert catalog.sources["post-live"].origin == "FLOWS_DIR"
    assert catalog.sources["after-show"].origin == "FLOWS_DIR"
    assert [(s.flow_id, s.path) for s in catalog.shadowed] == [("post-live", SHIPPED)]


def test_a_flow_is_loaded_from_a_path_outside_every_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "pop-up.yaml", shipped_text().replace("id: post-live", "id: pop-up", 1))
    catalog = FlowCatalog.discover()
    flow, source = catalog.resolve(str(path))
    assert flow.id == "pop-up" and source == path.resolve()
    assert catalog["pop-up"] is flow
    with pytest.raises(NotFound):
        catalog.resolve("no-such-flow")


def test_a_path_whose_id_is_taken_by_another_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "copy.yaml", shipped_text())
    with pytest.raises(FlowError, match="already .*post-live.yaml .*FLOWS_DIR"):
        FlowCatalog.discover().resolve(str(path))


def test_a_campaigns_flow_file_is_found_by_its_id(tmp_path: Path) -> None:
    path = write(tmp_path, "pop-up.yaml", shipped_text().replace("id: post-live", "id: pop-up", 1))
    catalog = FlowCatalog.discover(
        find_path=lambda flow_id: str(path) if flow_id == "pop-up" else None
    )
    assert "pop-up" not in catalog.flows
    assert catalog["pop-up"].id == "pop-up"  # read on demand, e.g. by the dispatcher
    assert catalog.sources["pop-up"].origin == "campaign"
    assert catalog.get("nowhere") is None


def test_a_broken_file_is_reported_and_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    write(folder, "six.yaml", (DATA / "flows" / "six-questions.yaml").read_text(encoding="utf-8"))
    write(folder, "good.yaml", shipped_text().replace("id: post-live", "id: good", 1))
    catalog = FlowCatalog.discover([str(folder)])
    assert set(catalog) == {"good", "post-live"}
    assert [b.path.name for b in catalog.broken] == ["six.yaml"]


def test_flows_list_shows_every_flow_and_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "flows"
    write(folder, "good.yaml", shipped_text().replace("id: post-live", "id: good", 1))
    write(folder, "six.yaml", (DATA / "flows" / "six-questions.yaml").read_text(encoding="utf-8"))
    monkeypatch.setenv("FLOWS_DIR", str(folder))
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(cli, ["flows", "list"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "FLOWS_DIR" in rows["good"] and "good.yaml" in rows["good"]
    assert "shipped" in rows["post-live"]
    assert "broken" in rows["?"] and "six.yaml" in rows["?"]


# -- flows check -----------------------------------------------------------------------


def test_a_misspelt_locale_key_is_an_error_at_its_own_line(tmp_path: Path) -> None:
    text = shipped_text().replace("\n    ja: ", "\n    jp: ", 1)
    path = write(tmp_path, "jp.yaml", text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    jp = [p for p in caught.value.problems if "'jp'" in p.message]
    assert jp, caught.value
    assert jp[0].line == line_of(path, "    jp: ")
    assert "not a CLDR locale" in jp[0].message


def test_a_locale_written_in_the_wrong_case_is_reported_at_its_own_line(tmp_path: Path) -> None:
    shipped = shipped_text()
    assert "es-419, pt-BR, pt-PT" in shipped  # the shipped flow's locale list
    text = shipped.replace("es-419, pt-BR, pt-PT", "es-419,\n  pt-Br, pt-PT", 1)
    path = write(tmp_path, "case.yaml", text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    problem = next(p for p in caught.value.problems if "'pt-Br'" in p.message)
    assert problem.line == line_of(path, "pt-Br, pt-PT")
    assert "written 'pt-BR'" in problem.message


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    six = (DATA / "flows" / "six-questions.yaml").read_text(encoding="utf-8")
    path = write(
        tmp_path,
        "two.yaml",
        six.replace('reminder: {en: "Reminder"}', 'reminder: {en: "Reminder", jp: "x"}'),
    )
    result = runner.invoke(cli, ["flows", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:11: error: questions: a survey has at most 5" in result.output
    assert f"{path}:6: error: texts.reminder.jp: unknown locale 'jp'" in result.output


def test_placeholder_and_missing_templates_are_warnings_with_their_lines(tmp_path: Path) -> None:
    flow, warnings = check_flow(SHIPPED)
    placeholder = [w for w in warnings if "placeholder ids (HX000" in w.message]
    assert [w.field for w in placeholder] == [
        "whatsapp_templates.intro",
        "whatsapp_templates.reminder",
        "whatsapp_templates.loop",
    ]
    assert placeholder[0].line == line_of(SHIPPED, "HX00000000000000000000000000010001")
    text = shipped_text().replace("\n  loop:\n", "\n  unused:\n", 1)
    path = write(tmp_path, "no-loop.yaml", text)
    _, warnings = check_flow(path)
    assert any(w.field == "whatsapp_templates.loop" and "not set" in w.message for w in warnings)
    strict = runner.invoke(cli, ["flows", "check", "--strict", str(SHIPPED)])
    assert strict.exit_code == 1 and "warning: whatsapp_templates.intro" in strict.output
    assert runner.invoke(cli, ["flows", "check", str(SHIPPED)]).exit_code == 0
    assert flow.id == "post-live"
