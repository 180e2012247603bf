"""Logging: one JSON object per line in production, readable lines in a terminal, no
phone numbers, chat ids or bot tokens in either, and no chatter from the SDKs.

Customers' numbers reach logs through exception messages and library debug output we
do not control, so masking is a filter on every record rather than a rule to remember.
The mask touches only what looks like a phone number (a "+" or "%2B", optionally after
"whatsapp:") or a chat id (digits right after "chat", "chat_id", "user_id"...), never a
bare figure: dates in Twilio URLs (2010-04-01), ids and byte counts stay readable.

Third-party loggers (twilio, httpx, telegram, slack_sdk, openai, apscheduler...) speak
only from WARNING up unless LOG_LEVEL=DEBUG: the Twilio SDK alone writes 11 INFO lines
per message. Loggers that print request URLs or bodies with secrets in them (httpx and
httpcore print Telegram's https://api.telegram.org/bot<TOKEN>/... URLs; the SDKs print
request headers) stay at WARNING even then; tokens that still slip through are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

#: A "+" (or its URL encoding) and 8-15 digits, spaces, dashes, dots or parentheses between.
_PHONE = re.compile(
    r"(?<![\w+%])(?:whatsapp(?::|%3A))?(?:\+|%2B)\d[\d \-().]{6,18}\d(?!\w)", re.IGNORECASE
)
#: A chat or user id: digits (Telegram group ids are negative) right after a word naming one.
_CHAT_ID = re.compile(
    r"(?P<label>\b(?:chat|chat_id|chatid|chat id|user_id|from_id|tg)\b['\"]?\s*[:=#]?\s*['\"]?)"
    r"(?P<id>-?\d{6,20})(?![\d.])",
    re.IGNORECASE,
)
#: A Telegram bot token (123456:ABC-...), in a URL ("/bot123:abc/") or anywhere else.
_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}")

#: Our own loggers: everything else is a third party.
OWN_LOGGERS = ("bot", "adapters", "postlive", "benchmarks", "__main__", "uvicorn.error")
#: Third-party loggers that print URLs, headers or bodies holding secrets at INFO/DEBUG:
#: held at WARNING whatever LOG_LEVEL says.
SECRET_PRINTING_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "twilio",
    "twilio.http_client",
    "slack_sdk",
    "slack_bolt",
    "openai",
    "urllib3",
    "aiohttp",
    "hpack",
)
#: Chatty third-party loggers held at WARNING unless LOG_LEVEL=DEBUG.
NOISY_LOGGERS = ("apscheduler", "alembic", "asyncio", "multipart", "PIL", "matplotlib")


def _hide_digits(digits: str, prefix: str = "") -> str:
    return f"{prefix}{digits[:2]}{'•' * (len(digits) - 5)}{digits[-3:]}"


def mask(text: str) -> str:
    """'+4915112345678' -> '+49•••••••678': enough to tell numbers apart in an incident."""

    def hide_phone(match: re.Match[str]) -> str:
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw.upper().replace("%2B", "+").replace("%3A", ":"))
        if len(digits) < 8 or len(digits) > 15:
            return raw
        return _hide_digits(digits, "+")

    def hide_chat(match: re.Match[str]) -> str:
        chat = match.group("id")
        sign = "-" if chat.startswith("-") else ""
        return match.group("label") + _hide_digits(chat.lstrip("-"), sign)

    text = _BOT_TOKEN.sub("<bot-token>", text)
    text = _PHONE.sub(hide_phone, text)
    return _CHAT_ID.sub(hide_chat, text)


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


def is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


class ThirdPartyFilter(logging.Filter):
    """Drops third-party records under WARNING: catches SDK loggers not named above."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or is_own(record.name)


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


def quiet_third_parties(level: str) -> None:
    """Hold SDK loggers at WARNING (the secret-printing ones always, the others unless
    `level` is DEBUG). Setting the logger's level, not only filtering, means their
    records are never even built."""
    debug = level.upper() == "DEBUG"
    for name in SECRET_PRINTING_LOGGERS + (() if debug else NOISY_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)
    if debug:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def configure(fmt: str = "auto", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    if level.upper() != "DEBUG":
        handler.addFilter(ThirdPartyFilter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_third_parties(level)
