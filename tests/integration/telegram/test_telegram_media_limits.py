"""Telegram files are fetched within one time limit and only when their declared size is
known and small enough. A local server plays the Bot API (TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from adapters.telegram.client import make_bot
from adapters.telegram.media import keep_media
from bot.bootstrap import App
from bot.db import session_scope
from bot.messages import Channel, Inbound, Media
from bot.models import Answer
from tests.conftest import add_contact, say
from tests.integration.test_survey_journey import start_campaign

TOKEN = "123456789:AAE-fake_token-for_media_limits"
CHAT = "735550001"

# Every test here gets an App built with the simulator (tests/conftest.py `senders`).
pytestmark = pytest.mark.usefixtures("simulator")


class BotApi:
    """getFile answers after `delay` seconds with `file_size`; files are small JPEGs."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.file_size: int | None = 2048
        self.downloads = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(api.delay)
                result: dict[str, Any] = {
                    "file_id": "f1",
                    "file_unique_id": "u1",
                    "file_path": "photos/f1.jpg",
                }
                if api.file_size is not None:
                    result["file_size"] = api.file_size
                self._send(json.dumps({"ok": True, "result": result}).encode(), "application/json")

            def do_GET(self) -> None:  # noqa: N802
                api.downloads += 1
                self._send(b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")

            def _send(self, body: bytes, kind: str) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def slow_api() -> Iterator[BotApi]:
    api = BotApi()
    yield api
    api.httpd.shutdown()
    api.httpd.server_close()


def photo_answer(app: App) -> Inbound:
    """The app is built with the simulator (`pytestmark`): the survey's own messages
    stay in process, the photo is fetched from `slow_api`."""
    add_contact(app, CHAT, channel=Channel.TELEGRAM)
    start_campaign(app)
    for text in ("4", "3", "damaged", "fine"):
        say(app, CHAT, text, channel=Channel.TELEGRAM)
    inbound = Inbound(
        channel=Channel.TELEGRAM,
        address=CHAT,
        external_id="900001",
        media=(Media("tg-file:f1", "image/jpeg"),),
    )
    assert app.intake.receive(inbound)
    return inbound


def kept(app: App, slow_api: BotApi, inbound: Inbound, total: float = 30.0) -> int:
    settings = app.settings.model_copy(
        update={"telegram_api_url": slow_api.url, "telegram_bot_token": SecretStr(TOKEN)}
    )

    async def run() -> int:
        return await keep_media(app, make_bot(settings), inbound, total_seconds=total)

    return asyncio.run(run())


def stored(app: App) -> Any:
    with session_scope(app.engine) as session:
        photo = session.exec(select(Answer).where(Answer.question_id == "photo")).one()
    return photo.media[0].get("stored_at")


def test_a_photo_within_the_limits_is_kept(app: App, slow_api: BotApi) -> None:
    inbound = photo_answer(app)
    assert kept(app, slow_api, inbound) == 1
    assert Path(stored(app)).is_file()


def test_a_bot_api_that_does_not_answer_in_time_is_given_up(app: App, slow_api: BotApi) -> None:
    inbound = photo_answer(app)
    slow_api.delay = 3.0
    assert kept(app, slow_api, inbound, total=0.3) == 0
    assert stored(app) is None and slow_api.downloads == 0


@pytest.mark.parametrize("size", [None, 10**9])
def test_a_file_of_unknown_or_excessive_size_is_not_downloaded(
    app: App, slow_api: BotApi, size: int | None
) -> None:
    inbound = photo_answer(app)
    slow_api.file_size = size
    assert kept(app, slow_api, inbound) == 0
    assert stored(app) is None and slow_api.downloads == 0
