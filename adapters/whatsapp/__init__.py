"""whatsapp adapter (being built: see its issue)."""

from __future__ import annotations

from typing import Any


def routes(app: Any) -> list[Any]:
    return []


def sender(settings: Any) -> None:
    return None
