"""A local server speaking the slice of the YouTube Data API the radar uses.

videos.list answers the stream's live chat id; liveChatMessages.list answers scripted
pages (or scripted errors, in Google's error format) and records every request, so tests
assert on what the real google-api-python-client sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fake_server import LocalServer

CHAT_ID = "Cg0KC2xpdmUtY2hhdC1pZA"


def message(message_id: str, author: str, text: str) -> dict[str, Any]:
    return {
        "kind": "youtube#liveChatMessage",
        "id": message_id,
        "snippet": {
            "type": "textMessageEvent",
            "liveChatId": CHAT_ID,
            "authorChannelId": author,
            "publishedAt": "2026-11-30T20:00:00.000Z",
            "hasDisplayContent": True,
            "displayMessage": text,
            "textMessageDetails": {"messageText": text},
        },
        "authorDetails": {"channelId": author, "displayName": author.title()},
    }


def page(token: str, interval_ms: int, *items: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "youtube#liveChatMessageListResponse",
        "nextPageToken": token,
        "pollingIntervalMillis": interval_ms,
        "items": list(items),
    }


def error(status: int, reason: str) -> tuple[int, dict[str, Any]]:
    body = {
        "error": {
            "code": status,
            "message": reason,
            "errors": [{"reason": reason, "domain": "youtube.liveChat", "message": reason}],
        }
    }
    return status, body


class FakeYouTube:
    def __init__(self, script: list[dict[str, Any] | tuple[int, dict[str, Any]]]) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, dict[str, list[str]]]] = []

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        self.requests.append((path, query))
        if path.endswith("/youtube/v3/videos"):
            return 200, {
                "items": [
                    {"id": query["id"][0], "liveStreamingDetails": {"activeLiveChatId": CHAT_ID}}
                ]
            }
        if path.endswith("/youtube/v3/liveChat/messages"):
            if not self.script:
                return error(403, "liveChatEnded")
            step = self.script.pop(0)
            return step if isinstance(step, tuple) else (200, step)
        return 404, {"error": {"code": 404, "message": "not found"}}


@contextmanager
def serve(fake: FakeYouTube) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            status, body = fake.answer(url.path, parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = LocalServer(Handler)
    try:
        yield server.start() + "/"
    finally:
        server.stop()
