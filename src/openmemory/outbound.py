"""Outbound HTTP: which addresses OpenMemory may fetch from, and the httpx client that enforces it.

Every URL the process fetches (an OpenAI-compatible or Ollama embedder, an importer's source service) goes
through ``OutboundPolicy.client()``. For each request the transport

* resolves the host once and checks every address it resolves to (IPv4-mapped, 6to4 and Teredo IPv6 are
  checked as the IPv4 address they carry): private, loopback, link-local (the cloud metadata service
  169.254.169.254), shared, unspecified, multicast and reserved addresses are refused unless the host or the
  address is listed in ``OM_OUTBOUND_ALLOW``;
* connects to the address it checked (TLS still verifies the certificate against the host name), so a second
  DNS answer cannot swap in another address (DNS rebinding);
* never follows a redirect: a 3xx is refused with the target named, so a server cannot bounce a request into
  the private network;
* cuts the response at ``max_response_bytes`` and the whole exchange at ``timeout_s``.

Refusals raise ``OutboundRefused`` with a sentence naming the host, the address and the setting to change.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from openmemory.errors import OutboundRefused

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT_S = 60.0
ALLOW_EVERYTHING = "*"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, as a connection would use it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _carried(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or Teredo IPv6 address reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
    return None


def _shown(address: Address) -> str:
    carried = _carried(address)
    return f"{address}, which is {carried}" if carried is not None else str(address)


def is_public(address: Address) -> bool:
    """True for an address on the public internet; False for anything private, local or special-purpose."""
    carried = _carried(address)
    if carried is not None:
        return is_public(carried)
    return address.is_global and not (
        address.is_multicast or address.is_unspecified or address.is_reserved or address.is_link_local
    )


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound requests may go, and how much they may take.

    ``allow`` holds host names (``localhost``, ``ollama.internal``), addresses and CIDR blocks (``10.0.0.0/8``)
    that may be reached although they are private; ``"*"`` turns the address check off. ``resolver`` is the
    DNS boundary (tests replace it to make a public-looking name resolve to 127.0.0.1).
    """

    allow: tuple[str, ...] = ()
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S
    resolver: Resolver = resolve
    _hosts: frozenset[str] = field(init=False, repr=False)
    _networks: tuple[Network, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in (e.strip() for e in self.allow):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        object.__setattr__(self, "_hosts", frozenset(hosts))
        object.__setattr__(self, "_networks", tuple(networks))

    @classmethod
    def parse(cls, allow: str | None, *more: str, **options: Any) -> OutboundPolicy:
        """A policy from a comma-separated allow list (``OM_OUTBOUND_ALLOW``) plus ``more`` entries."""
        entries = [e for e in (allow or "").split(",") if e.strip()] + [e for e in more if e.strip()]
        return cls(allow=tuple(entries), **options)

    @property
    def allows_everything(self) -> bool:
        return ALLOW_EVERYTHING in self._hosts

    def is_allowed(self, host: str, address: Address) -> bool:
        return (
            self.allows_everything
            or is_public(address)
            or host.lower().rstrip(".") in self._hosts
            or any(address in network for network in self._networks)
        )

    def address_for(self, host: str, port: int) -> str:
        """The address to connect to for ``host``: every address it resolves to must be allowed.

        Raises OutboundRefused naming the first refused address; httpx.ConnectError when it does not resolve.
        """
        host = host.strip("[]")
        addresses = self.resolver(host, port)
        if not addresses:
            raise httpx.ConnectError(f"cannot resolve {host}")
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not self.is_allowed(host, address):
                raise OutboundRefused(self.refusal(host, _shown(address)))
        return addresses[0]

    def check_literal(self, url: str, setting: str) -> None:
        """At start-up, refuse a configured URL whose host is an address or ``localhost`` that would be refused
        (no DNS lookup: a name is checked on each request). ``setting`` names the variable holding the URL."""
        host = (httpx.URL(url).host or "").lower()
        literal = "127.0.0.1" if host in ("localhost", "localhost.localdomain") else host
        try:
            address = ipaddress.ip_address(literal.strip("[]"))
        except ValueError:
            return
        if not self.is_allowed(host, address):
            raise OutboundRefused(f"{setting}: {self.refusal(host, _shown(address))}")

    def refusal(self, host: str, address: str) -> str:
        shown = host if host == address else f"{host} ({address})"
        return (
            f"refusing an outbound request to {shown}: a private, loopback or link-local address. If this "
            f"server is yours, allow it with OM_OUTBOUND_ALLOW={host} (hosts, addresses or CIDR blocks, "
            f"comma-separated; `opm import` also takes --allow-host {host})"
        )

    def client(self, *, transport: httpx.BaseTransport | None = None, **options: Any) -> httpx.Client:
        """An httpx.Client whose every request obeys this policy (``options`` go to httpx.Client)."""
        options.setdefault("timeout", self.timeout_s)
        guarded = GuardedTransport(self, transport or httpx.HTTPTransport())
        return httpx.Client(transport=guarded, follow_redirects=False, **options)


class GuardedTransport(httpx.BaseTransport):
    """Checks the destination of each request, connects to the checked address and caps the answer."""

    def __init__(self, policy: OutboundPolicy, inner: httpx.BaseTransport) -> None:
        self._policy = policy
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise OutboundRefused(f"refusing an outbound request to {url}: only http and https URLs are fetched")
        deadline = time.monotonic() + self._policy.timeout_s
        address = self._policy.address_for(url.host, url.port or _DEFAULT_PORTS[url.scheme])
        pinned = _pinned(request, address)
        response = self._inner.handle_request(pinned)
        if response.is_redirect:
            response.close()
            target = response.headers.get("location", "?")
            raise OutboundRefused(
                f"{url.host} answered HTTP {response.status_code} redirecting to {target}; redirects are not "
                f"followed (so a server cannot send a request into a private network): configure the final URL"
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._policy.max_response_bytes:
            response.close()
            raise OutboundRefused(self._too_large(url.host))
        stream = _CappedStream(response.stream, self._policy.max_response_bytes, deadline, self, url.host)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
        )

    def close(self) -> None:
        self._inner.close()

    def _too_large(self, host: str) -> str:
        limit = self._policy.max_response_bytes
        return f"the answer from {host} is larger than {limit} bytes (OM_OUTBOUND_MAX_BYTES); it was cut off"

    def _too_slow(self, host: str) -> str:
        return f"the answer from {host} took longer than {self._policy.timeout_s:g} s in total; it was cut off"


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """``request`` sent to ``address`` instead of its host name; the Host header and TLS name stay the host's."""
    if request.url.host == address:
        return request
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = request.url.host
    return httpx.Request(
        request.method, request.url.copy_with(host=address), headers=request.headers, stream=request.stream,
        extensions=extensions,
    )  # fmt: skip


class _CappedStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, limit: int, deadline: float, transport: GuardedTransport, host: str) -> None:
        self._inner = inner
        self._limit = limit
        self._deadline = deadline
        self._transport = transport
        self._host = host

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise OutboundRefused(self._transport._too_large(self._host))
            if time.monotonic() > self._deadline:
                raise OutboundRefused(self._transport._too_slow(self._host))
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def allow_entries(values: Iterable[str] | None) -> tuple[str, ...]:
    """Flatten repeated and comma-separated allow entries (``--allow-host a,b --allow-host c``)."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())
