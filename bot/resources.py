"""Where the shipped data lives: the repository's flows/ and prompts/ when run from a
checkout, the copies inside the package when installed with `pip install .`."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped {name}/ directory not found next to {_PACKAGE}")


def flows_dir() -> Path:
    return data_dir("flows")


def prompts_dir() -> Path:
    return data_dir("prompts")
