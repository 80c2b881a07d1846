"""The REST door on a real server: a job under ``--source-root`` runs (ONNX, no model code
needed) and answers its report; hostile inputs and outputs are refused with a 4xx before
anything is read or written, and the refusal never repeats what a path holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

import mlsteward
from mlsteward.domain.errors import PermissionDeniedError
from mlsteward.testing.server_process import running_server

from .conftest import Store, gbt_frame


@pytest.fixture(scope="module")
def server(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    allowed = tmp_path_factory.mktemp("allowed")
    store_dir = Path(store.uri)
    options = ["--source-root", str(allowed)]
    with running_server(
        store_dir / "mlsteward.db", store_dir / "artifacts", extra_args=options
    ) as url:
        yield str(url), allowed


def _job(url: str, **body: object) -> httpx.Response:
    payload = {"model_uri": "models:/gbt/1", "log": False, **body}
    return httpx.post(f"{url}/api/v1/batch-predictions", json=payload, timeout=120.0)


def test_a_job_under_the_allowed_root_runs_on_the_server(server: tuple[str, Path]) -> None:
    url, allowed = server
    frame = gbt_frame(700, 31)
    frame.to_parquet(allowed / "in.parquet")
    report = mlsteward.Client(url).predict_batch(
        "models:/gbt/1", str(allowed / "in.parquet"), str(allowed / "out"), chunk_size=300
    )
    assert (report.rows, report.chunks, report.runtime) == (700, 3, "onnx")
    assert report.logged_as == "gbt-batch"
    output = pd.read_parquet(allowed / "out")
    assert list(output["id"]) == list(frame["id"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input", "/etc/passwd"),
        ("input", "{allowed}/../secret.csv"),
        ("input", "{allowed}/../*.csv"),
        ("input", "s3://other-bucket/data.parquet"),
        ("output", "/etc/mlsteward-out"),
        ("output", "{allowed}/../out"),
        ("output", "s3://other-bucket/out"),
    ],
)
def test_hostile_paths_are_refused_and_nothing_is_written(
    server: tuple[str, Path], field: str, value: str
) -> None:
    url, allowed = server
    secret = allowed.parent / "secret.csv"
    secret.write_text("f0,f1\nTOP-SECRET,1\n")
    (allowed / "ok.parquet").write_bytes(b"")
    gbt_frame(10, 32).to_parquet(allowed / "ok.parquet")
    target = value.format(allowed=allowed)
    body = {"input": [str(allowed / "ok.parquet")], "output": str(allowed / "never")}
    body[field] = [target] if field == "input" else target
    before = sorted(p.name for p in allowed.parent.iterdir())
    answer = _job(url, **body)
    assert answer.status_code == 403, answer.text
    assert "--source-root" in answer.text
    assert "TOP-SECRET" not in answer.text and "root:" not in answer.text
    assert not (allowed / "never").exists()
    assert sorted(p.name for p in allowed.parent.iterdir()) == before
    assert not Path("/etc/mlsteward-out").exists()


def test_the_sdk_raises_the_servers_refusal(server: tuple[str, Path]) -> None:
    url, allowed = server
    with pytest.raises(PermissionDeniedError, match="--source-root"):
        mlsteward.Client(url).predict_batch("models:/gbt/1", "/etc/passwd", str(allowed / "x"))
