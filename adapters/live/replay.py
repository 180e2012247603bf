"""`postlive live replay FILE`: a recorded show played back into the radar.

A CSV or JSONL with one comment per row: `time` (seconds from the start, or an ISO
timestamp), `text`, and optionally `author_id` (or `author`), `author_name`, `platform`,
`language` (a locale hint) and `id`. Comments reach the radar stamped with the time they
are played, so the radar's window and decay see a live show; `speed` 2 plays twice as
fast, 0 as fast as possible.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from bot.clock import Clock
from bot.errors import PostliveError
from bot.radar.comment import LiveComment


class ReplayError(PostliveError):
    """A replay file that cannot be read; the message names file, row and field."""


@dataclass(frozen=True)
class Recorded:
    offset: float
    comment: LiveComment


def read(path: Path, show: str) -> list[Recorded]:
    rows = list(_rows(path))
    found: list[Recorded] = []
    start: datetime | None = None
    for number, row in rows:
        # A CSV cell, or whatever JSON held: a non-string text fails here, as it always has.
        text = cast(str, row.get("text") or row.get("comment") or "").strip()
        if not text:
            continue
        value = row.get("time", row.get("timestamp"))
        raw_time = "" if value is None else str(value).strip()
        if not raw_time:
            raise ReplayError(f"{path}: row {number}: no time")
        try:
            offset = float(raw_time)
            at = None
        except ValueError:
            try:
                at = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ReplayError(f"{path}: row {number}: time {raw_time!r} unreadable") from exc
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            start = start or at
            offset = (at - start).total_seconds()
        author = str(row.get("author_id") or row.get("author") or f"row{number}")
        comment = LiveComment(
            platform=str(row.get("platform") or "replay"),
            show=show,
            author_id=author,
            author_name=str(row.get("author_name") or author),
            text=text,
            at=at or datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=offset),
            language_hint=(str(row["language"]) if row.get("language") else None),
            external_id=str(row["id"]) if row.get("id") else f"replay:{number}",
        )
        found.append(Recorded(offset, comment))
    found.sort(key=lambda r: r.offset)
    return found


def _rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            value = json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise ReplayError(f"{path}: line {number}: not JSON ({exc})") from exc
                        if not isinstance(value, dict):
                            raise ReplayError(f"{path}: line {number}: not an object")
                        yield number, value
            else:
                for number, row in enumerate(csv.DictReader(handle), 2):
                    yield number, dict(row)
    except OSError as exc:
        raise ReplayError(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ReplayError(f"{path}: not UTF-8 text") from exc


async def play(
    recorded: Sequence[Recorded],
    feed: Callable[[Sequence[LiveComment]], object],
    clock: Clock,
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    batch_seconds: float = 0.1,
) -> int:
    """Feed the comments as their time comes; returns how many were played."""
    played = 0
    index = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    while index < len(recorded):
        due = recorded[index].offset / speed if speed > 0 else 0.0
        wait = due - (loop.time() - started)
        if wait > 0:
            await sleep(wait)
        horizon = (loop.time() - started + batch_seconds) * speed if speed > 0 else float("inf")
        batch: list[LiveComment] = []
        while index < len(recorded) and recorded[index].offset <= horizon and len(batch) < 2000:
            batch.append(replace(recorded[index].comment, at=clock.now()))
            index += 1
        feed(batch)
        played += len(batch)
        if speed <= 0:
            await sleep(0)
    return played
