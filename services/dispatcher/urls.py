"""Safe webhook URLs (OWASP API7, server-side request forgery).

A URL is refused when its host is, or resolves to, a loopback, link-local, private, shared,
reserved, multicast or unspecified address, unless the operator allow-list permits it.
`CROSSLINK_WEBHOOK_ALLOW` is comma-separated; each entry is a host name (exact, case-insensitive,
e.g. `hooks.internal`) or an IP address / CIDR (`127.0.0.1`, `10.0.0.0/8`, `::1`). A host name
entry permits whatever that name resolves to; a CIDR permits the addresses inside it. Redirects
are never followed (a 3xx answer counts as a failed delivery), and the check runs again before
every delivery, so a name re-pointed at a private address later is refused then too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = ["AllowList", "UnsafeUrl", "check_url"]


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: list[str]) -> AllowList:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not entry or any(c in entry for c in "/:@ "):
                    raise ValueError(
                        f"CROSSLINK_WEBHOOK_ALLOW entry '{entry}' is neither a host name nor an "
                        "IP address/CIDR; expected e.g. 'hooks.internal,127.0.0.1/32,10.0.0.0/8'"
                    ) from None
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrl(f"host '{host}' does not resolve ({exc.strerror or exc})") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check_url(url: str, allow: AllowList) -> None:
    """Raise UnsafeUrl unless `url` is http(s) and every address of its host is public or
    permitted by the allow-list."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"scheme '{parts.scheme}' is not accepted; use http or https")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeUrl("the URL has no host; expected e.g. 'https://hooks.example.eu/crosslink'")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL may not carry credentials; authenticate with the signature")
    if host in allow.hosts:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    refused = [a for a in addresses if not _is_public(a) and not allow.permits(a)]
    if refused or not addresses:
        shown = refused[0] if refused else "nothing"
        raise UnsafeUrl(
            f"host '{host}' resolves to {shown}, a loopback, link-local or private address; "
            "webhooks go to public addresses only (operators may allow hosts with "
            "CROSSLINK_WEBHOOK_ALLOW)"
        )
