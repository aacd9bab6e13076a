"""The SSRF guard and the pinned HTTP sender.

A target is checked when it is registered and again at every attempt: the host is resolved, every address must
be public, and the connection goes to the vetted address itself (Host header and TLS name stay the hostname),
so a DNS answer that changes between the check and the connect (rebinding) cannot reach an internal address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from oms_project.errors import InvalidInput
from webhooks.errors import WebhookTargetNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000
# Special ranges that Python's ipaddress (3.11) still counts as global.
NOT_GLOBAL = (
    ("site-local", ipaddress.ip_network("fec0::/10")),  # deprecated (RFC 3879), routed inside a site
    ("documentation", ipaddress.ip_network("3fff::/20")),  # RFC 9637
    ("IETF protocol assignment", ipaddress.ip_network("192.0.0.0/24")),  # RFC 6890
    ("6to4 relay anycast", ipaddress.ip_network("192.88.99.0/24")),  # deprecated (RFC 7526)
)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path + query, what goes on the request line
    addresses: tuple[str, ...]  # vetted addresses, in resolver order


def address_refusal(ip: IPAddress) -> str | None:
    """Why this address is not a public one, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_refusal(embedded)
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        # Anything else outside the global unicast space (shared 100.64/10, documentation ranges, ...).
        ("non-global", not ip.is_global),
        *((name, ip in network) for name, network in NOT_GLOBAL if network.version == ip.version),
    )
    return next((name for name, refused in checks if refused), None)


def is_public(target: Target) -> bool:
    """Whether every address of a vetted target is public (a private one passes only when
    ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` allows it)."""
    return all(address_refusal(ipaddress.ip_address(address)) is None for address in target.addresses)


def parse_url(url: str) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"The URL is not valid: {exc}.", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("The URL must start with http:// or https://.", field="url")
    if not parts.hostname:
        raise InvalidInput("The URL has no host.", field="url")
    if parts.username or parts.password:
        raise InvalidInput("The URL must not contain credentials.", field="url")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookTargetNotAllowed(f"The host {host!r} cannot be resolved ({exc}).", field="url") from None
    seen: dict[str, IPAddress] = {}
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(address, ipaddress.ip_address(address))
    return list(seen.values())


def check_target(url: str, *, allow_private: bool | None = None) -> Target:
    """Parse, resolve and vet a webhook URL; raises ``InvalidInput`` / ``WebhookTargetNotAllowed`` (field url)."""
    scheme, host, port, path = parse_url(url)
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookTargetNotAllowed(f"The host {host!r} has no address.", field="url")
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    if not allow_private:
        for ip in addresses:
            reason = address_refusal(ip)
            if reason:
                raise WebhookTargetNotAllowed(
                    f"The host {host!r} resolves to a {reason} address ({ip}); webhook targets must be public.",
                    field="url",
                )
    return Target(scheme, host, port, path, tuple(str(ip) for ip in addresses))


@dataclass(frozen=True)
class Response:
    status_code: int
    duration_ms: int
    body_excerpt: str


def _pinned(connection_class: type[http.client.HTTPConnection], address: str) -> type[http.client.HTTPConnection]:
    class Pinned(connection_class):  # type: ignore[valid-type, misc]
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            # Connect to the vetted address; HTTPSConnection still verifies the certificate for self.host.
            self._create_connection = lambda _addr, timeout, source: socket.create_connection(
                (address, self.port), timeout, source
            )

    return Pinned


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST once to the first vetted address; no redirects are followed (a 3xx is a failed attempt)."""
    if target.scheme == "https":
        connection_class = _pinned(http.client.HTTPSConnection, target.addresses[0])
        connection = connection_class(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = _pinned(http.client.HTTPConnection, target.addresses[0])(target.host, target.port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(500).decode("utf-8", "replace")
        return Response(response.status, int((time.monotonic() - started) * 1000), excerpt)
    finally:
        connection.close()
