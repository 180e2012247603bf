"""Errors of the analysis package (all PostliveError, so the CLI prints one line).

    PostliveError
    └── AnalysisError
        └── AnalysisInputError(path, line)   a file `postlive analyze` cannot read

A model that cannot be reached is not an error here: the OpenAI analyzer reports it in
Outcome.warnings and leaves the answers for the next run.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import PostliveError


class AnalysisError(PostliveError):
    pass


class AnalysisInputError(AnalysisError):
    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.line = Path(path), line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")
