"""A local HTTP server that speaks enough of the Telegram Bot API for the real PTB client.

Started by the tests on 127.0.0.1 (random port); `TELEGRAM_API_URL` points PTB at it.
It answers like Telegram does ({"ok": true, "result": ...} with realistic Message
objects), records every call so tests can assert on what arrived, queues updates for
getUpdates, and can be told to fail the way Telegram fails: 429 with retry_after, 403
"bot was blocked by the user".
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fake_server import LocalServer

TOKEN = "123456789:AAE-fake_token-for_tests"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Luna Live Shop",
    "username": "luna_live_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
#: What every downloaded file starts with (a JPEG header), followed by its path.
FILE_BYTES = b"\xff\xd8\xff\xe0fake-jpeg:"
#: Parameters PTB sends JSON-encoded inside the form body.
_JSON_PARAMS = {"reply_markup", "allowed_updates", "link_preview_options", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: str | None
    #: Matching calls to let through before failing.
    skip: int = 0


@dataclass
class FakeBotApi:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._failures: list[_Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1001)
        self._http: LocalServer | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload = api._dispatch(self.path, self.headers.get_content_type(), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                status, data = api._file(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A long poll the client abandoned (polling stopped): nobody to answer.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._http = LocalServer(Handler, server_class=Server)
        return self._http.start()

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        if self._http is not None:
            self._http.stop()

    @property
    def url(self) -> str:
        assert self._http is not None
        return self._http.url

    # -- what tests arrange ----------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: str | None = None,
        skip: int = 0,
    ) -> None:
        with self._lock:
            self._failures.append(
                _Failure(method, status, description, retry_after, times, chat_id, skip)
            )

    def too_many_requests(
        self, method: str = "sendMessage", retry_after: int = 1, skip: int = 0
    ) -> None:
        self.fail(
            method,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            skip=skip,
        )

    def block(self, chat_id: str) -> None:
        """The customer blocked the bot: every send to them is refused from now on."""
        with self._lock:
            self.blocked.add(str(chat_id))

    def push_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    # -- what tests assert on ----------------------------------------------------------

    def received(self, method: str, chat_id: str | None = None, ok: bool = True) -> list[dict]:
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method == method
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
                and (c.status == 200) == ok
            ]

    def last_message(self, chat_id: str) -> dict[str, Any]:
        """The Message object the bot last sent to `chat_id`, as Telegram returned it."""
        return self.received("sendMessage", chat_id)[-1]["_result"]

    # -- the API ---------------------------------------------------------------------------

    def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        params = _params(content_type, body)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._lock:
            call = Call(method, params)
            self.calls.append(call)
            refusal = self._refusal(method, params)
            if refusal:
                call.status = refusal[0]
                return refusal
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                call.status = 404
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            result = handler(params)
            params["_result"] = result
            return 200, {"ok": True, "result": result}

    def _file(self, path: str) -> tuple[int, bytes]:
        """GET /file/bot<token>/<file_path>: the bytes of a file getFile described."""
        prefix = f"/file/bot{self.token}/"
        path = unquote(path)  # PTB percent-encodes the path, the token's ":" included
        with self._lock:
            self.calls.append(Call("downloadFile", {"path": path}))
        if not path.startswith(prefix):
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        return 200, FILE_BYTES + path[len(prefix) :].encode()

    def _refusal(self, method: str, params: dict[str, Any]) -> tuple[int, dict] | None:
        chat = str(params.get("chat_id"))
        if method.startswith("send") and chat in self.blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        for failure in self._failures:
            if failure.method == method and failure.times > 0 and failure.chat_id in (None, chat):
                if failure.skip > 0:
                    failure.skip -= 1
                    continue
                failure.times -= 1
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": failure.status,
                    "description": failure.description,
                }
                if failure.retry_after is not None:
                    payload["parameters"] = {"retry_after": failure.retry_after}
                return failure.status, payload
        return None

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            self.calls.append(Call("getUpdates", params))
            # Confirming an offset forgets every update before it, as Telegram does.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(left)
            return list(self._updates[:100])

    def _message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private", "first_name": "Customer"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            **content,
        }

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return BOT_USER

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        content: dict[str, Any] = {"text": params["text"]}
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        return self._message(params["chat_id"], **content)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        size = {"file_id": "AgACAgSent", "file_unique_id": "AQADSent", "width": 90, "height": 90}
        return self._message(params["chat_id"], photo=[size])

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._message(params["chat_id"], text="…", reply_markup=params.get("reply_markup"))

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = dict(params)
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = {}
        return True

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "file_id": params["file_id"],
            "file_unique_id": "AQAD" + params["file_id"][-6:],
            "file_size": 2048,
            "file_path": f"photos/{params['file_id']}.jpg",
        }


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type == "application/json":
        return dict(json.loads(body))
    parsed = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    return {k: json.loads(v) if k in _JSON_PARAMS else v for k, v in parsed.items()}
