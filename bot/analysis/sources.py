"""Free text from any source for `postlive analyze`: a CSV or JSON-lines file with a
`text` column, such as a live stream's exported comments (TikTok, Instagram, YouTube).

Optional columns are used when present: `rating` (1-5, context for sentiment) and `id`
(echoed in the output so results can be joined back).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.analysis.errors import AnalysisInputError

_JSONL = {".jsonl", ".ndjson", ".json"}
_ID_COLUMNS = ("id", "comment_id", "message_id")


@dataclass(frozen=True)
class Row:
    #: 1-based position among the data rows, in input order.
    number: int
    text: str | None
    rating: int | None = None
    ref: str | None = None


def read_rows(path: Path, column: str = "text") -> list[Row]:
    """Every row of the file, in order. Raises AnalysisInputError naming the file (and
    line) for what cannot be read; a missing file raises FileNotFoundError."""
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnalysisInputError(path, "not UTF-8 text (save the export as UTF-8)") from exc
    if path.suffix.lower() in _JSONL or (
        path.suffix.lower() not in {".csv", ".tsv", ".txt"} and raw.lstrip().startswith("{")
    ):
        return _jsonl(path, raw, column)
    return _csv(path, raw, column)


def _csv(path: Path, raw: str, column: str) -> list[Row]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    # newline="" keeps line breaks inside quoted comments as part of the comment.
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise AnalysisInputError(path, "the file is empty")
    names = [h.strip().lower() for h in header]
    wanted = column.strip().lower()
    if wanted not in names:
        shown = ", ".join(h for h in header if h.strip()) or "none"
        raise AnalysisInputError(path, f"no {column!r} column (columns: {shown})", line=1)
    text_at = names.index(wanted)
    rating_at = names.index("rating") if "rating" in names else None
    id_at = next((names.index(c) for c in _ID_COLUMNS if c in names), None)
    rows: list[Row] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # a blank line is not a comment
        rows.append(
            Row(
                number=len(rows) + 1,
                text=_cell(values, text_at),
                rating=_rating(_cell(values, rating_at)),
                ref=_cell(values, id_at),
            )
        )
    return rows


def _cell(values: list[str], index: int | None) -> str | None:
    if index is None or index >= len(values):
        return None
    return values[index].strip() or None


def _jsonl(path: Path, raw: str, column: str) -> list[Row]:
    rows: list[Row] = []
    seen_column = False
    for line_number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnalysisInputError(path, f"not JSON ({exc.msg})", line=line_number) from exc
        if not isinstance(record, dict):
            raise AnalysisInputError(path, "each line must be a JSON object", line=line_number)
        fields = {str(k).strip().lower(): v for k, v in record.items()}
        seen_column = seen_column or column.lower() in fields
        text = fields.get(column.lower())
        ref = next((fields[c] for c in _ID_COLUMNS if fields.get(c) is not None), None)
        rows.append(
            Row(
                number=len(rows) + 1,
                text=str(text).strip() or None if text is not None else None,
                rating=_rating(fields.get("rating")),
                ref=str(ref) if ref is not None else None,
            )
        )
    if rows and not seen_column:
        raise AnalysisInputError(path, f"no {column!r} field in any line")
    return rows


def _rating(value: object) -> int | None:
    try:
        rating = round(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None
