"""The ack of a state-changing Slack click (one INSERT into inboundevent) beside the
handling it no longer waits for (the alert acknowledged in the handler's transaction,
then the alert message refreshed with chat.update after the commit).

Signed block_actions requests go through the real web app and slack-bolt (in process,
ASGI) to a local fake Slack Web API (tests/integration/slack/fake_slack.py). Prints the
median and p90 of the ack, and of the handling of one click, and the conditions.

    .venv/bin/python benchmarks/slack_ack.py [--clicks 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.conditions import conditions  # noqa: E402
from bot.bootstrap import build  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.db import session_scope  # noqa: E402
from bot.handling import handle_all  # noqa: E402
from bot.models import Answer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import create_app  # noqa: E402
from tests.integration.slack.builders import seed  # noqa: E402
from tests.integration.slack.fake_slack import ALERTS, SIGNING_SECRET, FakeSlack  # noqa: E402
from tests.integration.slack.support import (  # noqa: E402
    AGENT,
    SlackClient,
    alerts_posted,
    button_value,
    click_payload,
)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms"


async def run(clicks: int, database_url: str) -> None:
    fake = FakeSlack()
    fake.start()
    try:
        settings = Settings(
            _env_file=None,
            database_url=database_url,  # type: ignore[call-arg]
            slack_bot_token=SecretStr(fake.token),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=fake.api_url,
            slack_alert_channel=ALERTS,
            slack_agent_users=[AGENT],
            slack_channel_mps=1000.0,
        )
        app = build(settings, clock=FrozenClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC)))
        assert app.slack is not None
        seeded = seed(app, clicks, themes=1)
        ids = sorted(seeded.text_answers)[:clicks]
        with session_scope(app.engine) as session:
            session.execute(
                update(Answer).where(col(Answer.id).in_(ids)).values(alert_status="open")
            )
        while await alerts_posted(app):  # posted for real, so chat.update finds them
            pass
        posted = {int(button_value(m.blocks, "alert_ack")): m.ts for m in fake.in_channel(ALERTS)}
        transport = httpx.ASGITransport(app=create_app(app))
        async with httpx.AsyncClient(transport=transport, base_url="https://b.test") as http:
            slack = SlackClient(http, app.slack, fake)
            acks: list[float] = []
            handled: list[float] = []
            for answer_id in ids:
                message = {"ts": posted[answer_id], "blocks": []}
                payload = click_payload(
                    fake, "alert_ack", str(answer_id), user=AGENT, channel=ALERTS, message=message
                )
                started = time.perf_counter()
                response = await slack.interact(payload)
                acks.append(time.perf_counter() - started)
                assert response.status_code == 200
                started = time.perf_counter()
                assert await handle_all(app.intake) == 1
                handled.append(time.perf_counter() - started)
        with session_scope(app.engine) as session:
            states = session.exec(select(Answer.alert_status).where(col(Answer.id).in_(ids)))
            assert set(states.all()) == {"acknowledged"}
        assert len(fake.calls_to("chat.update")) == len(ids)
        print(f"{app.engine.dialect.name}: {len(ids)} acknowledge clicks")
        print(f"  ack (one INSERT, then 200):          {_ms(acks)}")
        print(f"  handling (transaction + chat.update): {_ms(handled)}")
        app.engine.dispose()
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print(conditions())
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        asyncio.run(run(args.clicks, url))
    print(conditions())


if __name__ == "__main__":
    main()
