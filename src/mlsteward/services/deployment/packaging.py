"""Packaging a deployment to run elsewhere: a Dockerfile with pinned requirements, and the
Kubernetes objects (Deployment, Service, HorizontalPodAutoscaler) or KServe
InferenceService that run that image.

The image holds mlsteward and the pins recorded in the deployed version's manifest (what the
model was saved with), and runs ``mlsteward serve NAME``: it reads its plan from the control
plane and follows it, so the image outlives alias moves. The control plane's URL and token
come from the environment at run time; no file written here holds a token (the manifests
take it from a Secret). Every value that ends up in a file is checked first: the deployment
name is a DNS label, pins are ``name==version``, the image, URL, Secret name and resources
match strict patterns, and YAML is written by ``yaml.safe_dump``.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import yaml

from mlsteward._version import __version__
from mlsteward.domain.deployments import Deployment, validate_deployment_name
from mlsteward.domain.errors import ConflictError, InvalidArgumentError, MlstewardError
from mlsteward.domain.registry import ModelVersion
from mlsteward.engines.models.manifest import MANIFEST_FILE, Manifest
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import records
from mlsteward.services.registry.uris import resolve_model_uri
from mlsteward.services.registry.versions import RUNS_SCHEME, parse_runs_uri

FORMATS = ("kubernetes", "kserve")
HTTP_PORT = 8080
GRPC_PORT = 8081
#: The environment variables ``mlsteward serve`` reads the control plane from.
URI_ENV = "MLSTEWARD_TRACKING_URI"
TOKEN_ENV = "MLSTEWARD_TRACKING_TOKEN"  # noqa: S105 - a variable's name, not a secret
TOKEN_KEY = "token"  # noqa: S105 - the key inside the Secret, not a secret
#: The unprivileged user the image runs as.
USER_ID = 10001

_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!_-]+$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]{0,254}$", re.IGNORECASE)
_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+$")
_SECRET = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$")


@dataclass(frozen=True)
class ManifestOptions:
    """What a Kubernetes or KServe manifest needs beyond the deployment record."""

    image: str
    control_plane_url: str
    token_secret: str | None = None
    cpu: str = "1"
    memory: str = "1Gi"
    max_replicas: int | None = None
    grpc: bool = False


def _checked(pattern: re.Pattern[str], value: object, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidArgumentError(f"{what} {value!r} is not allowed here")
    return value


# -- the deployed version and its manifest -------------------------------------------------
def _deployed(ctx: ServiceContext, name: str) -> tuple[Deployment, ModelVersion]:
    deployment = records.get_deployment(ctx, validate_deployment_name(name))
    try:
        return deployment, resolve_model_uri(ctx, deployment.model_uri)
    except MlstewardError as error:
        raise ConflictError(
            f"Deployment {name!r} serves {deployment.model_uri}, which does not resolve now: "
            f"{error.message}"
        ) from error


def _manifest(ctx: ServiceContext, version: ModelVersion) -> Manifest:
    """The manifest the version was saved with (409 when it has none to pin from)."""
    if version.run_id is not None and version.source.startswith(RUNS_SCHEME):
        _, path = parse_runs_uri(version.source)
        wanted = f"{path}/{MANIFEST_FILE}" if path else MANIFEST_FILE
        for record in ctx.stores.tracking.list_artifact_records(version.run_id, wanted):
            if record.path == wanted:
                return Manifest.from_dict(json.loads(ctx.blobs.read_bytes(record.digest)))
    raise ConflictError(
        f"{version.name} version {version.version} has no model manifest ({version.source} was "
        "not logged by mlsteward), so its requirements are unknown"
    )


def _pins(manifest: Manifest, runtime: str, grpc: bool) -> list[str]:
    pins = [_checked(_PIN, pin, "The manifest's requirement") for pin in manifest.requirements]
    names = {pin.split("==")[0].split("[")[0].lower() for pin in pins}
    if "mlsteward" not in names:
        pins.append(f"mlsteward=={manifest.mlsteward_version or __version__}")
    if grpc:
        pins = [
            "mlsteward[grpc]==" + p.split("==", 1)[1] if p.lower().startswith("mlsteward==") else p
            for p in pins
        ]
    if runtime in ("auto", "onnx") and "onnxruntime" not in names:
        # the ONNX export runs on ONNX Runtime: the control plane's version
        with contextlib.suppress(metadata.PackageNotFoundError):
            pins.append(f"onnxruntime=={metadata.version('onnxruntime')}")
    return sorted(pins, key=str.lower)


# -- Dockerfile ----------------------------------------------------------------------------
def dockerfile(ctx: ServiceContext, name: str, *, grpc: bool = False) -> dict[str, str]:
    """``Dockerfile`` and ``requirements.txt`` for an image that serves deployment ``name``."""
    deployment, version = _deployed(ctx, name)
    manifest = _manifest(ctx, version)
    python = ".".join(manifest.python_version.split(".")[:2])
    python = _checked(_PYTHON, python, "The manifest's Python version")
    pins = _pins(manifest, deployment.runtime, grpc)
    command = ["mlsteward", "serve", deployment.name, "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104 - a container listens on every interface
    ports = str(HTTP_PORT)
    if grpc:
        command += ["--grpc-port", str(GRPC_PORT)]
        ports += f" {GRPC_PORT}"
    lines = [
        f"# The data plane of deployment {deployment.name}: mlsteward serve, following the",
        f"# deployment's plan ({deployment.model_uri}; {version.name} version "
        f"{version.version} when this was written).",
        f"# Run it with {URI_ENV} (the control plane) and {TOKEN_ENV}",
        "# (a token that can read the deployment) in the environment; never build a token",
        "# into the image.",
        f"FROM python:{python}-slim",
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 "
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
        f"RUN useradd --create-home --uid {USER_ID} mlsteward",
        "WORKDIR /home/mlsteward",
        "COPY requirements.txt .",
        "RUN pip install --no-cache-dir -r requirements.txt",
        f"USER {USER_ID}",
        "ENV MLSTEWARD_HOME=/home/mlsteward/.mlsteward",
        f"EXPOSE {ports}",
        f"CMD {json.dumps(command)}",
    ]
    requirements = [
        f"# Pinned from the manifest of {version.name} version {version.version}.",
        *pins,
    ]
    return {
        "Dockerfile": "\n".join(lines) + "\n",
        "requirements.txt": "\n".join(requirements) + "\n",
    }


# -- Kubernetes and KServe -----------------------------------------------------------------
def _options(options: ManifestOptions, deployment: Deployment) -> ManifestOptions:
    _checked(_IMAGE, options.image, "The image")
    _checked(_URL, options.control_plane_url, "The control plane URL")
    if options.token_secret is not None:
        _checked(_SECRET, options.token_secret, "The Secret name")
    _checked(_CPU, options.cpu, "The CPU request")
    _checked(_MEMORY, options.memory, "The memory request")
    top = options.max_replicas
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int) or not deployment.replicas <= top <= 1000
    ):
        raise InvalidArgumentError(
            f"max_replicas must be an integer from the deployment's {deployment.replicas} "
            "replicas to 1000"
        )
    return options


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "mlsteward-serve", "app.kubernetes.io/instance": name}


def _container(name: str, options: ManifestOptions, container_name: str) -> dict[str, Any]:
    secret = options.token_secret or f"{name}-token"
    ports = [{"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"}]
    if options.grpc:
        ports.append({"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"})
    resources = {"cpu": options.cpu, "memory": options.memory}
    return {
        "name": container_name,
        "image": options.image,
        "ports": ports,
        "env": [
            {"name": URI_ENV, "value": options.control_plane_url},
            {
                "name": TOKEN_ENV,
                "valueFrom": {"secretKeyRef": {"name": secret, "key": TOKEN_KEY}},
            },
        ],
        "readinessProbe": {
            "httpGet": {"path": "/v2/health/ready", "port": HTTP_PORT},
            "periodSeconds": 5,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": "/v2/health/live", "port": HTTP_PORT},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "startupProbe": {
            "httpGet": {"path": "/v2/health/live", "port": HTTP_PORT},
            "periodSeconds": 2,
            "failureThreshold": 60,
        },
        "resources": {"requests": resources, "limits": {"memory": options.memory}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID},
    }


def kubernetes_objects(deployment: Deployment, options: ManifestOptions) -> list[dict[str, Any]]:
    """A Deployment, its Service and a CPU HorizontalPodAutoscaler."""
    name = deployment.name
    labels = _labels(name)
    top = options.max_replicas or max(deployment.replicas, 1) * 3
    ports = [{"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"}]
    if options.grpc:
        ports.append({"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc", "protocol": "TCP"})
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": deployment.replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        # mlsteward serve drains for up to 30 s on SIGTERM
                        "terminationGracePeriodSeconds": 40,
                        "containers": [_container(name, options, "data-plane")],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {"type": "ClusterIP", "selector": labels, "ports": ports},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": deployment.replicas,
                "maxReplicas": top,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
    ]


def kserve_objects(deployment: Deployment, options: ManifestOptions) -> list[dict[str, Any]]:
    """A KServe InferenceService whose predictor is a custom container running the image
    (it speaks the Open Inference Protocol V2 on port 8080)."""
    name = deployment.name
    container = _container(name, options, "kserve-container")
    container["ports"] = [{"containerPort": HTTP_PORT, "protocol": "TCP"}]
    return [
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": name, "labels": _labels(name)},
            "spec": {
                "predictor": {
                    "minReplicas": deployment.replicas,
                    "maxReplicas": options.max_replicas or max(deployment.replicas, 1) * 3,
                    "containers": [container],
                }
            },
        }
    ]


def manifest(
    ctx: ServiceContext, name: str, manifest_format: str, options: ManifestOptions
) -> dict[str, str]:
    """``<name>-<format>.yaml``: the objects that run the image for deployment ``name``."""
    if manifest_format not in FORMATS:
        raise InvalidArgumentError(
            f"Unknown manifest format {manifest_format!r}: one of {', '.join(FORMATS)}"
        )
    deployment = records.get_deployment(ctx, validate_deployment_name(name))
    options = _options(options, deployment)
    build = kubernetes_objects if manifest_format == "kubernetes" else kserve_objects
    text = yaml.safe_dump_all(build(deployment, options), sort_keys=False)
    return {f"{deployment.name}-{manifest_format}.yaml": text}
