"""Which web hosts a server may call for a client (data APIs, webhooks), parsed once.

An entry is ``HOST`` (the URL scheme's default port: 80 for http, 443 for https),
``HOST:PORT`` (that port only) or ``HOST:*`` (any port); ``[::1]:8080`` for IPv6. Hosts are
compared as httpx normalizes them (lower case, IDNA), and only ``http``/``https`` URLs with
a host are ever called. A guarded client checks every request, so a paged API whose next
link leads elsewhere is refused before anything is sent there, and redirects are never
followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ANY_PORT = "*"


@dataclass(frozen=True)
class HostEntry:
    """One allowed host: ``port`` None means the scheme's default port."""

    host: str
    port: int | None
    any_port: bool = False

    def allows(self, target: WebTarget) -> bool:
        if target.host != self.host:
            return False
        if self.any_port:
            return True
        return target.port == (self.port or _DEFAULT_PORTS[target.scheme])


@dataclass(frozen=True)
class WebTarget:
    """An http(s) URL reduced to what the allow-list compares: scheme, host, port."""

    scheme: str
    host: str
    port: int


def web_target(url: str | httpx.URL) -> WebTarget | None:
    """The http(s) URL's scheme, host and port (the default one if none is given); None for
    anything else (another scheme, no host, not a URL)."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
        return None
    return WebTarget(parsed.scheme, parsed.host, parsed.port or _DEFAULT_PORTS[parsed.scheme])


def parse_host_entry(entry: str, option: str) -> HostEntry:
    """``HOST``, ``HOST:PORT`` or ``HOST:*`` as a :class:`HostEntry`; 400 when malformed."""
    bad = InvalidArgumentError(f"{option} {entry!r} must be HOST, HOST:PORT or HOST:*")
    if not isinstance(entry, str) or not entry or any(ch in entry for ch in "/@?#\\ \x00"):
        raise bad
    any_port = entry.endswith(":" + _ANY_PORT)
    text = entry.removesuffix(":" + _ANY_PORT) if any_port else entry
    try:
        parsed = httpx.URL(f"http://{text}")
    except httpx.InvalidURL:
        raise bad from None
    explicit = (text.rsplit("]", 1)[-1] if text.startswith("[") else text).partition(":")[2]
    if (
        not parsed.host
        or "*" in text
        or (explicit and not explicit.isdigit())
        or text.endswith(":")
    ):
        raise bad
    port = int(explicit) if explicit else None
    if port is not None and not 0 < port < 65536:
        raise bad
    return HostEntry(parsed.host, None if any_port else port, any_port)


@dataclass(frozen=True)
class WebHosts:
    """One allow-list (named by its server ``option``); ``entries`` None allows any host."""

    option: str
    entries: tuple[HostEntry, ...] | None

    @classmethod
    def parse(cls, option: str, hosts: Iterable[str] | None) -> WebHosts:
        if hosts is None:
            return cls(option, None)
        return cls(option, tuple(parse_host_entry(host, option) for host in hosts))

    def allows(self, url: str | httpx.URL) -> bool:
        """Whether ``url`` is an http(s) URL on an allowed host and port."""
        target = web_target(url)
        if target is None:
            return False
        return self.entries is None or any(entry.allows(target) for entry in self.entries)

    def require(self, url: str, *, noun: str, what: str) -> None:
        """Refuse a URL (``noun``: what it is for) that is not http(s) with a host (400) or
        not allowed here (403: the server ``what``).

        The refusal names the option to ask the operator for, never the allowed hosts.
        """
        target = web_target(url) if isinstance(url, str) else None
        if target is None:
            raise InvalidArgumentError(f"{noun} {url!r} is not a valid http(s) URL with a host")
        if self.entries is None or any(entry.allows(target) for entry in self.entries):
            return
        raise PermissionDeniedError(
            f"This server {what} only on hosts and ports its operator allowed with "
            f"{self.option}; {target.host}:{target.port} is not one of them."
        )

    def client(self, timeout_s: float) -> httpx.Client:
        """An httpx client that sends requests only where allowed, never following redirects."""
        return httpx.Client(transport=_HostGuard(self), timeout=timeout_s, follow_redirects=False)


class _HostGuard(httpx.HTTPTransport):
    """A transport that refuses (403) a request to a host outside the allow-list."""

    def __init__(self, hosts: WebHosts) -> None:
        super().__init__()
        self._hosts = hosts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._hosts.allows(request.url):
            # The URL may come from a response body (a next link): name only the option.
            raise PermissionDeniedError(
                f"A request led to a host this server may not contact (not in {self._hosts.option})"
            )
        return super().handle_request(request)
