"""The HTTP surface every deployment relies on: health, metrics, body limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.types import Message

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App, build
from bot.clock import FrozenClock
from bot.handling import handle_all
from bot.messages import Channel, Inbound
from bot.settings import Settings
from bot.web import BodyLimit, create_app
from tests.conftest import add_contact, say
from tests.integration.test_survey_journey import start_campaign


@pytest.fixture
def client(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(app)), base_url="http://t"
    )


async def test_healthz_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "inbound": {"pending": 0, "lag_seconds": 0.0},
    }


async def test_healthz_shows_how_far_handling_lags_behind_the_acks(
    app: App, clock: FrozenClock, client: httpx.AsyncClient
) -> None:
    for n in range(3):
        app.intake.record(Inbound(Channel.WHATSAPP, f"+1212555010{n}", f"SM{n:032x}", text="5"))
    clock.advance(seconds=42)
    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok"  # acks stay fast: a lag is a detail, not an outage
    assert body["inbound"] == {"pending": 3, "lag_seconds": 42.0}
    await handle_all(app.intake)
    assert (await client.get("/healthz")).json()["inbound"] == {"pending": 0, "lag_seconds": 0.0}


async def test_healthz_says_degraded_when_the_database_is_gone(
    settings: Settings, clock: FrozenClock
) -> None:
    gone = settings.model_copy(update={"database_url": "sqlite:////nonexistent-dir/x.db"})
    app = build(gone, clock=clock, migrate=False)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(app)), base_url="http://t"
    )
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False


METRICS_TOKEN = "scrape-me-secret"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def with_metrics_token(app: App) -> Starlette:
    app.settings.metrics_token = SecretStr(METRICS_TOKEN)
    return create_app(app)


async def test_metrics_show_queue_and_messages_to_the_token_holder(
    app: App, simulator: SimulatorChannel
) -> None:
    web = with_metrics_token(app)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
    add_contact(app, "+12125550101")
    start_campaign(app)
    say(app, "+12125550101", "5")
    await client.get("/healthz")
    text = (await client.get("/metrics", headers=BEARER)).text
    assert 'postlive_outbox_messages{channel="whatsapp",status="sent"} 2.0' in text
    assert "postlive_outbox_queue_depth 0.0" in text
    assert 'postlive_inbound_events{channel="whatsapp",status="handled"} 1.0' in text
    assert 'postlive_http_requests_total{path="/healthz",status="200"} 1.0' in text


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}", METRICS_TOKEN, "Bearer "]
)
async def test_metrics_refuse_anyone_without_the_token(app: App, authorization: str | None) -> None:
    web = with_metrics_token(app)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "postlive_" not in response.text


async def test_metrics_are_not_exposed_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 404
    assert "METRICS_TOKEN" in response.text


async def test_database_figures_come_from_the_schedule_not_from_each_scrape(
    app: App, simulator: SimulatorChannel
) -> None:
    web = with_metrics_token(app)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
    add_contact(app, "+12125550101")
    start_campaign(app)
    first = (await client.get("/metrics", headers=BEARER)).text
    assert 'postlive_inbound_events{channel="whatsapp",status="handled"}' not in first
    say(app, "+12125550101", "5")
    for _ in range(5):  # scrapers cannot make the database work harder
        again = (await client.get("/metrics", headers=BEARER)).text
        assert 'postlive_inbound_events{channel="whatsapp",status="handled"}' not in again
    web.state.metrics.refresh()  # what the scheduled refresh does every interval
    later = (await client.get("/metrics", headers=BEARER)).text
    assert 'postlive_inbound_events{channel="whatsapp",status="handled"} 1.0' in later


async def test_a_huge_body_gets_413_not_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x" * (300 * 1024))
    assert response.status_code == 413


async def test_a_lying_content_length_gets_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x", headers={"content-length": "abc"})
    assert response.status_code in (400, 413)


async def test_a_body_that_never_finishes_gets_408() -> None:
    async def endpoint(scope: object, receive: object, send: object) -> None:
        while (await receive())["more_body"]:  # type: ignore[operator]
            pass

    async def trickle() -> Message:
        await asyncio.Event().wait()  # the client sent headers, then nothing more
        raise AssertionError("unreachable")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    guarded = BodyLimit(endpoint, limit=1024, timeout=0.05)  # type: ignore[arg-type]
    scope = {"type": "http", "method": "POST", "path": "/webhooks/whatsapp", "headers": []}
    await guarded(scope, trickle, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
