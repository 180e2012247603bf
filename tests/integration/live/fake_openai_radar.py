"""A local server answering OpenAI's chat completions for the radar's `_Questions` schema.

Its "model" names each group by the group's first comment, translated by a tiny table, so
tests can assert that the real openai client's request carried the comments as JSON data
in the user message and that the answer reached the board.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_server import LocalServer

CANON = {"quanto custa?": "Wie viel kostet es?", "envían a México?": "Liefert ihr nach Mexiko?"}


class FakeModel:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        groups = json.loads(body["messages"][1]["content"])
        questions = [
            {"id": g["id"], "question": CANON.get(g["comments"][0], "?" + g["comments"][0])}
            for g in groups
        ]
        content = json.dumps({"questions": questions})
        return {
            "id": "chatcmpl-radar",
            "object": "chat.completion",
            "created": 1764532800,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content, "refusal": None},
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }


@contextmanager
def serve(model: FakeModel) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            data = json.dumps(model.complete(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = LocalServer(Handler)
    try:
        yield server.start() + "/v1"
    finally:
        server.stop()
