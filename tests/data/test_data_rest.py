"""The data API over a real server process, through the SDK's HTTP backend and raw HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mlsteward
from mlsteward import Client
from mlsteward.domain.errors import NotFoundError
from mlsteward.engines.data import MalformedRowError
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerURL]:
    root = tmp_path_factory.mktemp("data-server")
    # Rebuilds re-read sources on the server: allow the folder test files live in.
    allowed = ["--source-root", str(tmp_path_factory.getbasetemp())]
    with running_server(root / "mlsteward.db", root / "artifacts", extra_args=allowed) as url:
        yield url


def _name() -> str:
    return f"ds-{uuid.uuid4().hex[:10]}"


def test_sdk_over_http_matches_local_behaviour(
    server: ServerURL, csv_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlsteward.set_tracking_uri(str(server))
    monkeypatch.setenv("MLSTEWARD_USER", "alice")
    name = _name()
    version = mlsteward.data.ingest(name, csv_file)
    assert version.created_by == "alice" and version.lineage["source"]["kind"] == "csv"
    assert mlsteward.data.ingest(name, csv_file) == version
    assert mlsteward.data.load(f"{name}@1").shape == (60, 6)
    assert mlsteward.data.set_alias(version, "prod").aliases == ["prod"]
    assert mlsteward.data.get(f"{name}@prod").version == 1
    assert mlsteward.data.profile(name)["rows"] == 60
    schema = mlsteward.data.infer_schema(name)
    assert mlsteward.data.validate(name, schema).ok
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(MalformedRowError):
        mlsteward.data.ingest(_name(), bad)
    skipped = mlsteward.data.ingest(_name(), bad, on_bad_rows="skip")
    assert skipped.lineage["bad_row_count"] == 1
    steps = [{"name": "log_transform", "params": {"columns": ["income"]}}]
    feat = mlsteward.data.transform(version, steps, _name())
    parts = mlsteward.data.split(feat, seed=2, fractions={"train": 0.5, "test": 0.5})
    assert sum(p.num_rows for p in parts.values()) == 60
    assert all(check["ok"] for check in mlsteward.data.rebuild(parts["train"]))
    with mlsteward.start_run() as run:
        mlsteward.log_input(parts["train"])
    graph = mlsteward.data.lineage(parts["train"])
    assert graph["downstream"]["runs"][0]["run_id"] == run.info.run_id
    assert graph["upstream"]["parents"][0]["parents"][0]["id"] == version.dataset_version_id
    queue = _name()
    mlsteward.data.create_label_queue(queue, version, choices=["a", "b"])
    mlsteward.data.add_label(queue, 0, "a")
    Client(str(server), user="bob").datasets().add_label(queue, 0, "b")
    assert mlsteward.data.agreement(queue)["raw_agreement"] == 0.0
    exported = mlsteward.data.export_labels(queue, _name())
    assert mlsteward.data.load(exported, as_="arrow").column("label")[0].as_py() == "a"
    with pytest.raises(NotFoundError):
        mlsteward.data.get(f"{name}@9")


def test_bad_requests_are_4xx_json_errors(server: ServerURL) -> None:
    with httpx.Client(base_url=f"{server}/api/v1", timeout=30) as api:
        for response, status in [
            (api.get("/dataset-versions", params={"ref": "no-such@1"}), 404),
            (api.get("/dataset-versions", params={"ref": "bad name!"}), 400),
            (api.post("/datasets/x/versions", content=b"not parquet"), 400),
            (api.post("/datasets/x/versions", headers={"X-Mlsteward-Dataset-Meta": "{"}), 400),
            (api.post("/dataset-versions/transform", json={"ref": "x"}), 400),
            (api.get("/label-queues/nope/status"), 404),
        ]:
            assert response.status_code == status, response.text
            assert set(response.json()) == {"error"}
