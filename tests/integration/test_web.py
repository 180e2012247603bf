"""The HTTP surface every deployment relies on: health, metrics, body limits."""

from __future__ import annotations

import httpx
import pytest

from adapters.simulator import SimulatorChannel
from bot.bootstrap import App
from bot.web import create_app
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
    assert response.json() == {"status": "ok", "database": True}


async def test_healthz_says_degraded_when_the_database_is_gone(app: App) -> None:
    from bot.db import make_engine

    app.engine = make_engine("sqlite:////nonexistent-dir/x.db")
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(app)), base_url="http://t"
    )
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False


async def test_metrics_show_queue_and_messages(
    app: App, simulator: SimulatorChannel, client: httpx.AsyncClient
) -> None:
    add_contact(app, "+12125550101")
    start_campaign(app)
    say(app, "+12125550101", "5")
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'postlive_outbox_messages{channel="whatsapp",status="sent"} 2.0' in text
    assert "postlive_outbox_queue_depth 0.0" in text
    assert 'postlive_inbound_events{channel="whatsapp",status="handled"} 1.0' in text
    assert 'postlive_http_requests_total{path="/healthz",status="200"} 1.0' in text


async def test_a_huge_body_gets_413_not_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x" * (300 * 1024))
    assert response.status_code == 413


async def test_a_lying_content_length_gets_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x", headers={"content-length": "abc"})
    assert response.status_code in (400, 413)
