"""``mlsteward server`` (the REST API) and ``mlsteward sync`` (deliver spooled points)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.cli.options import TrackingUriOption, tracking_uri
from mlsteward.interfaces.cli.output import console, err_console, redact_uri
from mlsteward.interfaces.cli.store_uri import StoreUriOption, resolve_store_uri
from mlsteward.interfaces.rest.settings import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    DEFAULT_MAX_JSON_BODY_BYTES,
    MIB,
)
from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri


def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every one).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = 5000,
    store_uri: Annotated[str | None, StoreUriOption] = None,
    artifacts_uri: Annotated[
        str | None,
        typer.Option(
            "--artifacts-uri",
            "-a",
            help=(
                "Where artifact blobs live: a local directory or s3://bucket/prefix. Default: "
                "$MLSTEWARD_ARTIFACTS_URI, else an artifacts folder beside a SQLite store."
            ),
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
    upgrade: Annotated[
        bool,
        typer.Option(
            "--upgrade/--no-upgrade",
            help="Migrate a database at an older schema on start (else refuse it; see "
            "mlsteward db upgrade). A brand-new database gets the schema either way.",
        ),
    ] = False,
    allow_model_code: Annotated[
        bool,
        typer.Option(
            "--allow-model-code",
            help="Let the server load users' models (ONNX export). Loading a pickle runs its "
            "code: enable only where everyone who can log a model is trusted.",
        ),
    ] = False,
    monitor_data_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--monitor-data-root",
            help="A folder monitors may read target files from (repeat for more). Without "
            "one, monitors on this server read dataset:NAME@VERSION targets only.",
            show_default=False,
        ),
    ] = None,
    monitor_scheduler: Annotated[
        bool,
        typer.Option(
            "--monitor-scheduler/--no-monitor-scheduler",
            help="Run due monitors in this server.",
        ),
    ] = True,
    source_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--source-root",
            help="A folder whose files dataset rebuilds may re-read (repeat for more). "
            "Without one the server reads no source file for a client.",
            show_default=False,
        ),
    ] = None,
    source_sql_url: Annotated[
        list[str] | None,
        typer.Option(
            "--source-sql-url",
            help="A database dataset rebuilds may query read-only: SQLite or PostgreSQL, "
            "naming its user (USER@HOST), matched on backend, user, host, port and database "
            "(repeat for more; default: none).",
            show_default=False,
        ),
    ] = None,
    source_http_host: Annotated[
        list[str] | None,
        typer.Option(
            "--source-http-host",
            help="HOST (its default port), HOST:PORT or HOST:* (any port) whose web APIs "
            "dataset rebuilds may call (repeat for more; default: none).",
            show_default=False,
        ),
    ] = None,
    webhook_host: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-host",
            help="HOST (its default port), HOST:PORT or HOST:* (any port) monitor webhooks "
            "may call (repeat for more). Without one, monitors on this server take no webhook.",
            show_default=False,
        ),
    ] = None,
    max_body_mb: Annotated[
        float,
        typer.Option("--max-body-mb", min=0.001, help="Largest JSON request body, in MiB."),
    ] = DEFAULT_MAX_JSON_BODY_BYTES / MIB,
    max_artifact_mb: Annotated[
        float,
        typer.Option("--max-artifact-mb", min=0.001, help="Largest artifact upload, in MiB."),
    ] = DEFAULT_MAX_ARTIFACT_BYTES / MIB,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="No sign-in: every caller may do everything, named by X-Mlsteward-User. "
            "Refused on any address but a loopback one.",
        ),
    ] = False,
    default_role: Annotated[
        str | None,
        typer.Option(
            "--default-role",
            help="A role every signed-in account holds server-wide: viewer, contributor, "
            "validator or admin (default: none, grants only).",
            show_default=False,
        ),
    ] = None,
    audit_key_file: Annotated[
        Path | None,
        typer.Option(
            "--audit-key-file",
            help="The audit log's Ed25519 signing key (PEM; created when missing). Default: "
            "one per store under the mlsteward home. Keep it away from the database.",
            show_default=False,
        ),
    ] = None,
    audit_checkpoint_seconds: Annotated[
        float,
        typer.Option(
            "--audit-checkpoint-seconds",
            min=0,
            help="Seconds between signed checkpoints of the audit log (0: none).",
        ),
    ] = 300.0,
    audit_retention_days: Annotated[
        float | None,
        typer.Option(
            "--audit-retention-days",
            help="Days audit records are kept (at least 183; default: for ever).",
            show_default=False,
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            help="A browser origin (scheme://host[:port]) whose pages may call the API "
            "(repeat for more). Without one, no CORS headers are sent.",
            show_default=False,
        ),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Mark session cookies Secure even over plain HTTP (behind a TLS proxy).",
        ),
    ] = False,
    oidc_issuer: Annotated[
        str | None,
        typer.Option(
            "--oidc-issuer",
            help="Sign in with this OpenID Connect provider (its issuer URL).",
            show_default=False,
        ),
    ] = None,
    oidc_client_id: Annotated[
        str | None,
        typer.Option(
            "--oidc-client-id", help="This server's client id at the provider.", show_default=False
        ),
    ] = None,
    oidc_client_secret: Annotated[
        str | None,
        typer.Option(
            "--oidc-client-secret",
            envvar="MLSTEWARD_OIDC_CLIENT_SECRET",
            help="The client's secret (better set MLSTEWARD_OIDC_CLIENT_SECRET: the command "
            "line is visible to other users).",
            show_default=False,
            show_envvar=False,
        ),
    ] = None,
    oidc_redirect_url: Annotated[
        str | None,
        typer.Option(
            "--oidc-redirect-url",
            help="The callback URL registered at the provider (default: this server's "
            "/api/v1/auth/oidc/callback as the browser reached it).",
            show_default=False,
        ),
    ] = None,
    oidc_default_role: Annotated[
        str | None,
        typer.Option(
            "--oidc-default-role",
            help="The role granted server-wide to an account its first OIDC sign-in creates.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the tracking REST API (under /api/v1) until interrupted.

    A brand-new database gets the schema; one at an older schema is refused unless
    --upgrade is given or mlsteward db upgrade was run. Callers sign in with tokens; the first
    start on a store without accounts creates the admin account and prints its token once.
    """
    from mlsteward.interfaces.rest.server import serve

    store = resolve_store_uri(store_uri)
    artifacts = artifacts_uri or default_artifacts_uri(store)
    base = f"http://{host}:{port}"

    def announce() -> None:
        # Printed only once every check passed: a refused start shows just its error.
        err_console().print(
            f"[bold]mlsteward server[/] on [cyan]{escape(base)}[/] "
            f"(API {escape(base)}/api/v1, docs {escape(base)}/docs)\n"
            f"  store:     {escape(redact_uri(store))}\n"
            f"  artifacts: {escape(redact_uri(artifacts))}\n"
            f"  sign-in:   {'[yellow]off (--no-auth)[/]' if no_auth else 'tokens required'}\n"
            f"  clients:   MLSTEWARD_TRACKING_URI={escape(base)}",
            soft_wrap=True,
        )

    serve(
        host,
        port,
        store,
        artifacts,
        workers=workers,
        upgrade=upgrade,
        allow_model_code=allow_model_code,
        monitor_data_roots=[str(root) for root in monitor_data_root or []],
        run_monitors=monitor_scheduler,
        source_roots=[str(root) for root in source_root or []],
        source_sql_urls=source_sql_url or [],
        source_http_hosts=source_http_host or [],
        webhook_hosts=webhook_host or [],
        max_json_body_bytes=int(max_body_mb * MIB),
        max_artifact_bytes=int(max_artifact_mb * MIB),
        auth=not no_auth,
        default_role=default_role,
        audit_key_path=str(audit_key_file) if audit_key_file else None,
        audit_checkpoint_seconds=audit_checkpoint_seconds,
        audit_retention_days=audit_retention_days,
        cors_origins=cors_origin or [],
        secure_cookies=secure_cookies,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret=oidc_client_secret,
        oidc_redirect_url=oidc_redirect_url,
        oidc_default_role=oidc_default_role,
        announce=announce,
    )


