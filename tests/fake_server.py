"""The plumbing every local fake of a platform API shares: an HTTP server on a free
loopback port, served from a daemon thread, stopped and closed cleanly.

A fake keeps its own routes (a BaseHTTPRequestHandler subclass) and state; it owns a
`LocalServer(Handler)` for the rest:

    self._http = LocalServer(Handler)
    self._http.start()   # -> "http://127.0.0.1:PORT"
    self._http.stop()
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BurstServer(ThreadingHTTPServer):
    """Accepts a burst of connections at once (SDK clients with many in flight): the
    default listen backlog of 5 makes the kernel reset the rest."""

    request_queue_size = 128


class LocalServer:
    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        server_class: type[ThreadingHTTPServer] = BurstServer,
        poll_interval: float = 0.05,
    ) -> None:
        # Bound at once, so the URL is known before the first request.
        self.server = server_class(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )
        self._started = False

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        if not self._started:
            self._started = True
            self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._started:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._started = False
        self.server.server_close()
