"""Whose address a request is: the peer's, or what a trusted proxy says the client's is; never what a client says."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from soporte.platform.http import client_address, trusted_networks

PROXIES = trusted_networks("127.0.0.1, 10.0.0.0/8 ,::1")


def request_from(peer: str, *forwarded_for: str):
    headers = [("X-Forwarded-For", value) for value in forwarded_for]
    return make_mocked_request("GET", "/", headers=headers, transport=_Transport(peer))


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default=None):
        return (self.peer, 40000) if name == "peername" else default


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.7", (), "203.0.113.7"),
        ("203.0.113.7", ("198.51.100.1",), "203.0.113.7"),  # not a proxy of ours: its header is the client's word
        ("127.0.0.1", ("198.51.100.1",), "198.51.100.1"),
        ("127.0.0.1", ("6.6.6.6, 198.51.100.1, 10.1.2.3",), "198.51.100.1"),  # a forged first hop is passed over
        ("127.0.0.1", ("6.6.6.6", "198.51.100.1"), "198.51.100.1"),  # several headers read as one list
        ("127.0.0.1", (), "127.0.0.1"),
        ("::1", ("2001:db8::5",), "2001:db8::5"),
    ],
)
def test_the_client_is_the_last_hop_no_trusted_proxy_wrote(peer, forwarded_for, client):
    assert client_address(request_from(peer, *forwarded_for), PROXIES) == client


def test_nothing_is_trusted_when_no_proxy_is_named():
    assert client_address(request_from("127.0.0.1", "198.51.100.1"), trusted_networks("")) == "127.0.0.1"
