"""A local HTTP server that speaks enough of Slack's Web API for the real slack-sdk client.

Started by the tests on 127.0.0.1 (random port); SLACK_API_URL points the SDK at
`{url}/api/`. It answers like Slack ({"ok": true, ...}), records every call, serves the
response_url webhooks and the file-upload URL that files_upload_v2 uses, and CHECKS Block
Kit limits the way Slack does: a message with 51 blocks, a 3,001-character section or an
76-character button is refused with `invalid_blocks`, never silently accepted.
It can also answer 429 with Retry-After, like Slack's rate limiter.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fake_server import LocalServer

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UBOT0001"
ALERTS = "C0ALERTS"
DIGESTS = "C0DIGEST"
OPS = "C0OPS"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True
    error: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    updates: int = 0


@dataclass
class FakeSlack:
    token: str = TOKEN
    channels: set[str] = field(default_factory=lambda: {ALERTS, DIGESTS, OPS})
    calls: list[Call] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    #: Posts to response_url webhooks, in order.
    responses: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    #: Files shared in a channel: (channel, filename, bytes).
    files: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._uploads: dict[str, dict[str, Any]] = {}
        self._rate_limited = 0
        self._retry_after = "0"
        self._limited_method: str | None = None
        self._http: LocalServer | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload, headers = api._dispatch(self, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                content_type = "text/plain" if isinstance(payload, bytes) else "application/json"
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._http = LocalServer(Handler)
        self.url = self._http.start()
        return self.url

    def stop(self) -> None:
        if self._http:
            self._http.stop()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/response/{name}"

    # -- test controls -----------------------------------------------------------------

    def rate_limit(self, times: int, retry_after: int = 0, method: str | None = None) -> None:
        """Answer the next `times` Web API calls (to `method` only, if given) with 429 and
        `Retry-After: retry_after`."""
        self._rate_limited = times
        self._retry_after = str(retry_after)
        self._limited_method = method

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def in_channel(self, channel: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel]

    # -- dispatch ------------------------------------------------------------------------

    def _dispatch(
        self, request: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        url = urlparse(request.path)
        if url.path.startswith("/upload/"):
            return self._upload(url.path.rsplit("/", 1)[1], body)
        params = _params(url.query, request.headers.get_content_type(), body)
        if url.path.startswith("/response/"):
            return self._response(url.path.rsplit("/", 1)[1], params)
        method = url.path.removeprefix("/api/")
        with self._lock:
            if self._rate_limited and self._limited_method in (None, method):
                self._rate_limited -= 1
                self.calls.append(Call(method, params, False, "ratelimited"))
                return (
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": self._retry_after},
                )
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return self._answer(method, params, {"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, params, {"ok": False, "error": "unknown_method"})
        return self._answer(method, params, handler(params))

    def _answer(
        self, method: str, params: dict[str, Any], result: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append(Call(method, params, bool(result.get("ok")), result.get("error")))
        return 200, result, {}

    def _next_ts(self) -> str:
        return f"1795000000.{next(self._ts):06d}"

    # -- methods ---------------------------------------------------------------------------

    def _auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "bot_id": "B0BOT",
            "team_id": "T0TEAM",
            "user": "postlive",
            "team": "Luna Live Shop",
            "url": "https://luna.slack.test/",
        }

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        channel = str(p.get("channel", ""))
        if channel not in self.channels and not channel.startswith("U"):
            return {"ok": False, "error": "channel_not_found"}
        blocks = _json(p.get("blocks")) or []
        if errors := check_blocks(blocks, limit=50):
            return {"ok": False, "error": "invalid_blocks", "errors": errors}
        if not p.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        with self._lock:
            self.messages.append(
                Message(channel, ts, str(p.get("text", "")), blocks, p.get("thread_ts"))
            )
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": p.get("text")}}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        found = next(
            (m for m in self.messages if m.channel == p.get("channel") and m.ts == p.get("ts")),
            None,
        )
        if found is None:
            return {"ok": False, "error": "message_not_found"}
        blocks = _json(p.get("blocks")) or []
        if errors := check_blocks(blocks, limit=50):
            return {"ok": False, "error": "invalid_blocks", "errors": errors}
        with self._lock:
            found.blocks, found.text = blocks, str(p.get("text", ""))
            found.updates += 1
        return {"ok": True, "channel": found.channel, "ts": found.ts}

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if p.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": p.get("channel")}}

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = _json(p.get("view")) or {}
        errors = check_view(view)
        if errors:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": errors},
            }
        with self._lock:
            self.views.append(view)
        return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self._uploads) + 1:08d}"
        self._uploads[file_id] = {"filename": p["filename"], "length": int(p["length"])}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        upload = self._uploads.get(file_id)
        if upload is None:
            return 404, b"not found", {}
        upload["data"] = body
        return 200, f"OK - {len(body)}".encode(), {}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        files = _json(p.get("files")) or []
        channel = p.get("channel_id")
        if channel and channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        done = []
        for f in files:
            upload = self._uploads.get(f.get("id", ""))
            if upload is None or "data" not in upload:
                return {"ok": False, "error": "file_not_found"}
            if len(upload["data"]) != upload["length"]:
                return {"ok": False, "error": "file_size_mismatch"}
            with self._lock:
                self.files.append((str(channel), upload["filename"], upload["data"]))
            done.append({"id": f["id"], "title": f.get("title"), "name": upload["filename"]})
        return {"ok": True, "files": done}

    def _response(
        self, name: str, p: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        blocks = p.get("blocks") or []
        if errors := check_blocks(blocks, limit=50):
            return 400, b"invalid_blocks: " + "; ".join(errors).encode(), {}
        with self._lock:
            self.responses.append({"url": name, **p})
        return 200, b"ok", {}


def _params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
    if content_type == "application/json" and body:
        params.update(json.loads(body))
    elif content_type == "application/x-www-form-urlencoded" and body:
        params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
    return params


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# -- Block Kit limits, as documented by Slack ------------------------------------------------


def _text(errors: list[str], where: str, obj: Any, limit: int, kinds: tuple[str, ...]) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        errors.append(f"{where}: must be a text object of type {'/'.join(kinds)}")
        return
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"{where}: must be more than 0 characters")
    elif len(text) > limit:
        errors.append(f"{where}: must be less than {limit + 1} characters")


def _element(errors: list[str], where: str, e: dict[str, Any]) -> None:
    kind = e.get("type")
    if len(str(e.get("action_id", ""))) > 255:
        errors.append(f"{where}.action_id: must be less than 256 characters")
    if kind == "button":
        _text(errors, f"{where}.text", e.get("text"), 75, ("plain_text",))
        if len(str(e.get("value", ""))) > 2000:
            errors.append(f"{where}.value: must be less than 2001 characters")
        if e.get("style") not in (None, "primary", "danger"):
            errors.append(f"{where}.style: must be primary or danger")
    elif kind == "static_select":
        options = e.get("options") or []
        if not 1 <= len(options) <= 100:
            errors.append(f"{where}.options: must provide 1 to 100 items")
        for i, o in enumerate(options):
            _text(errors, f"{where}.options[{i}].text", o.get("text"), 75, ("plain_text",))
            if not 0 < len(str(o.get("value", ""))) <= 150:
                errors.append(f"{where}.options[{i}].value: must be 1 to 150 characters")
        if "initial_option" in e and e["initial_option"] not in options:
            errors.append(f"{where}.initial_option: must match an option")
    elif kind == "plain_text_input":
        if int(e.get("max_length", 3000)) > 3000:
            errors.append(f"{where}.max_length: must be at most 3000")
    elif kind not in ("datetimepicker", "datepicker", "timepicker", "overflow", "image"):
        errors.append(f"{where}: unsupported element type {kind!r}")


def check_blocks(blocks: Any, limit: int = 50) -> list[str]:
    """Slack's `invalid_blocks` reasons for `blocks` (empty when Slack would accept them)."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks: must be an array"]
    if len(blocks) > limit:
        errors.append(f"blocks: must be less than {limit + 1} items")
    ids: set[str] = set()
    for i, b in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = b.get("type")
        if "block_id" in b:
            if len(b["block_id"]) > 255 or b["block_id"] in ids:
                errors.append(f"{where}.block_id: must be unique and under 256 characters")
            ids.add(b["block_id"])
        if kind == "header":
            _text(errors, f"{where}.text", b.get("text"), 150, ("plain_text",))
        elif kind == "section":
            if "text" not in b and "fields" not in b:
                errors.append(f"{where}: must have text or fields")
            if "text" in b:
                _text(errors, f"{where}.text", b["text"], 3000, ("plain_text", "mrkdwn"))
            fields = b.get("fields", [])
            if len(fields) > 10:
                errors.append(f"{where}.fields: must be less than 11 items")
            for j, f in enumerate(fields):
                _text(errors, f"{where}.fields[{j}]", f, 2000, ("plain_text", "mrkdwn"))
            if "accessory" in b:
                _element(errors, f"{where}.accessory", b["accessory"])
        elif kind == "context":
            elements = b.get("elements") or []
            if not 1 <= len(elements) <= 10:
                errors.append(f"{where}.elements: must provide 1 to 10 items")
            for j, e in enumerate(elements):
                if e.get("type") != "image":
                    _text(errors, f"{where}.elements[{j}]", e, 3000, ("plain_text", "mrkdwn"))
        elif kind == "actions":
            elements = b.get("elements") or []
            if not 1 <= len(elements) <= 25:
                errors.append(f"{where}.elements: must provide 1 to 25 items")
            for j, e in enumerate(elements):
                _element(errors, f"{where}.elements[{j}]", e)
        elif kind == "input":
            _text(errors, f"{where}.label", b.get("label"), 2000, ("plain_text",))
            _element(errors, f"{where}.element", b.get("element") or {})
        elif kind != "divider":
            errors.append(f"{where}: unsupported block type {kind!r}")
    return errors


def check_view(view: dict[str, Any]) -> list[str]:
    errors = []
    if view.get("type") != "modal":
        errors.append("view.type: must be modal")
    for key in ("title", "submit", "close"):
        if key in view:
            _text(errors, f"view.{key}", view[key], 24, ("plain_text",))
    if len(view.get("private_metadata", "")) > 3000:
        errors.append("view.private_metadata: must be less than 3001 characters")
    errors.extend(check_blocks(view.get("blocks", []), limit=100))
    return errors
