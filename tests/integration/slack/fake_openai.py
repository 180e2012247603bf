"""A local server answering OpenAI's POST /v1/chat/completions, for translation tests.

It "translates" from a table the test gives it (text, locale) -> translation, and records
every request. Text it has no entry for comes back marked `[locale] text`, so a test
can tell a translated reply from one sent as typed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "sk-test-not-a-real-key"
_TARGET = re.compile(r"[Tt]arget (?:locale|language)[^\w]*\s*([a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?)")
_LOCALE = re.compile(r"\(locale\s+([a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?)\)")


@dataclass
class FakeOpenAI:
    table: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if self.path != "/v1/chat/completions":
                    status, payload = 404, {"error": {"message": "not found"}}
                elif self.headers.get("Authorization") != f"Bearer {KEY}":
                    status, payload = 401, {"error": {"message": "bad key", "type": "auth"}}
                else:
                    status, payload = 200, api._complete(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        system = " ".join(m["content"] for m in body["messages"] if m["role"] == "system")
        text = next(m["content"] for m in body["messages"] if m["role"] == "user")
        found = _LOCALE.search(system) or _TARGET.search(system)
        locale = found.group(1) if found else "??"
        answer = self.table.get((text, locale), f"[{locale}] {text}")
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
        }
