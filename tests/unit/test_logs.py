"""Phone numbers never reach the logs in clear."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, MaskingFilter, mask


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("send to whatsapp:+4915112345678 failed", "send to +49" + "•" * 8 + "678 failed"),
        ("+1 (212) 555-0101 blocked", "+12" + "•" * 6 + "101 blocked"),
        ("campaign 12 has 300 contacts", "campaign 12 has 300 contacts"),
    ],
)
def test_numbers_are_masked_but_small_figures_stay(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_a_log_record_with_a_number_in_an_exception_is_masked() -> None:
    logger = logging.getLogger("postlive.test")
    record = logger.makeRecord(
        "postlive.test", logging.ERROR, __file__, 1, "could not reach %s", ("+819012345678",), None
    )
    try:
        raise ValueError("invalid number +819012345678")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    MaskingFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert "+819012345678" not in json.dumps(line)
    assert line["message"] == "could not reach +81•••••••678"
    assert line["level"] == "error"


@pytest.mark.parametrize(
    "untouched",
    [
        "POST https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
        "downloaded 20401 bytes",
        "media of SM0123456789abcdef0123456789abcdef: 12345678 bytes over the limit",
        "telegram update 987654321 recorded",
        "slack message 1700000000.123456 updated",
        "outbox 123456789 sent at 2026-11-25 01:00:00",
    ],
)
def test_dates_ids_and_byte_counts_are_left_as_they_are(untouched: str) -> None:
    assert mask(untouched) == untouched


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("chat 123456789 blocked the bot", "chat 12••••789 blocked the bot"),
        ("{'chat_id': 5551234567, 'text': 'hi'}", "{'chat_id': 55•••••567, 'text': 'hi'}"),
        ("chat_id=-1001234567890", "chat_id=-10••••••••890"),
        ("To=whatsapp%3A%2B4915112345678&Body=hi", "To=+49" + "•" * 8 + "678&Body=hi"),
    ],
)
def test_chat_ids_and_url_encoded_numbers_are_masked(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_a_telegram_bot_token_never_reaches_a_line() -> None:
    line = "GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in mask(line)


def _emit(level: str, logger_name: str, record_level: int) -> str:
    import io

    from bot.logs import configure

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure("text", level)
        out = io.StringIO()
        root.handlers[0].setStream(out)  # type: ignore[attr-defined]
        logging.getLogger(logger_name).log(record_level, "line from %s", logger_name)
        return out.getvalue()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for name in ("twilio.http_client", "apscheduler.scheduler", "httpx", "bot.worker"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_sdk_info_lines_are_silent_at_the_default_level() -> None:
    assert _emit("INFO", "twilio.http_client", logging.INFO) == ""
    assert _emit("INFO", "apscheduler.scheduler", logging.INFO) == ""
    assert _emit("INFO", "some_new_sdk.client", logging.INFO) == ""
    assert "line from twilio.http_client" in _emit("INFO", "twilio.http_client", logging.WARNING)
    assert "line from bot.worker" in _emit("INFO", "bot.worker", logging.INFO)


def test_log_level_debug_lets_third_parties_speak_except_those_printing_secrets() -> None:
    assert "line from apscheduler.scheduler" in _emit("DEBUG", "apscheduler.scheduler", 10)
    assert "line from some_new_sdk.client" in _emit("DEBUG", "some_new_sdk.client", 10)
    assert _emit("DEBUG", "httpx", logging.INFO) == ""  # prints the bot token in URLs
    assert _emit("DEBUG", "twilio.http_client", logging.INFO) == ""
