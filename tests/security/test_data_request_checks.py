"""Data requests are checked in the service, alike through the REST and the local door.

Split options are data: an unknown or mistyped one is a 400 with a message (it used to reach
the engine as keyword arguments and come back as a 500). A bad upload's error does not show
where the server staged the body.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.rest.app import create_app


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(40)))
    return path


HOSTILE_OPTIONS = [
    {"bogus": 1},
    {"seed": "x"},
    {"seed": True},
    {"seed": 1.5},
    {"fractions": "train"},
    {"fractions": {"train": "half"}},
    {"fractions": [["train"]]},
    {"stratify": ["a", "b"]},
    {"k": 3},  # a kfold option on a holdout split
    {"__class__": {}},
]


@pytest.mark.parametrize("options", HOSTILE_OPTIONS)
def test_rest_split_refuses_bad_options_with_400(
    tmp_path: Path, csv_file: Path, options: dict[str, object]
) -> None:
    store = f"sqlite:///{tmp_path / 'm.db'}"
    mlsteward.set_tracking_uri(store)
    try:
        mlsteward.data.ingest("split-me", csv_file)
    finally:
        mlsteward.set_tracking_uri(None)
    with TestClient(create_app(store, str(tmp_path / "artifacts"))) as http:
        body = {"ref": "split-me@1", "method": "holdout", "options": options}
        response = http.post("/api/v1/dataset-versions/split", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
        listed = http.get("/api/v1/datasets")
        assert "split-me.train" not in listed.text  # nothing written


@pytest.mark.parametrize("options", HOSTILE_OPTIONS)
def test_local_split_refuses_bad_options(
    tmp_path: Path, csv_file: Path, options: dict[str, object]
) -> None:
    mlsteward.set_tracking_uri(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        version = mlsteward.data.ingest("split-me", csv_file)
        with pytest.raises(InvalidArgumentError):
            mlsteward.data.split(version, **options)
    finally:
        mlsteward.set_tracking_uri(None)


def test_unknown_method_is_refused(tmp_path: Path, csv_file: Path) -> None:
    mlsteward.set_tracking_uri(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        version = mlsteward.data.ingest("split-me", csv_file)
        with pytest.raises(InvalidArgumentError, match="Unknown split method"):
            mlsteward.data.split(version, method="eval")
    finally:
        mlsteward.set_tracking_uri(None)


def test_a_bad_upload_does_not_show_where_the_server_staged_it(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'm.db'}"
    with TestClient(create_app(store, str(tmp_path / "artifacts"), upgrade=True)) as http:
        response = http.post(
            "/api/v1/datasets/x/versions",
            content=b"not parquet, a secret line",
            headers={"content-type": "application/vnd.apache.parquet"},
        )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "uploaded body" in message
    assert "/tmp" not in message and "mlsteward-upload" not in message
    assert "secret" not in message
