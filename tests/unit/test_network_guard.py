"""The suite's guard against real network calls (tests/network_guard.py) refuses anything but
loopback, so a test that forgot to point a client at its local fake cannot pass."""

from __future__ import annotations

import socket

import pytest

from tests import network_guard


def test_a_connection_outside_localhost_is_refused_and_recorded() -> None:
    refused = pytest.raises(ConnectionRefusedError, match="may not reach the network")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, refused:
        sock.connect(("203.0.113.7", 443))  # TEST-NET-3: never routed
    with pytest.raises(ConnectionRefusedError):
        socket.getaddrinfo("api.twilio.com", 443)
    assert network_guard.violations == [
        "connect to 203.0.113.7:443",
        "name lookup of api.twilio.com",
    ]
    network_guard.violations.clear()  # recorded as expected: this test must not fail for it


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)
    assert network_guard.violations == []
