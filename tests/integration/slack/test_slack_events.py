"""Slack re-sends an event it believes we missed: it is handled once."""

from __future__ import annotations

import json

from tests.integration.slack.support import SlackClient, sign


async def test_a_retried_app_mention_is_answered_once(slack: SlackClient) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T0TEAM",
        "api_app_id": "A0APP",
        "event_id": "Ev0MENTION1",
        "event_time": 1_795_000_000,
        "event": {
            "type": "app_mention",
            "user": "U0ADMIN",
            "text": "<@U0BOT> help",
            "channel": "C0OPS",
            "ts": "1795000000.000100",
        },
    }
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", **sign(body)}
    first = await slack.post(body, headers)
    retry = await slack.post(
        body, {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert first.status_code == 200 and retry.status_code == 200
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
