"""The host's page in a real browser: Debian's headless Chromium driven by Playwright.

Comments go in through the signed ingest webhook over real HTTP (uvicorn on a free port);
the page must show the question within 2 s (the issue's bar: the session ticks every
0.5 s and pushes by server-sent events), remove it when "answered" is tapped, and say
"reconnecting" when a source drops. A screenshot is saved in the test's tmp dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from adapters.live.ingest import sign
from bot.bootstrap import App
from bot.radar.hub import hub_for
from bot.web import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-test-secret"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason="Debian's chromium is not installed (CI installs it: .ci/run)",
)


@pytest.fixture
async def server(app: App) -> AsyncIterator[str]:
    app.settings.live_ingest_secret = SecretStr(SECRET)
    config = uvicorn.Config(create_app(app), host="127.0.0.1", port=0, log_config=None)
    web = uvicorn.Server(config)
    task = asyncio.create_task(web.serve())
    while not web.started:
        await asyncio.sleep(0.02)
    port = web.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    for session in hub_for(app).sessions.values():
        await session.stop()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(task, 10)


async def send(base: str, *texts: str, first: int = 0) -> None:
    comments = [
        {"id": f"c{first + i}", "platform": "instagram", "author_id": f"v{first + i}", "text": t}
        for i, t in enumerate(texts)
    ]
    body = json.dumps({"show": "KNITS", "comments": comments}).encode()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/live/comments",
            content=body,
            headers={"X-Postlive-Signature": sign(SECRET.encode(), body)},
        )
    assert response.status_code == 202


async def test_host_sees_questions_live_and_taps_them_away(
    app: App, server: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    session = hub_for(app).open("KNITS")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 412, "height": 915})
        await page.goto(f"{server}/live/{session.token}")
        await page.wait_for_selector("#empty:not([hidden])")

        await send(server, "quanto custa?", "how much?", "¿cuánto cuesta?", "いくらですか")
        price = page.locator('li[data-key="price"]')
        await price.wait_for(timeout=2000)
        assert await price.locator(".label").inner_text() == "How much is it?"
        assert await price.locator(".count").inner_text() == "4"

        await send(server, "ship to Brazil?", "vocês enviam para o Brasil?", first=10)
        shipping = page.locator('li[data-key="shipping:BR"]')
        await shipping.wait_for(timeout=2000)
        await page.screenshot(path=str(tmp_path / "live-page.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'live-page.png'}")

        async with page.expect_response(lambda r: r.url.endswith("/answered")) as answered:
            await price.locator("button").click()
        assert (await answered.value).status == 204
        await price.wait_for(state="detached", timeout=2000)
        async with httpx.AsyncClient() as client:
            board = (await client.get(f"{server}/live/{session.token}/board")).json()
        assert [q["key"] for q in board["questions"]] == ["shipping:BR"]

        session.source("youtube", "reconnecting", "backendError")
        await session.tick()
        status = page.locator("#status")
        await page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('reconnecting')",
            timeout=2000,
        )
        assert "youtube" in await status.inner_text()
        await browser.close()
    assert (tmp_path / "live-page.png").stat().st_size > 1000
