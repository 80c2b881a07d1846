"""What a service may open on a caller's behalf: source files, databases, web APIs, webhooks.

Locally the SDK acts for its own user on that user's machine, so every rule is ``None``
(anything). A server acts for any client, on its own host and network: it opens only what its
operator allowed with ``mlsteward server --source-root / --source-sql-url / --source-http-host
/ --webhook-host``, and an empty rule allows nothing. Without these rules a client could make
the server read its files, query its databases with its credentials or call internal URLs.

Matching:

* a file is allowed under a root folder, symlinks resolved (so none leads out);
* a database URL is allowed when its backend, host, port, database (and the user name, if the
  allowed URL names one) and query options equal an allowed URL's. Passwords are never
  compared nor shown;
* a web URL (``http``/``https``) is allowed when its host is listed: ``HOST`` allows any port,
  ``HOST:PORT`` only that one. Redirects are never followed, and every request of a paged API
  (next links included) is checked, not only the first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError

#: The server option behind each rule, named in refusals so a client knows whom to ask.
SOURCE_ROOT_OPTION = "--source-root"
SOURCE_SQL_OPTION = "--source-sql-url"
SOURCE_HTTP_OPTION = "--source-http-host"
WEBHOOK_OPTION = "--webhook-host"

_FILE_KINDS = ("csv", "parquet", "jsonl")
_DEFAULT_SQL_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433}
_WEB_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class OutboundAccess:
    """The operator's allow-lists; ``None`` allows anything (local use), ``()`` nothing."""

    source_roots: tuple[str, ...] | None = None
    source_sql_urls: tuple[str, ...] | None = None
    source_http_hosts: tuple[str, ...] | None = None
    webhook_hosts: tuple[str, ...] | None = None

    @property
    def restricted(self) -> bool:
        """True for a server's rules: its errors must not repeat what a source holds."""
        rules = (self.source_roots, self.source_sql_urls, self.source_http_hosts)
        return any(rule is not None for rule in (*rules, self.webhook_hosts))

    def validate(self) -> OutboundAccess:
        """Refuse malformed entries at start-up rather than at the first request."""
        for url in self.source_sql_urls or ():
            _parse_sql(url, f"{SOURCE_SQL_OPTION} value")
        for option, hosts in (
            (SOURCE_HTTP_OPTION, self.source_http_hosts),
            (WEBHOOK_OPTION, self.webhook_hosts),
        ):
            for host in hosts or ():
                _parse_host(host, option)
        return self


def within_roots(path: str | os.PathLike[str], roots: Iterable[str]) -> bool:
    """Whether ``path`` (symlinks resolved) is one of ``roots`` or lies below one."""
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def require_source(access: OutboundAccess, described: Mapping[str, Any]) -> None:
    """Refuse (403) a source description whose location the rules do not allow.

    A kind that opens nothing (an upload, an in-memory table) passes; one this module does
    not know is refused on a server, since it cannot tell what it would open.
    """
    kind, uri = described.get("kind"), described.get("uri")
    if kind in _FILE_KINDS:
        require_source_file(access, str(uri))
    elif kind == "sql":
        require_sql_url(access, str(uri))
    elif kind == "http":
        require_source_url(access, str(uri))
    elif kind not in ("memory", "upload") and access.restricted:
        raise PermissionDeniedError(f"This server does not open sources of kind {kind!r}")


def require_source_file(access: OutboundAccess, path: str) -> None:
    """Refuse a source file outside the allowed roots."""
    roots = access.source_roots
    if roots is None:
        return
    if "://" in path:  # readers may take a URL for a remote file system: only local paths
        raise PermissionDeniedError(
            f"This server reads source files only from its own {SOURCE_ROOT_OPTION} folders, "
            f"not from {path!r}"
        )
    if within_roots(path, roots):
        return
    raise PermissionDeniedError(
        f"This server reads source files only under its {SOURCE_ROOT_OPTION} folders "
        f"(allowed: {', '.join(roots) or 'none'}); {path!r} is outside them. Rebuild where "
        "the file is yours to read, or ask the operator to allow its folder."
    )


def require_sql_url(access: OutboundAccess, url: str) -> None:
    """Refuse a database URL that matches no allowed one (passwords are not compared)."""
    allowed = access.source_sql_urls
    if allowed is None:
        return
    parsed = _parse_sql(url, "The source's database URL")
    if any(_same_database(parsed, _parse_sql(entry, SOURCE_SQL_OPTION)) for entry in allowed):
        return
    shown = ", ".join(_safe_sql(entry) for entry in allowed) or "none"
    raise PermissionDeniedError(
        f"This server queries only the databases its operator allowed with {SOURCE_SQL_OPTION} "
        f"(allowed: {shown}); {_safe_sql(url)} is not one of them."
    )


