"""TikTok LIVE: what TikTokLive makes of TikTok's websocket frames reaches the show.

No network: the frame is built as TikTok sends it (a ProtoMessageFetchResult holding a
WebcastChatMessage, serialised to bytes), then a real TikTokLiveClient parses and emits
it exactly as its websocket loop does (`_parse_webcast_response`, then `emit`), with our
handlers listening. What breaks when TikTokLive changes its events breaks here."""

from __future__ import annotations

import asyncio
import warnings

from adapters.live.tiktok import TikTokChat
from bot.clock import FrozenClock
from bot.radar.board import Radar
from bot.radar.session import LiveSession

with warnings.catch_warnings():  # TikTokLive still imports websockets.legacy
    warnings.simplefilter("ignore", DeprecationWarning)
    from TikTokLive import TikTokLiveClient
    from TikTokLive.events import CommentEvent, ConnectEvent, DisconnectEvent
    from TikTokLive.proto import ProtoMessageFetchResult, ProtoMessageFetchResultBaseProtoMessage
    from TikTokLiveProto.v3.webcast.model.base.user import User
    from TikTokLiveProto.v3.webcast.model.message import WebcastChatMessage
    from TikTokLiveProto.v3.webcast.shared.message import CommonMessageData


def frame(*comments: tuple[int, str, str, str, str]) -> bytes:
    """One websocket frame's payload: (msg id, user id, handle, nickname, text) each."""
    messages = [
        ProtoMessageFetchResultBaseProtoMessage(
            method="WebcastChatMessage",
            payload=bytes(
                WebcastChatMessage(
                    common=CommonMessageData(msg_id=msg_id),
                    user=User(id=int(user_id), nickname=nickname, display_id=handle),
                    content=text,
                    content_language="pt" if "custa" in text else "",
                )
            ),
        )
        for msg_id, user_id, handle, nickname, text in comments
    ]
    return bytes(ProtoMessageFetchResult(messages=messages))


async def deliver(client: TikTokLiveClient, wire: bytes) -> None:
    """What TikTokLiveClient._ws_client_loop does with each frame it receives."""
    async for event in client._parse_webcast_response(ProtoMessageFetchResult().parse(wire)):
        client.emit(event.get_type(), event)
    await asyncio.sleep(0.01)  # the emitter runs coroutine handlers as tasks


async def test_tiktok_comments_reach_the_board_through_tiktoklive_events(
    clock: FrozenClock,
) -> None:
    session = LiveSession("S1", "t", Radar("en"), None, clock)
    chat = TikTokChat("shop", session, clock)
    client = TikTokLiveClient(unique_id="@shop")
    chat.listen(client, CommentEvent, ConnectEvent, DisconnectEvent)

    await deliver(
        client,
        frame(
            (7001, "1001", "ana_b", "Ana", "quanto custa?"),
            (7002, "1002", "bo", "Bo", "how much??"),
            (7003, "1003", "cee", "Cee", "🔥🔥🔥"),
        ),
    )
    client.emit(DisconnectEvent().get_type(), DisconnectEvent())
    await asyncio.sleep(0.01)
    snapshot = await session.tick()

    (entry,) = [q for q in snapshot["questions"] if q["key"] == "price"]
    assert entry["count"] == 2  # two viewers, one question, two languages
    assert snapshot["sources"]["tiktok"]["state"] == "reconnecting"
    assert snapshot["reconnecting"] is True


def test_a_tiktok_comment_event_becomes_a_live_comment(clock: FrozenClock) -> None:
    session = LiveSession("S1", "t", Radar("en"), None, clock)
    chat = TikTokChat("@shop", session, clock)
    event = CommentEvent().parse(
        bytes(
            WebcastChatMessage(
                common=CommonMessageData(msg_id=42),
                user=User(id=1001, nickname="Ana", display_id="ana_b"),
                content="tem no tamanho M?",
                content_language="pt",
            )
        )
    )
    found = chat.comment(event)
    assert found is not None
    assert (found.platform, found.author_id, found.author_name, found.text) == (
        "tiktok",
        "1001",
        "Ana",
        "tem no tamanho M?",
    )
    assert (found.language_hint, found.external_id, found.at) == ("pt", "tt:42", clock.now())