def sync_command(ctx: typer.Context, tracking_uri_option: TrackingUriOption = None) -> None:
    """Deliver what the SDK spooled while a server was unreachable, in order.

    A spooled batch is one change: metric points, params or tags, a run's end (with the time
    it ended at) or rename, or a tag removed. With an http(s) --tracking-uri only that
    server's spool is delivered; otherwise every server's. Exits 1 when batches are left
    because a server still cannot take them.
    """
    from mlsteward.interfaces.sdk.spool import Spool, all_spools, deliver_spooled

    uri = tracking_uri(ctx, tracking_uri_option)
    server = uri if uri and uri.startswith(("http://", "https://")) else None
    out = console()
    with out.status("Delivering spooled batches..."):
        delivered = deliver_spooled(server)
    spools = [Spool(server)] if server else all_spools()
    waiting = sum(len(spool.pending()) for spool in spools)
    refused = [path for spool in spools for path in spool.rejected()]
    if delivered:
        out.print(f"Delivered [bold]{delivered}[/] spooled batch(es).")
    elif not waiting:
        out.print("Nothing to deliver: no spooled batches.")
    if refused:
        folder = escape(str(refused[0].parent))
        err_console().print(
            f"[yellow]{len(refused)} batch(es) refused by the server are kept in {folder}[/]"
        )
    if waiting:
        servers = ", ".join(s.server_uri for s in spools if s.has_pending())
        raise MlstewardError(
            f"{waiting} batch(es) still waiting: {servers} cannot take them now; "
            "run mlsteward sync again when it is reachable"
        )


def register(app: typer.Typer) -> None:
    app.command("server")(serve_command)
    app.command("sync")(sync_command)
