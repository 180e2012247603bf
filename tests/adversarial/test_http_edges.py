"""The edges of the public port: captured signed requests reshaped, bodies no parser
can take, connections that never finish their headers. Each gets a clear refusal (4xx
or a closed connection), never a 500, and nothing forged is stored."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.bootstrap import App
from bot.http_server import HeaderTimeoutProtocol
from tests.adversarial.test_http_entry_points import (
    SLACK_SECRET,
    events,
    fake_slack,  # noqa: F401 - the fixture `world` needs
    message,
    twilio_post,
    world,  # noqa: F401 - the fixture
)
from tests.integration.slack.support import sign as slack_sign


def test_a_message_sid_with_a_field_folded_into_it_is_refused(
    world: tuple[App, TestClient],  # noqa: F811
) -> None:
    app, client = world
    form = message("5")
    # A captured signed form, re-cut so that "NumMedia=0" becomes part of the id: the
    # signature (over the concatenated name/value pairs) still matches.
    folded = {k: v for k, v in form.items() if k != "NumMedia"}
    folded["MessageSid"] = form["MessageSid"] + "NumMedia0"
    before = events(app)
    assert twilio_post(client, folded) == 400
    assert events(app) == before


@pytest.mark.parametrize(
    "sids",
    [
        {"MessageSid": "SM" + "A" * 32},  # Twilio's hex is lower case
        {"MessageSid": "XX" + "a" * 32},
        {"MessageSid": "SM" + "a" * 31},
        {"MessageSid": "SM" + "a" * 33},
        {"MessageSid": "SM" + "a" * 32, "SmsMessageSid": "SM" + "b" * 32},
        {"MessageSid": "SM" + "a" * 32, "SmsSid": "SM" + "b" * 32},
        {"MessageSid": " SM" + "a" * 32},
    ],
)
def test_malformed_or_disagreeing_message_ids_are_refused(
    world: tuple[App, TestClient],  # noqa: F811
    sids: dict[str, str],
) -> None:
    app, client = world
    before = events(app)
    assert twilio_post(client, {**message("5"), **sids}) == 400
    status = {**sids, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    assert twilio_post(client, status, path="/webhooks/whatsapp/status") == 400
    assert events(app) == before


def test_a_media_message_id_is_accepted(world: tuple[App, TestClient]) -> None:  # noqa: F811
    app, client = world
    sid = "MM" + "c" * 32
    before = events(app)
    assert twilio_post(client, {**message("hi"), "MessageSid": sid, "SmsMessageSid": sid}) == 200
    assert events(app) == before + 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[" * 30000 + b"]" * 30000),
        (
            "application/json",
            b'{"type":"event_callback","event":' + b"[" * 20000 + b"]" * 20000 + b"}",
        ),
        (
            "application/x-www-form-urlencoded",
            urlencode({"payload": "[" * 5000 + "]" * 5000}).encode(),
        ),
    ],
)
def test_a_signed_deeply_nested_slack_body_gets_400_not_500(
    world: tuple[App, TestClient],  # noqa: F811
    content_type: str,
    body: bytes,
) -> None:
    _, client = world
    headers = slack_sign(body, timestamp=int(time.time()), secret=SLACK_SECRET)
    response = client.post(
        "/slack/events", content=body, headers={"Content-Type": content_type, **headers}
    )
    assert 400 <= response.status_code < 500, response.text[:200]


def test_a_status_callback_is_recorded_once_per_status(
    world: tuple[App, TestClient],  # noqa: F811
) -> None:
    app, client = world
    sid = "SM" + "d" * 32
    form = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    before = events(app)
    for _ in range(3):  # Twilio retried
        assert twilio_post(client, form, path="/webhooks/whatsapp/status") == 200
    read = {**form, "MessageStatus": "read"}
    assert twilio_post(client, read, path="/webhooks/whatsapp/status") == 200
    assert events(app) == before + 2


class SlowHeaders(HeaderTimeoutProtocol):
    header_timeout = 0.3


@pytest.fixture
def tiny_server() -> Iterator[int]:
    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        Starlette(routes=[Route("/", hello)]),
        host="127.0.0.1",
        port=port,
        http=SlowHeaders,
        log_config=None,
        timeout_keep_alive=60,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def read_until_closed(sock: socket.socket) -> bytes:
    sock.settimeout(20)  # far beyond the header deadline: only a hang fails this
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_a_connection_that_never_finishes_its_headers_is_closed(tiny_server: int) -> None:
    with socket.create_connection(("127.0.0.1", tiny_server)) as silent:
        assert read_until_closed(silent) == b""  # nothing sent at all
    with socket.create_connection(("127.0.0.1", tiny_server)) as trickle:
        trickle.sendall(b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n")
        assert read_until_closed(trickle) == b""  # half a head, then nothing


def test_a_complete_request_is_answered_and_its_next_head_has_a_deadline_too(
    tiny_server: int,
) -> None:
    with socket.create_connection(("127.0.0.1", tiny_server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(20)
        first = b""
        while not first.endswith(b"hello"):
            chunk = sock.recv(4096)
            assert chunk, first
            first += chunk
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\nHo")  # the next request stalls mid-head
        assert read_until_closed(sock) == b""
