"""Run the REST server with uvicorn: ``serve()``, or its ``__main__``.

Every accepted connection gets ``TCP_NODELAY``. uvicorn's multi-worker mode hands the
listening socket to its workers and leaves Nagle's algorithm on for their connections, which
stalls each response on a kept-alive connection by the peer's delayed ACK (about 40 ms); the
protocol class below sets the option itself, whatever the worker count.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, replace
from typing import Any

import uvicorn
from fastapi import FastAPI

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, UnavailableError
from mlsteward.interfaces.rest.settings import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    DEFAULT_MAX_JSON_BODY_BYTES,
    MIB,
    ServerSettings,
)
from mlsteward.services.composition import close_context, prepare_stores

try:  # httptools is faster; uvicorn without its extras only has h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # pragma: no cover - depends on the installation
    from uvicorn.protocols.http.h11_impl import (  # type: ignore[assignment]
        H11Protocol as _HttpProtocol,
    )

_SETTINGS_ENV = "MLSTEWARD_SERVER_SETTINGS"
_FACTORY = "mlsteward.interfaces.rest.server:app_from_environment"
_GRACEFUL_SHUTDOWN_S = 5


class NoDelayHttpProtocol(_HttpProtocol):
    """uvicorn's HTTP protocol with Nagle's algorithm off on every connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def app_from_environment() -> FastAPI:
    """App factory for worker processes: settings arrive JSON-encoded in the environment."""
    from mlsteward.interfaces.rest.app import app_from_settings

    return app_from_settings(ServerSettings(**json.loads(os.environ[_SETTINGS_ENV])))


def serve(
    host: str,
    port: int,
    store_uri: str,
    artifacts_uri: str,
    workers: int = 1,
    upgrade: bool = False,
    *,
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES,
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES,
    access_log: bool = True,
    log_level: str = "info",
    allow_model_code: bool = False,
    monitor_data_roots: Sequence[str] = (),
    run_monitors: bool = True,
    source_roots: Sequence[str] = (),
    source_sql_urls: Sequence[str] = (),
    source_http_hosts: Sequence[str] = (),
    webhook_hosts: Sequence[str] = (),
    announce: Callable[[], None] | None = None,
) -> None:
    """Serve until interrupted. The ``source_*`` and ``webhook_hosts`` allow-lists say what
    the server may open for a client (see :mod:`mlsteward.services.outbound_access`).

    Everything that can refuse the start is checked first, once, here (not by each worker):
    the options, the listening address, the artifact store and the database. A brand-new
    database gets the schema; one at an older schema is migrated only with ``upgrade``.
    ``announce`` is called after those checks, just before serving, so a refused start
    prints nothing but its error.
    """
    if max_json_body_bytes < 1 or max_artifact_bytes < 1:
        raise InvalidArgumentError("--max-body-mb and --max-artifact-mb must be positive")
    if workers < 1:
        raise InvalidArgumentError("--workers must be at least 1")
    settings = ServerSettings(
        store_uri,
        artifacts_uri,
        upgrade,
        max_json_body_bytes,
        max_artifact_bytes,
        allow_model_code,
        tuple(os.path.abspath(root) for root in monitor_data_roots),
        run_monitors,
        source_roots=tuple(os.path.abspath(root) for root in source_roots),
        source_sql_urls=tuple(source_sql_urls),
        source_http_hosts=tuple(source_http_hosts),
        webhook_hosts=tuple(webhook_hosts),
    )
    settings.outbound_access()  # a malformed entry fails here, not per request
    _check_can_listen(host, port)
    prepare_stores(settings.store_uri, settings.artifacts_uri, upgrade=settings.upgrade)
    settings = replace(settings, upgrade=False)  # done above; workers only check
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": NoDelayHttpProtocol,
        "access_log": access_log,
        "log_level": log_level,
        "timeout_graceful_shutdown": _GRACEFUL_SHUTDOWN_S,
        "proxy_headers": False,
    }
    if workers <= 1:
        from mlsteward.interfaces.rest.app import app_from_settings

        app = app_from_settings(settings)
        if announce is not None:
            announce()
        with _monitor_scheduler(settings):
            uvicorn.run(app, **options)
        return
    os.environ[_SETTINGS_ENV] = json.dumps(asdict(settings))
    if announce is not None:
        announce()
    # The scheduler runs here, in the supervising process, so N workers run monitors once.
    with _monitor_scheduler(settings):
        uvicorn.run(_FACTORY, factory=True, workers=workers, **options)


