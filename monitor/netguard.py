"""The SSRF guard: a URL that comes from content or from a user may only reach the public internet.

Only http(s); after DNS resolution no loopback, private, link-local, multicast, reserved or unspecified
address; checked again on every redirect. An operator allow-list (`fetch.allow_hosts`: `host`,
`host:port` or a network like `10.0.0.0/8`) lets chosen internal hosts through, as tests do.

    guard = UrlGuard(allow=("127.0.0.1:8080",))
    await guard.check("http://169.254.169.254/latest/meta-data")   # raises SourceError
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from monitor.errors import SourceError
from monitor.hygiene import clean_line

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(SourceError):
    """A URL refused because its host is (or resolves to) an internal address: the operator's allow-list
    (`fetch.allow_hosts`) may let it through."""

Resolver = Callable[[str, int], Awaitable[list[str]]]


def blocked_reason(ip: Address) -> str | None:
    """Say why an address must not be reached from content ("loopback", ...), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if not ip.is_global:  # shared (100.64/10), benchmarking, documentation ranges
        return "non-global"
    return None


def split_url(url: str) -> tuple[str, str, int]:
    """Return (scheme, host, port) of an http(s) URL; raise SourceError for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SourceError(f"refused URL {shown(url)}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(f"refused URL {shown(url)}: only http and https may be fetched")
    if not parts.hostname:
        raise SourceError(f"refused URL {shown(url)}: no host")
    return scheme, parts.hostname.lower().rstrip("."), port or (443 if scheme == "https" else 80)


def shown(url: str, limit: int = 120) -> str:
    """The URL as safe to show in an error: one line, no controls, capped."""
    text = clean_line(url)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UrlGuard:
    """Check URLs against the address rules and the operator's allow-list."""

    def __init__(self, allow: Sequence[str] = (), resolver: Resolver | None = None) -> None:
        self._hosts = {a.strip().lower() for a in allow if a.strip() and "/" not in a}
        self._networks = [ipaddress.ip_network(a.strip(), strict=False) for a in allow if "/" in a]
        self._resolve = resolver or resolve

    def allowed(self, host: str, port: int) -> bool:
        """Tell whether the operator let this host (or host:port) through."""
        return host in self._hosts or f"{host}:{port}" in self._hosts

    async def check(self, url: str) -> list[str]:
        """Raise SourceError unless `url` is http(s) and every address its host resolves to is public.

        Return the addresses vetted (for the caller to connect to exactly those, so that a second DNS
        answer cannot differ), or [] when the operator's allow-list names the host.
        """
        _, host, port = split_url(url)
        if self.allowed(host, port):
            return []
        literal = _ip(host)
        addresses: list[Address | None] = (
            [literal] if literal is not None else [_ip(a) for a in await self._addresses(url, host, port)])
        self._judge(url, host, addresses)
        return [str(ip) for ip in addresses]

    def refusal(self, url: str) -> str | None:
        """Why a user's webhook URL may not be used (it points inside), with how an operator lets it through, or
        None; one that does not resolve now is checked again at each send."""
        try:
            self.check_blocking(url)
        except BlockedAddress as exc:
            _, host, port = split_url(url)
            return (f"{str(exc).split(': ', 1)[-1]}; to allow it, add {host}:{port} to fetch.allow_hosts in the "
                    "settings file or to RIGHTS_MONITOR_ALLOW_HOSTS")
        except SourceError as exc:
            return None if str(exc).startswith("DNS lookup failed") else str(exc).split(": ", 1)[-1]
        return None

    def check_blocking(self, url: str) -> None:
        """`check` for synchronous callers (notifiers posting to a user-given webhook URL)."""
        _, host, port = split_url(url)
        if self.allowed(host, port):
            return
        literal = _ip(host)
        if literal is not None:
            return self._judge(url, host, [literal])
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise SourceError(f"DNS lookup failed for {host}") from exc
        self._judge(url, host, [_ip(str(info[4][0]).split("%", 1)[0]) for info in infos])

    def _judge(self, url: str, host: str, addresses: list[Address | None]) -> None:
        for ip in addresses:
            if ip is None:
                raise SourceError(f"refused URL {shown(url)}: {host} resolves to something that is not an address")
            if any(ip in net for net in self._networks):
                continue
            reason = blocked_reason(ip)
            if reason:
                raise BlockedAddress(f"refused URL {shown(url)}: {host} is a {reason} address ({ip})")

    async def _addresses(self, url: str, host: str, port: int) -> list[str]:
        try:
            found = await self._resolve(host, port)
        except OSError as exc:
            raise SourceError(f"DNS lookup failed for {host}") from exc
        if not found:
            raise SourceError(f"DNS lookup failed for {host}")
        return found


async def resolve(host: str, port: int) -> list[str]:
    """Return every address `host` resolves to."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def _ip(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def same_origin(a: str, b: str) -> bool:
    """Tell whether two URLs share scheme, host and port (a redirect within a trusted origin stays trusted)."""
    try:
        return split_url(a) == split_url(b)
    except SourceError:
        return False
