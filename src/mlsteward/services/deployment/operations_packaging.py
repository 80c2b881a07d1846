"""The packaging operations a client can call: the files that build a deployment's image
(Dockerfile, pinned requirements) and the manifests that run it (Kubernetes or KServe).

Both read the deployment and its model version and change nothing, so a reader may call
them; the answer is the files' text by name, which the CLI writes to a folder.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel

from mlsteward.services.api.documented_types import documented
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import packaging
from mlsteward.services.deployment import wire as w
from mlsteward.services.deployment.schemas import DeploymentName
from mlsteward.services.operations.declaration import Operation, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations

RESPONSES = {
    404: {"model": ErrorResponse, "description": "NOT_FOUND: no such deployment"},
    409: {
        "model": ErrorResponse,
        "description": "CONFLICT: the deployment's model does not resolve, or has no manifest",
    },
}
ManifestFormat = Annotated[str, documented({"type": "string", "enum": list(packaging.FORMATS)})]
MaxReplicas = Annotated[int | None, documented({"type": "integer", "minimum": 1, "maximum": 1000})]


class PackageFilesOut(BaseModel):
    """File name -> its text."""

    files: dict[str, str]


def _encode(files: dict[str, str]) -> dict[str, Any]:
    return {"files": dict(files)}


def _decode(raw: dict[str, Any]) -> dict[str, str]:
    return {str(name): str(text) for name, text in raw["files"].items()}


FILES = Codec(_encode, _decode, PackageFilesOut)
declare = Declarations("deployments", ResourceKind.DEPLOYMENT, tag="deployments")


class DockerfileRequest(OperationRequest):
    name: DeploymentName
    grpc: bool = False


class ManifestRequest(OperationRequest):
    name: DeploymentName
    format: ManifestFormat
    image: str
    control_plane_url: str
    token_secret: str | None = None
    cpu: str = "1"
    memory: str = "1Gi"
    max_replicas: MaxReplicas = None
    grpc: bool = False


@declare.get(f"{w.DEPLOYMENTS_PATH}/{{name}}/dockerfile", returns=FILES, responses=RESPONSES)
def dockerfile(ctx: ServiceContext, r: DockerfileRequest) -> dict[str, str]:
    """``Dockerfile`` and ``requirements.txt`` for an image serving the deployment: mlsteward
    and the pins of the deployed version's manifest; the control plane's URL and token come
    from the environment when the container runs (none is written into the image). With
    ``grpc``, the image also serves the gRPC protocol on port 8081."""
    return packaging.dockerfile(ctx, r.name, grpc=r.grpc)


@declare.get(f"{w.DEPLOYMENTS_PATH}/{{name}}/manifest", returns=FILES, responses=RESPONSES)
def manifest(ctx: ServiceContext, r: ManifestRequest) -> dict[str, str]:
    """A Kubernetes Deployment, Service and HorizontalPodAutoscaler, or a KServe
    InferenceService, running ``image`` with the deployment's replicas, health probes on
    ``/v2/health/ready`` and ``/v2/health/live``, and the token from a Secret (``token_secret``,
    default ``NAME-token``, key ``token``)."""
    options = packaging.ManifestOptions(
        image=r.image,
        control_plane_url=r.control_plane_url,
        token_secret=r.token_secret,
        cpu=r.cpu,
        memory=r.memory,
        max_replicas=r.max_replicas,
        grpc=r.grpc,
    )
    return packaging.manifest(ctx, r.name, r.format, options)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