def _check_can_listen(host: str, port: int) -> None:
    """Refuse at once when the address is taken or not this machine's (uvicorn would say so
    only after the server had announced itself)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise InvalidArgumentError(f"Cannot listen on {host!r}: {error.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            taken = error.errno == errno.EADDRINUSE
            hint = " (another server is there? choose a free one with --port)" if taken else ""
            raise UnavailableError(
                f"Cannot listen on {host}:{port}: {error.strerror}{hint}"
            ) from None


@contextmanager
def _monitor_scheduler(settings: ServerSettings) -> Iterator[None]:
    """Run due monitors on a thread while the server serves (unless turned off)."""
    if not settings.run_monitors:
        yield
        return
    from mlsteward.services.monitoring.scheduler import MonitorScheduler

    ctx = replace(settings, upgrade=False).open_context(actor="scheduler")
    scheduler = MonitorScheduler(ctx).start()
    try:
        yield
    finally:
        scheduler.stop()
        close_context(ctx)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlsteward.interfaces.rest.server", description="Run the mlsteward server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--store-uri", required=True, help="SQLite path/URL or PostgreSQL URL")
    parser.add_argument("--artifacts-uri", required=True, help="local directory or s3://...")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--upgrade", action="store_true", help="migrate the database first")
    parser.add_argument(
        "--max-body-mb",
        type=float,
        default=DEFAULT_MAX_JSON_BODY_BYTES / MIB,
        help="largest JSON request body, in MiB",
    )
    parser.add_argument(
        "--max-artifact-mb",
        type=float,
        default=DEFAULT_MAX_ARTIFACT_BYTES / MIB,
        help="largest artifact upload, in MiB",
    )
    parser.add_argument(
        "--allow-model-code",
        action="store_true",
        help="let the server load users' models (ONNX export); loading a pickle runs its code",
    )
    parser.add_argument(
        "--monitor-data-root",
        action="append",
        default=[],
        help="a folder monitors may read files from (repeatable; default: none)",
    )
    parser.add_argument(
        "--source-root",
        action="append",
        default=[],
        help="a folder dataset rebuilds may re-read source files from (repeatable; default: none)",
    )
    parser.add_argument(
        "--source-sql-url",
        action="append",
        default=[],
        help="a database (SQLite, or PostgreSQL naming its user) dataset rebuilds may query "
        "read-only (repeatable; default: none)",
    )
    parser.add_argument(
        "--source-http-host",
        action="append",
        default=[],
        help="HOST (default port), HOST:PORT or HOST:* dataset rebuilds may call "
        "(repeatable; default: none)",
    )
    parser.add_argument(
        "--webhook-host",
        action="append",
        default=[],
        help="HOST (default port), HOST:PORT or HOST:* monitor webhooks may call "
        "(repeatable; default: none)",
    )
    parser.add_argument(
        "--no-monitor-scheduler",
        action="store_true",
        help="do not run due monitors in this server",
    )
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--log-level", default="info")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Command-line entry; a store that cannot be opened is one clear line and exit code 2."""
    args = _parser().parse_args(argv)
    try:
        _serve_from_args(args)
    except MlstewardError as error:
        print(f"mlsteward server: {error.message}", file=sys.stderr)
        sys.exit(2)


def _serve_from_args(args: argparse.Namespace) -> None:
    serve(
        args.host,
        args.port,
        args.store_uri,
        args.artifacts_uri,
        workers=args.workers,
        upgrade=args.upgrade,
        max_json_body_bytes=int(args.max_body_mb * MIB),
        max_artifact_bytes=int(args.max_artifact_mb * MIB),
        access_log=not args.no_access_log,
        log_level=args.log_level,
        allow_model_code=args.allow_model_code,
        monitor_data_roots=args.monitor_data_root,
        run_monitors=not args.no_monitor_scheduler,
        source_roots=args.source_root,
        source_sql_urls=args.source_sql_url,
        source_http_hosts=args.source_http_host,
        webhook_hosts=args.webhook_host,
    )


if __name__ == "__main__":
    # Through the package path, so worker processes and pickled settings name this module
    # by its real name rather than ``__main__``.
    from mlsteward.interfaces.rest.server import main as _main

    _main()
