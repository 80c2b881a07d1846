"""What a service may open on a caller's behalf: files, databases, web APIs, webhooks.

Locally the SDK acts for its own user on that user's machine: :meth:`OutboundAccess.unrestricted`
allows anything. A server acts for any client, on its own host and network: it opens only
what its operator allowed with ``mlsteward server --source-root / --source-sql-url /
--source-http-host / --webhook-host / --monitor-data-root``, and an empty rule allows
nothing (``OutboundAccess()`` allows nothing at all). Without these rules a client could
make the server read its files, query its databases with its credentials or call internal
URLs. Entries are checked and parsed when the object is made, so a malformed one stops a
server at start-up, and refusals name the option to ask the operator for, never what it
allows.

Matching:

* a file is allowed under a root folder, symlinks resolved (so none leads out);
* a database URL is allowed when its backend, user name, host, port, database and query
  options equal an allowed URL's (a SQLite file: the same file). Each allowed server database
  names its user, so the operator, not the client, picks the role. Passwords are never
  compared nor shown. Only backends where a source query is sure to only read are accepted
  (see :mod:`mlsteward.engines.data.sources.sql_read_only`);
* a web URL: see :mod:`mlsteward.services.web_hosts` (``HOST`` is the default port).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.domain.redaction import redact_url
from mlsteward.engines.data.sources.sql_read_only import READ_ONLY_BACKENDS
from mlsteward.services.web_hosts import WebHosts

#: The server option behind each rule, named in refusals so a client knows whom to ask.
SOURCE_ROOT_OPTION = "--source-root"
SOURCE_SQL_OPTION = "--source-sql-url"
SOURCE_HTTP_OPTION = "--source-http-host"
WEBHOOK_OPTION = "--webhook-host"
MONITOR_ROOT_OPTION = "--monitor-data-root"

_FILE_KINDS = ("csv", "parquet", "jsonl")
_DEFAULT_SQL_PORTS = {"postgresql": 5432}

Roots = tuple[str, ...] | None
#: The allow-list fields, as given (``None``: anything; a tuple: only these).
_RULES = (
    "source_roots",
    "source_sql_urls",
    "source_http_hosts",
    "webhook_hosts",
    "monitor_data_roots",
)


@dataclass(frozen=True)
class OutboundAccess:
    """The operator's allow-lists; ``None`` allows anything (local use), ``()`` nothing.

    Every rule defaults to nothing: a context must ask for :meth:`unrestricted` explicitly.
    """

    source_roots: Roots = ()
    source_sql_urls: tuple[str, ...] | None = ()
    source_http_hosts: tuple[str, ...] | None = ()
    webhook_hosts: tuple[str, ...] | None = ()
    monitor_data_roots: Roots = ()
    #: The parsed forms, made once here (never per request).
    source_http: WebHosts = field(init=False, repr=False, compare=False)
    webhooks: WebHosts = field(init=False, repr=False, compare=False)
    source_sql: tuple[sa.URL, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Normalize lists to tuples and refuse malformed entries (400) before any request."""
        for name in _RULES:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        for option, roots in (
            (SOURCE_ROOT_OPTION, self.source_roots),
            (MONITOR_ROOT_OPTION, self.monitor_data_roots),
        ):
            for root in roots or ():
                if not isinstance(root, str) or not root or "\x00" in root:
                    raise InvalidArgumentError(f"{option} {root!r} is not a folder path")
        object.__setattr__(
            self, "source_http", WebHosts.parse(SOURCE_HTTP_OPTION, self.source_http_hosts)
        )
        object.__setattr__(self, "webhooks", WebHosts.parse(WEBHOOK_OPTION, self.webhook_hosts))
        sql = self.source_sql_urls
        object.__setattr__(self, "source_sql", None if sql is None else tuple(map(_sql_entry, sql)))

    @classmethod
    def unrestricted(cls) -> OutboundAccess:
        """Anything: the local SDK acting for its own user on that user's machine."""
        return cls(None, None, None, None, None)

    @property
    def restricted(self) -> bool:
        """True under any server rule: errors then never repeat what a source holds."""
        return any(getattr(self, name) is not None for name in _RULES)


