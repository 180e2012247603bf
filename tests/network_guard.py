"""No test reaches the outside world.

Settings default to the real APIs (api.twilio.com, slack.com, api.openai.com...): a test
that forgot to point one at its local fake would quietly call it. `install()` checks every
connection and every name lookup at the socket level; anything but loopback is refused
and recorded, and tests/conftest.py fails the test afterwards, even if the code under
test swallowed the error. One module, so the patch and the record exist once however
conftest is imported.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

violations: list[str] = []
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    violations.append(what)
    return ConnectionRefusedError(f"tests may not reach the network: {what}")


def _checked_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise _refuse(f"connect to {address[0]}:{address[1]}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _checked_address(self, address)
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _checked_address(self, address)
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _is_local(name):
        raise _refuse(f"name lookup of {name}")
    return _getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
