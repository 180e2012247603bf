"""`postlive analyze FILE [--out FILE]`: free text from any source, one JSON line per row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from tests.conftest import DATA
from tests.integration.analysis.fake_openai import FakeOpenAI

FIELDS = ("language", "translation", "category", "sentiment", "themes", "urgency", "confidence")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return tmp_path


def offline_env(workdir: Path) -> dict[str, str]:
    return {"POSTLIVE_ANALYZER": "offline", "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite'}"}


def comments(n: int) -> Iterator[dict[str, str]]:
    labelled = [
        json.loads(line) for line in (DATA / "labelled_answers.jsonl").open(encoding="utf-8")
    ]
    for i in range(n):
        row = labelled[i % len(labelled)]
        yield {"comment_id": f"c{i}", "user": f"viewer{i}", "text": row["text"]}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_comment_export_gets_one_json_line_per_row_in_order(workdir: Path) -> None:
    rows = list(comments(200))
    source = write_csv(workdir / "tiktok-comments.csv", rows)
    result = CliRunner().invoke(cli, ["analyze", str(source), "--json"], env=offline_env(workdir))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["row"] for line in lines] == list(range(1, 201))
    assert [line["text"] for line in lines] == [r["text"] for r in rows]  # the originals
    assert [line["id"] for line in lines] == [r["comment_id"] for r in rows]
    assert all(set(FIELDS) <= line.keys() for line in lines)
    assert {line["sentiment"]["label"] for line in lines} == {"negative", "neutral", "positive"}
    assert lines[0]["category"] == "complaint" and lines[0]["themes"] == [
        "Colour differs from the live stream"
    ]
    assert "200 rows analysed in" in result.stderr and "rows/s" in result.stderr
    assert "Categories" in result.stderr  # the summary steps aside for the JSON lines


def test_jsonl_in_and_out_to_a_file(workdir: Path) -> None:
    source = workdir / "youtube.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"text": "Me encantó, súper bonito 😍"},
                {"text": ""},
                {"text": "¿Tienen talla L?"},
            ]
        ),
        encoding="utf-8",
    )
    out = workdir / "results.jsonl"
    result = CliRunner().invoke(
        cli, ["analyze", str(source), "--out", str(out)], env=offline_env(workdir)
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["category"] for line in lines] == ["praise", None, "product_question"]
    assert lines[0]["language"] == "es" and lines[0]["translation"] is None
    assert lines[2]["text"] == "¿Tienen talla L?"
    assert result.stdout.startswith("3 rows, 2 with text, analysed by offline")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("user,comment\nann,hello\n", "comments.csv", "no 'text' column (columns: user, comment)"),
        ('{"text": "ok"}\nnot json\n', "comments.jsonl", "comments.jsonl:2: not JSON"),
        ("", "empty.csv", "empty.csv: the file is empty"),
    ],
)
def test_unreadable_input_is_one_clear_line_and_exit_1(
    workdir: Path, content: str, name: str, message: str
) -> None:
    (workdir / name).write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["analyze", name], env=offline_env(workdir))
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_is_one_clear_line(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", "nowhere.csv"], env=offline_env(workdir))
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: nowhere.csv: file not found"


@pytest.mark.timeout(60)
def test_with_openai_the_comments_are_batched_translated_and_cached(workdir: Path) -> None:
    rows = [{"text": "El color es muy distinto al del live"}, {"text": "Love it!"}] * 15
    source = write_csv(workdir / "comments.csv", rows)
    with FakeOpenAI() as server:
        env = {
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": server.base_url,
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite'}",
        }
        first = CliRunner().invoke(cli, ["analyze", str(source), "--json"], env=env)
        again = CliRunner().invoke(cli, ["analyze", str(source), "--json"], env=env)
    assert first.exit_code == 0 and again.exit_code == 0, first.output
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(lines) == 30
    assert lines[0]["translation"] == "[es→en] El color es muy distinto al del live"
    assert lines[0]["analyzer"] == "openai:gpt-4.1-mini:analyze.v1"
    assert len(list(server.schemas())) == 1  # 30 rows, 2 distinct texts, 1 request, then cache
    assert again.stdout == first.stdout


def test_a_live_show_export_gets_a_summary_people_can_read(workdir: Path) -> None:
    """The issue's case: a live show's comments. The summary groups the questions across
    languages, names the urgent complaint with its words, and few need a human."""
    with (DATA / "live" / "labelled_show.csv").open(encoding="utf-8") as handle:
        labelled = list(csv.DictReader(handle))
    hole = "mine arrived with a hole in the sleeve, who do I contact"
    rows = [{"id": f"c{i}", "text": r["text"]} for i, r in enumerate(labelled)]
    source = write_csv(workdir / "show.csv", [*rows, {"id": "hole", "text": hole}])
    result = CliRunner().invoke(cli, ["analyze", str(source)], env=offline_env(workdir))
    assert result.exit_code == 0, result.output
    view = result.stdout
    head = view.splitlines()[0]
    reviewed = int(head.split("sent to review: ")[1].split()[0])
    assert reviewed / len(rows) < 0.05 and "urgent: 1" in head
    questions = view.split("Top product questions")[1].split("\n\n")[0].splitlines()[1:]
    asked_price = sum(r["label"] == "price" for r in labelled)
    assert "How much is it?" in questions[0]
    assert int(questions[0].split()[0].replace(",", "")) >= asked_price * 0.9
    assert "Do you ship to Brazil?" in view  # a slot, named in the team's language
    urgent = view.split("Urgent complaints (1)")[1]
    assert f'"{hole}"' in urgent
    assert "  complaint " in view.split("Categories")[1]
