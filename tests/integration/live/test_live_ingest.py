"""The signed ingest webhook: any tool can feed the radar, nobody else can."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from adapters.live.ingest import sign
from bot.bootstrap import App
from bot.radar import store
from bot.radar.hub import hub_for
from bot.web import create_app

SECRET = b"live-ingest-secret"


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    app.settings.live_ingest_secret = SecretStr(SECRET.decode())
    transport = httpx.ASGITransport(app=create_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http
    for session in hub_for(app).sessions.values():
        await session.stop()


def batch(*texts: str, show: str = "SPRING", platform: str = "instagram") -> bytes:
    comments = [
        {"id": f"ig{i}", "platform": platform, "author_id": f"u{i}", "text": t}
        for i, t in enumerate(texts)
    ]
    return json.dumps({"show": show, "comments": comments}).encode()


async def post(client: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Postlive-Signature"] = signature
    return await client.post("/live/comments", content=body, headers=headers)


async def test_a_signed_batch_reaches_the_board_and_the_store(
    app: App, client: httpx.AsyncClient
) -> None:
    body = batch("quanto custa?", "how much is it?", "¿cuánto cuesta?", "love this 😍")
    response = await post(client, body, sign(SECRET, body))
    assert response.status_code == 202
    assert response.json() == {"accepted": 4}

    session = hub_for(app).sessions["SPRING"]
    await session.tick()
    board = (await client.get(f"/live/{session.token}/board")).json()
    assert [(q["key"], q["count"]) for q in board["questions"]] == [("price", 3)]
    assert len(store.asked(app.engine, ["SPRING"])) == 1

    # The same batch delivered twice is stored once.
    await post(client, body, sign(SECRET, body))
    await session.tick()
    (asked,) = store.asked(app.engine, ["SPRING"])
    assert asked.viewers == 3


@pytest.mark.parametrize(
    ("signature", "status"),
    [(None, 403), ("sha256=" + "0" * 64, 403), ("nonsense", 403)],
)
async def test_unsigned_or_wrongly_signed_batches_are_refused(
    app: App, client: httpx.AsyncClient, signature: str | None, status: int
) -> None:
    response = await post(client, batch("how much?"), signature)
    assert response.status_code == status
    assert "SPRING" not in hub_for(app).sessions


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        (b"{not json", 400, None),
        (json.dumps({"show": "S", "comments": []}).encode(), 422, "comments"),
        (
            json.dumps({"show": "S", "comments": [{"text": "hi"}]}).encode(),
            422,
            "comments.0.author_id",
        ),
        (
            json.dumps(
                {"show": "bad show!", "comments": [{"text": "x", "author_id": "a"}]}
            ).encode(),
            422,
            "show",
        ),
        (json.dumps(["a list"]).encode(), 422, None),
    ],
)
async def test_bad_batches_get_a_clear_4xx(
    client: httpx.AsyncClient, body: bytes, status: int, where: str | None
) -> None:
    response = await post(client, body, sign(SECRET, body))
    assert response.status_code == status
    if where:
        assert where in [p["where"] for p in response.json()["error"]]


async def test_ingest_is_off_without_a_secret(app: App, client: httpx.AsyncClient) -> None:
    app.settings.live_ingest_secret = None
    body = batch("how much?")
    assert (await post(client, body, sign(SECRET, body))).status_code == 404


async def test_the_host_page_needs_its_token(app: App, client: httpx.AsyncClient) -> None:
    assert (await client.get("/live/not-a-token")).status_code == 404
    session = hub_for(app).open("SPRING")
    page = await client.get(f"/live/{session.token}")
    assert page.status_code == 200 and "EventSource" in page.text
    assert len(session.token) >= 22
    answered = await client.post(f"/live/{session.token}/answered", content=b"[]")
    assert answered.status_code == 400
    missing = await client.post(f"/live/{session.token}/answered", json={"key": "price"})
    assert missing.status_code == 404
