"""The bot's own short messages (hints, stop confirmation...) in every shipped locale.

Survey texts live in the flow; these are the same for every flow, so they ship with the
code in `phrases.yaml` and fall back like flow texts (pt-BR -> pt -> en).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from bot.locales import negotiate

_FILE = Path(__file__).with_name("phrases.yaml")


@cache
def _catalog() -> dict[str, dict[str, str]]:
    with _FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def phrase(key: str, locale: str, **values: str) -> str:
    texts = _catalog()[key]
    chosen = negotiate(locale, tuple(texts), "en")
    text = texts.get(chosen) or texts["en"]
    return text.format(**values) if values else text
