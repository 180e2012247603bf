"""Logging: one JSON object per line in production, readable lines in a terminal, and
no phone numbers in either.

Customers' numbers reach logs through exception messages and library debug output we
do not control, so masking is a filter on every record rather than a rule to remember.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

#: E.164-looking numbers, with or without "whatsapp:", and long digit runs like chat ids.
_PHONE = re.compile(r"(?<![\w+])(?:whatsapp:)?\+?\d[\d \-().]{6,18}\d(?!\w)")


def mask(text: str) -> str:
    """'+4915112345678' -> '+49•••••••678': enough to tell numbers apart in an incident."""

    def hide(match: re.Match[str]) -> str:
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw)
        if len(digits) < 8:
            return raw
        prefix = "+" if "+" in raw else ""
        return f"{prefix}{digits[:2]}{'•' * (len(digits) - 5)}{digits[-3:]}"

    return _PHONE.sub(hide, text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        for key in ("event", "channel", "campaign_id", "outbox_id", "status"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str = "auto", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
