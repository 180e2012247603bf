"""The hand-written reply set (tests/data/replies) read as the bot reads it: the score the
benchmark prints must stay above its goal, and the two promises must hold for every reply."""

from __future__ import annotations

import pytest

from benchmarks.replies import REPLIES, Reply, load, read, score

MAIN = load(REPLIES)
HOLDOUT = load(REPLIES / "holdout")


def test_the_reply_set_is_large_and_varied() -> None:
    assert len(MAIN) >= 500
    assert len({r.locale for r in MAIN}) >= 24
    assert {"optout", "delete", "innocent", "rating", "choice", "multi", "text"} <= {
        r.category for r in MAIN
    }


@pytest.mark.parametrize("replies", [MAIN, HOLDOUT], ids=["main", "holdout"])
def test_at_least_97_percent_of_replies_are_read_right(replies: list[Reply]) -> None:
    result = score(replies)
    assert result.share >= 0.97, [(r.id, r.text, got) for r, got in result.failures]


OPT_OUTS = [r for r in MAIN + HOLDOUT if r.expect in ("stop", "delete")]
OTHERS = [r for r in MAIN + HOLDOUT if r.expect not in ("stop", "delete")]


@pytest.mark.parametrize("reply", OPT_OUTS, ids=lambda r: r.id)
def test_every_opt_out_stops_the_messages(reply: Reply) -> None:
    # a delete request ends all messages too (the contact is forgotten)
    assert read(reply) in ("stop", "delete"), reply.text


@pytest.mark.parametrize("reply", OTHERS, ids=lambda r: r.id)
def test_no_innocent_message_opts_out_or_erases(reply: Reply) -> None:
    assert read(reply) not in ("stop", "delete"), reply.text