def within_roots(path: str | os.PathLike[str], roots: Iterable[str]) -> bool:
    """Whether ``path`` (symlinks resolved) is one of ``roots`` or lies below one."""
    real = os.path.realpath(_path_text(path))
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def require_source(access: OutboundAccess, described: Mapping[str, Any]) -> None:
    """Refuse a source description whose location the rules do not allow (403), or that
    cannot be a location at all (400).

    A kind that opens nothing (an upload, an in-memory table) passes; one this module does
    not know is refused on a server, since it cannot tell what it would open.
    """
    kind, uri = described.get("kind"), described.get("uri")
    if isinstance(uri, str) and "\x00" in uri:
        raise InvalidArgumentError("A source location may not contain a NUL character")
    if kind in _FILE_KINDS:
        require_source_file(access, str(uri))
    elif kind == "sql":
        require_sql_url(access, str(uri))
    elif kind == "http":
        access.source_http.require(str(uri), noun="Web API", what="reads web APIs")
    elif kind not in ("memory", "upload") and access.restricted:
        raise PermissionDeniedError(f"This server does not open sources of kind {kind!r}")


def require_source_file(access: OutboundAccess, path: str) -> None:
    """Refuse a source file outside the ``--source-root`` folders."""
    _require_file(
        access.source_roots,
        path,
        SOURCE_ROOT_OPTION,
        "source files",
        "Rebuild where the file is yours to read, or ask the operator to allow its folder.",
    )


def require_monitor_file(access: OutboundAccess, path: str) -> None:
    """Refuse a monitor file (target, labels, reference) outside ``--monitor-data-root``."""
    _require_file(
        access.monitor_data_roots,
        path,
        MONITOR_ROOT_OPTION,
        "monitor files",
        "Use a dataset:NAME@VERSION target, or ask the operator to allow the folder.",
    )


def _require_file(roots: Roots, path: str, option: str, what: str, advice: str) -> None:
    """The one file rule: a local path (no remote file system URL) under one of ``roots``."""
    text = _path_text(path)
    if roots is None:
        return
    if "://" in text or not within_roots(text, roots):
        raise PermissionDeniedError(
            f"This server reads {what} only under the folders its operator allowed with "
            f"{option}; {text!r} is outside them. {advice}"
        )


def require_sql_url(access: OutboundAccess, url: str) -> None:
    """Refuse a database URL that matches no allowed one (passwords are not compared)."""
    allowed = access.source_sql
    if allowed is None:
        return
    parsed = _parse_sql(url, "The source's database URL")
    if any(_same_database(parsed, entry) for entry in allowed):
        return
    raise PermissionDeniedError(
        f"This server queries only the databases its operator allowed with {SOURCE_SQL_OPTION}"
        f"; {redact_url(url)} is not one of them."
    )


def require_webhook(access: OutboundAccess, url: str) -> None:
    """Refuse a webhook URL that is not http(s) with a host (400) or not allowed (403)."""
    access.webhooks.require(url, noun="Webhook", what="calls webhooks")


def _path_text(path: str | os.PathLike[str]) -> str:
    """The path as text; 400 for a NUL character (which no file system path holds)."""
    text = os.fspath(path)
    if "\x00" in str(text):
        raise InvalidArgumentError("A file path may not contain a NUL character")
    return str(text)


def _sql_entry(url: str) -> sa.URL:
    """An allowed database URL: parseable, on a read-only-capable backend, naming its user."""
    parsed = _parse_sql(url, f"{SOURCE_SQL_OPTION} value")
    backend = parsed.get_backend_name()
    if backend not in READ_ONLY_BACKENDS:
        raise InvalidArgumentError(
            f"{SOURCE_SQL_OPTION} {redact_url(url)}: source queries can be kept read-only only "
            f"on {', '.join(sorted(READ_ONLY_BACKENDS))} databases"
        )
    if backend != "sqlite" and not parsed.username:
        raise InvalidArgumentError(
            f"{SOURCE_SQL_OPTION} {redact_url(url)} must name the database user (USER@HOST), "
            "so that the role queries run as is yours to choose, not a client's"
        )
    return parsed


def _parse_sql(url: str, what: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise InvalidArgumentError(f"{what} is not a valid database URL") from None


def _same_database(url: sa.URL, entry: sa.URL) -> bool:
    backend = url.get_backend_name()
    if backend != entry.get_backend_name() or dict(url.query) != dict(entry.query):
        return False
    if backend == "sqlite":  # the same driver too: only the standard one opens read-only
        same_driver = url.get_driver_name() == entry.get_driver_name()
        return same_driver and _sqlite_file(url) == _sqlite_file(entry)
    default = _DEFAULT_SQL_PORTS.get(backend)
    return (
        url.username == entry.username
        and (url.host or "").lower() == (entry.host or "").lower()
        and (url.port or default) == (entry.port or default)
        and url.database == entry.database
    )


def _sqlite_file(url: sa.URL) -> str:
    database = url.database
    if not database or database == ":memory:":
        return ":memory:"
    return os.path.realpath(_path_text(database))
