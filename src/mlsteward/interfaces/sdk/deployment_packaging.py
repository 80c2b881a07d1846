"""The packaging operations as SDK methods: a deployment's Dockerfile and requirements, and
its Kubernetes or KServe manifest, each as ``{file name: text}``.

``DeploymentPackaging`` is a mixin over any :class:`OperationCaller`; the deployment calls
take it on, so ``client.deployments.dockerfile(...)`` and ``.manifest(...)`` reach it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlsteward.domain.deployments import validate_deployment_name
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.deployment import operations_packaging as ops


class DeploymentPackaging(OperationCaller):
    """Files that build and run a deployment's data plane elsewhere."""

    def dockerfile(self, name: str, *, grpc: bool = False) -> dict[str, str]:
        """``Dockerfile`` and ``requirements.txt`` (mlsteward and the deployed version's
        pins) for an image that runs ``mlsteward serve NAME``; ``grpc`` adds the gRPC port."""
        return self._call(ops.dockerfile, name=validate_deployment_name(name), grpc=grpc)

    def manifest(
        self,
        name: str,
        format: str,
        *,
        image: str,
        control_plane_url: str,
        token_secret: str | None = None,
        cpu: str = "1",
        memory: str = "1Gi",
        max_replicas: int | None = None,
        grpc: bool = False,
    ) -> dict[str, str]:
        """``NAME-kubernetes.yaml`` (Deployment, Service, HPA) or ``NAME-kserve.yaml`` (an
        InferenceService) running ``image``; the token comes from the Secret
        ``token_secret`` (default ``NAME-token``, key ``token``)."""
        values: dict[str, Any] = {
            "name": validate_deployment_name(name),
            "format": format,
            "image": image,
            "control_plane_url": control_plane_url,
            "token_secret": token_secret,
            "cpu": cpu,
            "memory": memory,
            "max_replicas": max_replicas,
            "grpc": grpc,
        }
        return self._call(ops.manifest, **values)


def write_files(files: dict[str, str], directory: str | Path) -> list[Path]:
    """Write ``files`` into ``directory`` (created if needed); only plain names are taken."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"refusing to write {name!r}: not a plain file name")
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
