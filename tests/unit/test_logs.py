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
