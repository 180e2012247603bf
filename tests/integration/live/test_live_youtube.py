"""YouTube Live chat read through the real google-api-python-client, against a local
server speaking the YouTube Data API."""

from __future__ import annotations

import asyncio
import random

from pydantic import SecretStr

from adapters.live.backoff import Backoff
from adapters.live.youtube import COST_CHAT_LIST, COST_VIDEOS_LIST, YouTubeChat
from bot.bootstrap import App
from bot.radar import store
from bot.radar.hub import hub_for
from tests.integration.live.fake_youtube import CHAT_ID, FakeYouTube, error, message, page, serve


async def test_chat_is_polled_at_the_apis_interval_and_survives_a_drop(app: App) -> None:
    fake = FakeYouTube(
        [
            page(
                "p1", 3000, message("m1", "ana", "quanto custa?"), message("m2", "bob", "how much?")
            ),
            error(503, "backendError"),
            page(
                "p2",
                1500,
                message("m2", "bob", "how much?"),
                message("m3", "chen", "多少钱？"),
                message("m4", "dora", "ship to Brazil?"),
            ),
            error(403, "liveChatEnded"),
        ]
    )
    delays: list[float] = []
    states: list[str] = []

    async def no_wait(seconds: float) -> None:
        delays.append(seconds)
        states.append(session.sources["youtube"].state)

    app.settings.youtube_api_key = SecretStr("yt-key")
    with serve(fake) as url:
        app.settings.youtube_api_url = url
        session = hub_for(app).open("SHOW1")
        chat = YouTubeChat(
            app.settings,
            "vid123",
            session,
            app.clock,
            backoff=Backoff(first=2, factor=3, cap=30, jitter=0.5, rng=random.Random(7)),
            sleep=no_wait,
        )
        await chat.run(asyncio.Event())
    await session.tick()

    paths = [p for p, _ in fake.requests]
    assert paths[0] == "/youtube/v3/videos"
    chat_calls = [q for p, q in fake.requests if p.endswith("/liveChat/messages")]
    assert [q["liveChatId"][0] for q in chat_calls] == [CHAT_ID] * 4
    assert [q.get("pageToken", [None])[0] for q in chat_calls] == [None, "p1", "p1", "p2"]
    assert all(q["key"] == ["yt-key"] for _, q in fake.requests)
    # The API's interval, then a backoff delay (2 s minus up to half of it) while the
    # page says reconnecting, then the API's next interval.
    assert delays[0] == 3.0 and 1.0 <= delays[1] <= 2.0 and delays[2] == 1.5
    assert states[1] == "reconnecting"
    assert session.sources["youtube"].state == "stopped"
    assert (
        session.sources["youtube"].figures["quota_units"] == COST_VIDEOS_LIST + 4 * COST_CHAT_LIST
    )
    # m2 came twice (re-read after the drop) and counts once.
    (price, shipping) = sorted(store.asked(app.engine, ["SHOW1"]), key=lambda q: q.key)
    assert (price.key, price.viewers) == ("price", 3)
    assert (shipping.key, shipping.viewers) == ("shipping:BR", 1)
    assert [(e.key, e.count) for e in session.board] == [("price", 3), ("shipping:BR", 1)]
    await session.stop()


async def test_a_video_without_live_chat_stops_the_source_softly(app: App) -> None:
    fake = FakeYouTube([error(404, "liveChatNotFound")])
    app.settings.youtube_api_key = SecretStr("yt-key")
    with serve(fake) as url:
        app.settings.youtube_api_url = url
        session = hub_for(app).open("SHOW2")
        await YouTubeChat(app.settings, "gone", session, app.clock).run(asyncio.Event())
    assert session.sources["youtube"].state == "stopped"
    assert "liveChatNotFound" in session.sources["youtube"].detail
    await session.stop()
