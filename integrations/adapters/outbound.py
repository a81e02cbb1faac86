"""Where sources may connect: public addresses only, unless an administrator allows a network.

A source's URL, its redirects and its paging links all come from people or systems outside
Koban, so every connection is vetted where it is made: the transport resolves the host itself,
refuses loopback, private, link-local, multicast, unspecified and reserved addresses (also when
wrapped in IPv6: IPv4-mapped, 6to4, Teredo, NAT64), then connects to the address it checked, so
a second DNS answer cannot rebind the name to an internal address. TLS still verifies the name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The host resolves to an address sources may not reach. Deliberately not an httpcore
    error, so it passes through httpx unchanged and is never retried as a network failure."""

    def __init__(self, host: str) -> None:
        super().__init__(f"refused: {host} resolves to a non-public address")
        self.host = host


def allowed_networks() -> list[Network]:
    """KOBAN_SOURCES_ALLOWED_NETWORKS (validated at start-up; re-read so tests can change it)."""
    return [
        ipaddress.ip_network(str(net), strict=False)
        for net in settings.KOBAN_SOURCES_ALLOWED_NETWORKS
    ]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (::ffff:a.b.c.d, 2002:…, Teredo, 64:ff9b::)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """A globally routed unicast address (and so is any IPv4 address it wraps)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public(inner):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


def is_permitted(ip: IPAddress, allowed: Iterable[Network] | None = None) -> bool:
    """Public, or inside a network the administrator allowed."""
    networks = list(allowed_networks() if allowed is None else allowed)
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    for candidate in candidates:
        if any(candidate.version == net.version and candidate in net for net in networks):
            return True
    return is_public(ip)


def vetted_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in resolver order, if all are permitted.

    One non-permitted answer refuses the host (a name that resolves to both a public and an
    internal address is refused). Resolution failures are connection errors, like a refused
    port, so the two cannot be told apart.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise httpcore.ConnectError(str(exc)) from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise httpcore.ConnectError("no address")
    networks = allowed_networks()
    for address in addresses:
        if not is_permitted(ipaddress.ip_address(address.split("%", 1)[0]), networks):
            raise AddressRefused(host)
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to vetted addresses of the host."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in vetted_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("sources never connect to local sockets")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guarded backend: no proxy, the host name kept for the Host
    header, TLS SNI and certificate checks, the connection made to the checked address."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # HTTPTransport takes no network backend: replace its pool by the same pool with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=httpx.Limits().max_connections,
            max_keepalive_connections=httpx.Limits().max_keepalive_connections,
            keepalive_expiry=httpx.Limits().keepalive_expiry,
            network_backend=GuardedBackend(),
        )
