"""Reading comment exports for `postlive analyze`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analysis.errors import AnalysisInputError
from bot.analysis.sources import Row, read_rows


def test_a_csv_with_a_bom_quoted_newlines_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(
        '\ufeffid,Text,rating\nc1,"first line\nsecond line",5\n\nc2,,\nc3,hola,nope\n',
        encoding="utf-8",
    )
    assert read_rows(path) == [
        Row(1, "first line\nsecond line", 5, "c1"),
        Row(2, None, None, "c2"),
        Row(3, "hola", None, "c3"),
    ]


def test_a_tsv_and_another_column(tmp_path: Path) -> None:
    path = tmp_path / "comments.tsv"
    path.write_text("user\tcomment\nann\tnice\n", encoding="utf-8")
    assert read_rows(path, "comment") == [Row(1, "nice")]


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_text(
        '{"text": "a", "comment_id": 7}\n\n{"TEXT": " b ", "rating": "4"}\n', encoding="utf-8"
    )
    assert read_rows(path) == [Row(1, "a", None, "7"), Row(2, "b", 4, None)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", '{"body": "x"}\n', "no 'text' field"),
        ("a.jsonl", "[1, 2]\n", "a.jsonl:1: each line must be a JSON object"),
        ("a.csv", "body\nx\n", "a.csv:1: no 'text' column (columns: body)"),
    ],
)
def test_unreadable_files_say_where(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AnalysisInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("text\ncafé\n".encode("latin-1"))
    with pytest.raises(AnalysisInputError, match="not UTF-8"):
        read_rows(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_rows(tmp_path / "nope.csv")
