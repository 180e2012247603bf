"""How `postlive serve` runs uvicorn: the HTTP edges a public webhook port needs.

uvicorn closes idle keep-alive connections but sets no deadline on a connection that
never finishes its request headers, so a thousand half-open connections would hold a
thousand file descriptors for ever. `HeaderTimeoutProtocol` closes a connection whose
request headers are not complete within `HEADER_TIMEOUT` seconds; the body has its own
deadline in the app (bot.web.BodyLimit, 408); `limit_concurrency` answers 503 beyond
HTTP_MAX_CONNECTIONS connections and requests; headers are capped at 16 KiB. A reverse
proxy in front (docs/scaling.md has an nginx example) is still the first line.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.settings import Settings

try:  # uvicorn[standard]: the C parser, several times faster than h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - without httptools
    _Base = H11Protocol  # type: ignore[assignment,misc]

#: Seconds a client has to send its request line and headers.
HEADER_TIMEOUT = 10.0
#: Largest request head (request line + headers) accepted.
MAX_HEAD_BYTES = 16 * 1024


class HeaderTimeoutProtocol(_Base):
    """uvicorn's HTTP protocol, plus a deadline for each request's headers."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is None or self.cycle.response_complete:
            self._arm()  # part of the next request's head: it has the same deadline
        else:
            self._disarm()  # headers complete; the app's BodyLimit times the body

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_timeout, self._too_slow, self.cycle
            )

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self, cycle_when_armed: object) -> None:
        self._header_timer = None
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self.cycle is cycle_when_armed and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Options for `uvicorn.run` shared by one-process and `--workers N` serving."""
    return {
        "http": HeaderTimeoutProtocol,
        "loop": "auto",  # uvloop when installed
        "limit_concurrency": settings.http_max_connections,
        "timeout_keep_alive": settings.http_keepalive_seconds,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "log_config": None,
        "access_log": False,
    }