def require_source_url(access: OutboundAccess, url: str) -> None:
    """Refuse a web API URL whose host is not allowed for sources."""
    _require_host(access.source_http_hosts, url, SOURCE_HTTP_OPTION, "reads web APIs")


def require_webhook(access: OutboundAccess, url: str) -> None:
    """Refuse a webhook URL whose host is not allowed for webhooks."""
    _require_host(access.webhook_hosts, url, WEBHOOK_OPTION, "calls webhooks")


def web_host_allowed(hosts: tuple[str, ...] | None, url: str | httpx.URL) -> bool:
    """Whether ``url`` is an http(s) URL on one of ``hosts`` (``None``: any host)."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    if parsed.scheme not in _WEB_PORTS or not parsed.host:
        return False
    if hosts is None:
        return True
    port = parsed.port or _WEB_PORTS[parsed.scheme]
    for entry in hosts:
        host, entry_port = _parse_host(entry, "host")
        if parsed.host == host and entry_port in (None, port):
            return True
    return False


def guarded_client(hosts: tuple[str, ...] | None, option: str, timeout_s: float) -> httpx.Client:
    """An httpx client that sends requests only to ``hosts`` and never follows redirects.

    Every request is checked, so a paged API whose next link leads elsewhere is refused
    (403) before anything is sent there.
    """
    return httpx.Client(
        transport=_HostGuard(hosts, option), timeout=timeout_s, follow_redirects=False
    )


class _HostGuard(httpx.HTTPTransport):
    """A transport that refuses requests to hosts outside the allow-list before sending."""

    def __init__(self, hosts: tuple[str, ...] | None, option: str) -> None:
        super().__init__()
        self._hosts = hosts
        self._option = option

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not web_host_allowed(self._hosts, request.url):
            # The URL may come from a response body (a next link): name only the option.
            raise PermissionDeniedError(
                f"A request led to a host this server may not contact (not in {self._option})"
            )
        return super().handle_request(request)


def _require_host(hosts: tuple[str, ...] | None, url: str, option: str, what: str) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidArgumentError(f"{url!r} must be an http(s) URL")
    if web_host_allowed(hosts, url):
        return
    try:
        host = httpx.URL(url).host or "?"
    except httpx.InvalidURL:
        raise InvalidArgumentError(f"{url!r} is not a valid URL") from None
    raise PermissionDeniedError(
        f"This server {what} only on hosts its operator allowed with {option} "
        f"(allowed: {', '.join(hosts or ()) or 'none'}); {host!r} is not one of them."
    )


def _parse_host(entry: str, option: str) -> tuple[str, int | None]:
    """``HOST`` or ``HOST:PORT`` (``[::1]:8080`` for IPv6) as a normalized (host, port)."""
    bad = InvalidArgumentError(f"{option} {entry!r} must be HOST or HOST:PORT")
    if not isinstance(entry, str) or not entry or any(ch in entry for ch in "/@?#"):
        raise bad
    try:
        parsed = httpx.URL(f"http://{entry}")
    except httpx.InvalidURL:
        raise bad from None
    if not parsed.host:
        raise bad
    explicit = entry.rsplit("]", 1)[-1] if entry.startswith("[") else entry
    return parsed.host, (parsed.port or 80) if ":" in explicit else None


def _parse_sql(url: str, what: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise InvalidArgumentError(f"{what} is not a valid database URL") from None


def _safe_sql(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "<not a database URL>"


def _same_database(url: sa.URL, entry: sa.URL) -> bool:
    backend = url.get_backend_name()
    if backend != entry.get_backend_name() or dict(url.query) != dict(entry.query):
        return False
    if entry.username is not None and url.username != entry.username:
        return False
    if backend == "sqlite":
        return _sqlite_file(url) == _sqlite_file(entry)
    default = _DEFAULT_SQL_PORTS.get(backend)
    return (
        (url.host or "").lower() == (entry.host or "").lower()
        and (url.port or default) == (entry.port or default)
        and url.database == entry.database
    )


def _sqlite_file(url: sa.URL) -> str:
    database = url.database
    if not database or database == ":memory:":
        return ":memory:"
    return os.path.realpath(database)
