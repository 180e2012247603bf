"""Analysis results kept by content hash, so nothing is paid for twice.

The key hashes everything the judgement depends on: the text (or photo), the prompt's
version, the model and the team's language. Change any of them and the answer is judged
afresh; change none and the stored judgement is reused, across campaigns and runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import Clock, SystemClock
from bot.models import AnalysisCache


def cache_key(*parts: object) -> str:
    encoded = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class ResultCache(Protocol):
    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def put_many(self, entries: Mapping[str, dict[str, Any]]) -> None: ...


class MemoryCache:
    """For one `postlive analyze` run without a database."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {k: self.entries[k] for k in keys if k in self.entries}

    def put_many(self, entries: Mapping[str, dict[str, Any]]) -> None:
        self.entries.update(entries)


class DatabaseCache:
    """The AnalysisCache table, shared by every worker and the CLI."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        with Session(self.engine) as session:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                rows = session.exec(select(AnalysisCache).where(col(AnalysisCache.key).in_(chunk)))
                found.update({row.key: row.result for row in rows})
        return found

    def put_many(self, entries: Mapping[str, dict[str, Any]]) -> None:
        if not entries:
            return
        now = self.clock.now()
        rows = [{"key": k, "result": v, "created_at": now} for k, v in entries.items()]
        # Two workers may judge the same text at once: the first row stays, no error.
        statement: Any
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(AnalysisCache).on_conflict_do_nothing(index_elements=["key"])
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(AnalysisCache).on_conflict_do_nothing(index_elements=["key"])
        with self.engine.begin() as conn:
            conn.execute(statement, rows)
