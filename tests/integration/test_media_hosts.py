"""Media is fetched only from the platforms' own hosts, within one time and size limit.
A local HTTP server plays Twilio (TWILIO_API_URL points at it) and its storage."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adapters.whatsapp.media import MediaFetcher
from bot.messages import Channel, Inbound, Media
from bot.settings import Settings

JPEG = b"\xff\xd8\xff\xe0 a jpeg"


class Server:
    """Serves /photo, /slow (trickles forever), /big, /to/<url> (a redirect to <url>)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.paths.append(self.path)
                if self.path.startswith("/to/"):
                    self.send_response(307)
                    self.send_header("Location", self.path.removeprefix("/to/"))
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                if self.path == "/photo":
                    self.send_header("Content-Length", str(len(JPEG)))
                    self.end_headers()
                    self.wfile.write(JPEG)
                    return
                self.end_headers()  # no length: the size is only known by reading
                chunk = b"x" * (64 if self.path == "/slow" else 4096)
                try:
                    for _ in range(10_000):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if self.path == "/slow":
                            time.sleep(0.05)
                except OSError:
                    pass  # the client gave up

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def fetch(server: Server, tmp_path: Path, url: str, total: float = 30.0) -> Path | None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        twilio_api_url=server.url(""),
        media_dir=str(tmp_path / "media"),
        media_max_bytes=64 * 1024,
    )
    fetcher = MediaFetcher(settings, total_seconds=total)
    inbound = Inbound(channel=Channel.WHATSAPP, address="+12125550101", external_id="MM1")
    return asyncio.run(fetcher.download(inbound, 0, Media(url, "image/jpeg")))


def test_media_on_the_configured_twilio_host_is_kept(server: Server, tmp_path: Path) -> None:
    path = fetch(server, tmp_path, server.url("/photo"))
    assert path is not None and path.read_bytes() == JPEG


def test_media_on_any_other_host_is_never_requested(server: Server, tmp_path: Path) -> None:
    # Same machine, another host name: a signed webhook cannot aim the server anywhere.
    assert fetch(server, tmp_path, server.url("/photo", host="localhost")) is None
    assert fetch(server, tmp_path, "file:///etc/passwd") is None
    assert server.paths == []


def test_a_redirect_to_another_host_is_not_followed(server: Server, tmp_path: Path) -> None:
    elsewhere = server.url("/photo", host="localhost")
    assert fetch(server, tmp_path, server.url(f"/to/{elsewhere}")) is None
    assert server.paths == [f"/to/{elsewhere}"]
    within = server.url("/photo")
    assert fetch(server, tmp_path, server.url(f"/to/{within}")) is not None


def test_a_download_that_never_ends_is_cut_at_the_time_limit(
    server: Server, tmp_path: Path
) -> None:
    assert fetch(server, tmp_path, server.url("/slow"), total=0.5) is None
    assert not (tmp_path / "media").exists()


def test_a_file_over_the_size_limit_is_not_kept(server: Server, tmp_path: Path) -> None:
    assert fetch(server, tmp_path, server.url("/big")) is None
