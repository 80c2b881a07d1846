"""``mlsteward serve NAME|models:/...``: start the data plane (the inference server)."""

from __future__ import annotations

from typing import Annotated

import typer

from mlsteward.domain.deployments import RUNTIMES
from mlsteward.interfaces.cli.options import TrackingUriOption, tracking_uri
from mlsteward.interfaces.serving.config import DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, ServeConfig

_MIB = 1024 * 1024


def serve_command(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="A deployment's name (its plan is read from the control plane and followed), "
            "or models:/NAME@ALIAS or models:/NAME/VERSION for a one-off with no record.",
            show_default=False,
        ),
    ],
    uri: TrackingUriOption = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every one).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")
    ] = DEFAULT_PORT,
    workers: Annotated[
        int,
        typer.Option("--workers", "-w", min=1, help="Worker processes sharing the port."),
    ] = 1,
    plan_interval: Annotated[
        float,
        typer.Option(
            "--plan-interval",
            min=0.1,
            help="Seconds between reads of the plan (alias moves and changes apply then).",
        ),
    ] = 5.0,
    max_body_mb: Annotated[
        float,
        typer.Option("--max-body-mb", min=0.001, help="Largest request body, in MiB (else 413)."),
    ] = DEFAULT_MAX_BODY_BYTES / _MIB,
    runtime: Annotated[
        str,
        typer.Option(
            "--runtime",
            help="One-off only: auto (ONNX Runtime when the export held parity), onnx or native.",
        ),
    ] = "auto",
    max_batch_size: Annotated[
        int,
        typer.Option("--max-batch-size", min=1, max=4096, help="One-off only: rows per batch."),
    ] = 32,
    max_wait_ms: Annotated[
        float,
        typer.Option(
            "--max-wait-ms",
            min=0,
            max=1000,
            help="One-off only: how long a queued request may wait for company.",
        ),
    ] = 2.0,
    log_root: Annotated[
        str | None,
        typer.Option(
            "--log-root",
            help="One-off only: where the prediction log goes (default: the local store's).",
            show_default=False,
        ),
    ] = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="One-off only: keep no prediction log.")
    ] = False,
    grpc_port: Annotated[
        int | None,
        typer.Option(
            "--grpc-port",
            min=1,
            max=65535,
            help="Also serve the Open Inference Protocol over gRPC on this port "
            "(needs mlsteward[grpc]).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve a deployment (or one model version) over the Open Inference Protocol and MLflow's
    /invocations (and OIP gRPC with --grpc-port), until SIGTERM."""
    if runtime not in RUNTIMES:
        raise typer.BadParameter(f"must be one of {', '.join(RUNTIMES)}", param_hint="--runtime")
    from mlsteward.interfaces.serving.process import serve  # the server's imports, on demand

    serve(
        ServeConfig(
            target=target,
            tracking_uri=tracking_uri(ctx, uri),
            host=host,
            port=port,
            workers=workers,
            plan_interval_s=plan_interval,
            max_body_bytes=int(max_body_mb * _MIB),
            log_root=log_root,
            log_enabled=not no_log,
            runtime=runtime,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
        ),
        grpc_port=grpc_port,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
