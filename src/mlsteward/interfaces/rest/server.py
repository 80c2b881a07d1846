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
import ipaddress
import json
import os
import secrets
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

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
from mlsteward.services.context import ServiceContext

try:  # httptools is faster; uvicorn without its extras only has h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # pragma: no cover - depends on the installation
    from uvicorn.protocols.http.h11_impl import (  # type: ignore[assignment]
        H11Protocol as _HttpProtocol,
    )

_SETTINGS_ENV = "MLSTEWARD_SERVER_SETTINGS"
_FACTORY = "mlsteward.interfaces.rest.server:app_from_environment"
_GRACEFUL_SHUTDOWN_S = 5
#: Where the OIDC client secret may come from instead of the command line (which other
#: users of the machine can read in the process list).
OIDC_SECRET_ENV = "MLSTEWARD_OIDC_CLIENT_SECRET"  # noqa: S105 - a variable name


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
    auth: bool = True,
    default_role: str | None = None,
    audit_key_path: str | None = None,
    audit_checkpoint_seconds: float = 300.0,
    audit_retention_days: float | None = None,
    cors_origins: Sequence[str] = (),
    secure_cookies: bool = False,
    oidc_issuer: str | None = None,
    oidc_client_id: str | None = None,
    oidc_client_secret: str | None = None,
    oidc_redirect_url: str | None = None,
    oidc_default_role: str | None = None,
    announce: Callable[[], None] | None = None,
) -> None:
    """Serve until interrupted. The ``source_*`` and ``webhook_hosts`` allow-lists say what
    the server may open for a client (see :mod:`mlsteward.services.outbound_access`).

    Everything that can refuse the start is checked first, once, here (not by each worker):
    the options, the listening address, the artifact store and the database. A brand-new
    database gets the schema; one at an older schema is migrated only with ``upgrade``.
    ``announce`` is called after those checks, just before serving, so a refused start
    prints nothing but its error.

    Callers sign in unless ``auth`` is off, which is refused on any address but a loopback
    one. With authentication on and no account in the store yet, the start creates the
    ``admin`` account and prints its token once, on stderr. The audit log's signing key is
    read (or made) here, once, and a checkpoint is signed every
    ``audit_checkpoint_seconds`` (0: none in the background) in this process.
    """
    if max_json_body_bytes < 1 or max_artifact_bytes < 1:
        raise InvalidArgumentError("--max-body-mb and --max-artifact-mb must be positive")
    if workers < 1:
        raise InvalidArgumentError("--workers must be at least 1")
    if not audit_checkpoint_seconds >= 0:
        raise InvalidArgumentError("--audit-checkpoint-seconds must be 0 (off) or more")
    _check_retention(audit_retention_days, audit_checkpoint_seconds)
    _check_role(default_role, "--default-role")
    _check_role(oidc_default_role, "--oidc-default-role")
    oidc_issuer = _check_oidc(auth, oidc_issuer, oidc_client_id, oidc_redirect_url)
    if not auth:
        print(
            "WARNING: authentication is off (--no-auth): every caller may do everything, as "
            "whatever user name it sends. Use it only for a server of your own on this machine.",
            file=sys.stderr,
            flush=True,
        )
        if not is_loopback(host):
            raise InvalidArgumentError(
                f"--no-auth is refused on {host}: without authentication a server listens on "
                "a loopback address only (127.0.0.1, ::1 or localhost)"
            )
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
        auth=auth,
        default_role=default_role,
        audit_key_path=os.path.abspath(audit_key_path) if audit_key_path else None,
        audit_checkpoint_seconds=audit_checkpoint_seconds,
        audit_retention_days=audit_retention_days,
        cors_origins=tuple(check_origin(origin) for origin in cors_origins),
        secure_cookies=secure_cookies,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret=oidc_client_secret,
        oidc_redirect_url=oidc_redirect_url,
        oidc_default_role=oidc_default_role,
        # One key for every worker, so any of them can check a sign-in another began.
        oidc_state_key=secrets.token_hex(32) if oidc_issuer else "",
    )
    settings.outbound_access()  # a malformed entry fails here, not per request
    _check_can_listen(host, port)
    prepare_stores(settings.store_uri, settings.artifacts_uri, upgrade=settings.upgrade)
    settings = replace(settings, upgrade=False)  # done above; workers only check
    _prepare_identity_and_audit(settings)
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
        with _background_work(settings, app.state.ctx):
            uvicorn.run(app, **options)
        return
    os.environ[_SETTINGS_ENV] = json.dumps(asdict(settings))
    if announce is not None:
        announce()
    # Background work runs here, in the supervising process, so N workers run it once.
    with _background_work(settings, None):
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


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): reachable from this
    machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_origin(origin: str) -> str:
    """A CORS origin as browsers send it (``scheme://host[:port]``), lower-cased; refuses
    wildcards, paths and anything else that is not one origin."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "*" in origin
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise InvalidArgumentError(
            f"--cors-origin {origin!r} is not an origin: give scheme://host[:port], such as "
            "https://ml.example.com (each allowed origin by name, no wildcard)"
        )
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        raise InvalidArgumentError(f"--cors-origin {origin!r} has an invalid port") from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}{port}"


def _check_retention(days: float | None, checkpoint_seconds: float) -> None:
    """The retention floor, and a checkpointer to apply it."""
    from mlsteward.services.audit.retention import MIN_RETENTION_DAYS

    if days is None:
        return
    if not days >= MIN_RETENTION_DAYS:
        raise InvalidArgumentError(
            f"--audit-retention-days must be at least {MIN_RETENTION_DAYS} (audit records "
            "of high-risk systems are kept at least six months)"
        )
    if checkpoint_seconds <= 0:
        raise InvalidArgumentError(
            "--audit-retention-days needs the checkpointer (--audit-checkpoint-seconds above 0)"
        )


def _check_role(role: str | None, flag: str) -> None:
    if role is None:
        return
    from mlsteward.domain.identity import Role

    try:
        Role(role)
    except ValueError:
        names = ", ".join(member.value for member in Role)
        raise InvalidArgumentError(f"{flag} must be one of {names}, not {role!r}") from None


def _check_oidc(
    auth: bool, issuer: str | None, client_id: str | None, redirect_url: str | None
) -> str | None:
    """The issuer URL, checked (None when OIDC sign-in is not configured)."""
    if not issuer:
        if client_id or redirect_url:
            raise InvalidArgumentError(
                "--oidc-client-id and --oidc-redirect-url need --oidc-issuer"
            )
        return None
    if not auth:
        raise InvalidArgumentError("OIDC sign-in needs authentication: drop --no-auth")
    if not client_id:
        raise InvalidArgumentError("--oidc-issuer needs --oidc-client-id")
    for flag, url in (("--oidc-issuer", issuer), ("--oidc-redirect-url", redirect_url)):
        if url is None:
            continue
        parts = urlsplit(url)
        local_http = parts.scheme == "http" and is_loopback(parts.hostname or "")
        if not parts.hostname or (parts.scheme != "https" and not local_http):
            raise InvalidArgumentError(
                f"{flag} must be an https:// URL (plain http only on a loopback address)"
            )
    try:
        import authlib  # noqa: F401 - only checking it is installed
    except ImportError:
        raise InvalidArgumentError(
            "OIDC sign-in needs Authlib: pip install 'mlsteward[oidc]'"
        ) from None
    return issuer.rstrip("/")


def _prepare_identity_and_audit(settings: ServerSettings) -> None:
    """Once, before serving: read (or make) the audit signing key, so workers share one
    and a bad key file refuses the start; with authentication, make the first admin when
    the store has no account and print its token, the only time it is ever shown."""
    ctx = settings.open_context(actor="server")
    try:
        if ctx.audit_signer is not None:
            ctx.audit_signer.key_id  # noqa: B018 - reads or creates the key file now
        if not settings.auth:
            return
        from mlsteward.services.identity.accounts import bootstrap_admin

        made = bootstrap_admin(ctx)
        if made is not None:
            user, secret = made
            print(
                f"Created admin user '{user.name}'. Its token (shown once): {secret}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        close_context(ctx)


@contextmanager
def _background_work(settings: ServerSettings, shared: ServiceContext | None) -> Iterator[None]:
    """The monitor scheduler, the audit checkpointer and the prediction-log retention, on
    threads, while the server serves.

    Both run in ``shared`` (the app's own context, with one worker) or in one context opened
    here (the supervising process of several workers): never in a second store of the same
    SQLite file in one process, whose opening would drop the file locks the first one's
    connections hold (POSIX locks are per process), letting another process reset the WAL
    under them.
    """
    ctx = shared if shared is not None else settings.open_context(actor="server")
    try:
        with (
            _monitor_scheduler(settings, ctx),
            _audit_checkpointer(settings, ctx),
            _prediction_retention(ctx),
            _rollout_analysis(ctx),
        ):
            yield
    finally:
        if shared is None:
            close_context(ctx)


@contextmanager
def _audit_checkpointer(settings: ServerSettings, ctx: ServiceContext) -> Iterator[None]:
    """Sign a checkpoint of the audit chain every ``audit_checkpoint_seconds`` (if it
    moved)."""
    if settings.audit_checkpoint_seconds <= 0:
        yield
        return
    from mlsteward.services.audit.checkpointer import AuditCheckpointer

    checkpointer = AuditCheckpointer(
        ctx.as_actor("audit-checkpointer"),
        settings.audit_checkpoint_seconds,
        retention_days=settings.audit_retention_days,
    )
    checkpointer.start()
    try:
        yield
    finally:
        checkpointer.stop()


@contextmanager
def _prediction_retention(ctx: ServiceContext) -> Iterator[None]:
    """Apply each deployment's prediction-log retention at start and then daily."""
    from mlsteward.services.predictions.retention import PredictionRetention

    retention = PredictionRetention(ctx.as_actor("prediction-retention")).start()
    try:
        yield
    finally:
        retention.stop()


@contextmanager
def _rollout_analysis(ctx: ServiceContext) -> Iterator[None]:
    """Analyse every rollout under way at its interval: promote, advance or roll back."""
    from mlsteward.services.deployment.rollout_loop import RolloutAnalysis

    analysis = RolloutAnalysis(ctx.as_actor("rollout-analysis")).start()
    try:
        yield
    finally:
        analysis.stop()


@contextmanager
def _monitor_scheduler(settings: ServerSettings, ctx: ServiceContext) -> Iterator[None]:
    """Run due monitors and due batch jobs while the server serves (unless turned off)."""
    if not settings.run_monitors:
        yield
        return
    from mlsteward.services.batch_jobs.scheduler import BatchJobScheduler
    from mlsteward.services.monitoring.scheduler import MonitorScheduler

    scheduler = MonitorScheduler(ctx.as_actor("scheduler")).start()
    # Scheduled batch jobs run on a thread of their own: a long job never delays monitors.
    jobs = BatchJobScheduler(ctx.as_actor("scheduler")).start()
    try:
        yield
    finally:
        jobs.stop()
        scheduler.stop()


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
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="no sign-in: X-Mlsteward-User names the actor (loopback addresses only)",
    )
    parser.add_argument("--default-role", help="a role every signed-in account holds")
    parser.add_argument("--audit-key-file", help="the audit log's Ed25519 signing key (PEM)")
    parser.add_argument(
        "--audit-checkpoint-seconds",
        type=float,
        default=300.0,
        help="seconds between signed audit checkpoints (0: none)",
    )
    parser.add_argument(
        "--audit-retention-days",
        type=float,
        default=None,
        help="days audit records are kept (at least 183; default: for ever)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        help="a browser origin allowed to call the API (repeatable; default: none)",
    )
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark session cookies Secure (behind a TLS-terminating proxy)",
    )
    parser.add_argument("--oidc-issuer", help="OpenID Connect provider's issuer URL")
    parser.add_argument("--oidc-client-id", help="this server's client id at the provider")
    parser.add_argument(
        "--oidc-client-secret",
        default=os.environ.get(OIDC_SECRET_ENV),
        help=f"the client's secret (better: ${OIDC_SECRET_ENV})",
    )
    parser.add_argument("--oidc-redirect-url", help="the callback URL registered there")
    parser.add_argument("--oidc-default-role", help="role granted to accounts OIDC creates")
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
        auth=not args.no_auth,
        default_role=args.default_role,
        audit_key_path=args.audit_key_file,
        audit_checkpoint_seconds=args.audit_checkpoint_seconds,
        audit_retention_days=args.audit_retention_days,
        cors_origins=args.cors_origin,
        secure_cookies=args.secure_cookies,
        oidc_issuer=args.oidc_issuer,
        oidc_client_id=args.oidc_client_id,
        oidc_client_secret=args.oidc_client_secret,
        oidc_redirect_url=args.oidc_redirect_url,
        oidc_default_role=args.oidc_default_role,
    )


if __name__ == "__main__":
    # Through the package path, so worker processes and pickled settings name this module
    # by its real name rather than ``__main__``.
    from mlsteward.interfaces.rest.server import main as _main

    _main()
