"""``mlsteward deployments dockerfile|manifest``: the files that build a deployment's image
and run it on Kubernetes or KServe, written into a folder.

Every rule is the packaging service's; these commands parse, call the SDK and write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.options import TrackingUriOption, client
from mlsteward.interfaces.cli.output import console
from mlsteward.interfaces.sdk.deployment_packaging import write_files

NameArgument = Annotated[str, typer.Argument(help="Deployment name.", show_default=False)]
OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="Folder to write the files into (created).")
]
GrpcOption = Annotated[
    bool, typer.Option("--grpc", help="Also serve the gRPC protocol (port 8081).")
]


def _written(files: dict[str, str], output: Path) -> None:
    for path in write_files(files, output):
        console().print(f"wrote {escape(str(path))}")


def dockerfile(
    ctx: typer.Context,
    name: NameArgument,
    output: OutputOption = Path("."),
    grpc: GrpcOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Write a Dockerfile and pinned requirements.txt for the deployment's image.

    The image installs mlsteward and the deployed version's pins and runs `mlsteward serve
    NAME`; the control plane's URL and token are given to the container at run time, never
    built in.
    """
    sdk = client(ctx, tracking_uri_option)
    _written(sdk.deployments.dockerfile(name, grpc=grpc), output)


def manifest(
    ctx: typer.Context,
    name: NameArgument,
    manifest_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="kubernetes (Deployment, Service, HorizontalPodAutoscaler) or kserve "
            "(an InferenceService).",
        ),
    ] = "kubernetes",
    image: Annotated[
        str | None,
        typer.Option("--image", help="The image to run (default NAME:latest).", show_default=False),
    ] = None,
    control_plane: Annotated[
        str | None,
        typer.Option(
            "--control-plane",
            help="The control plane's URL the data plane reads its plan from (default: the "
            "tracking URI, when it is a server's).",
            show_default=False,
        ),
    ] = None,
    token_secret: Annotated[
        str | None,
        typer.Option(
            "--token-secret",
            help="The Secret holding the data plane's token under key 'token' "
            "(default NAME-token).",
            show_default=False,
        ),
    ] = None,
    cpu: Annotated[str, typer.Option("--cpu", help="CPU request per replica.")] = "1",
    memory: Annotated[
        str, typer.Option("--memory", help="Memory request and limit per replica.")
    ] = "1Gi",
    max_replicas: Annotated[
        int | None,
        typer.Option(
            "--max-replicas",
            min=1,
            max=1000,
            help="Autoscaling ceiling (default three times the deployment's replicas).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = Path("."),
    grpc: GrpcOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Write NAME-kubernetes.yaml or NAME-kserve.yaml to run the deployment's image.

    The objects run the image built from `deployments dockerfile` with the deployment's
    replicas, health probes on /v2/health/ready and /v2/health/live, and the token read
    from a Secret.
    """
    sdk = client(ctx, tracking_uri_option)
    url = control_plane
    if url is None:
        if not sdk.tracking_uri.startswith(("http://", "https://")):
            raise InvalidArgumentError(
                "Give --control-plane URL: the tracking URI is not a server the data plane "
                "could reach"
            )
        url = sdk.tracking_uri
    files = sdk.deployments.manifest(
        name,
        manifest_format,
        image=image or f"{name}:latest",
        control_plane_url=url,
        token_secret=token_secret,
        cpu=cpu,
        memory=memory,
        max_replicas=max_replicas,
        grpc=grpc,
    )
    _written(files, output)


def register(app: typer.Typer) -> None:
    """Add the packaging commands to ``mlsteward deployments``."""
    app.command("dockerfile")(dockerfile)
    app.command("manifest")(manifest)
