"""Learned thresholds, dataset profiles and missing-column alerts through a real server
process: the REST API directly and the SDK's HTTP backend."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import mlsteward
import mlsteward.data
import mlsteward.monitoring as mon
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError

from .conftest import frames


def test_rest_profiles_from_a_dataset_and_monitors_with_learned_thresholds(
    remote: str, api: httpx.Client
) -> None:
    mlsteward.data.ingest("rest-customers", frames(n=600, seed=7).drop(columns=["ts"]))
    made = api.post(
        "/profiles", json={"from_dataset": "dataset:rest-customers@1", "chunk_size": 150}
    )
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["name"] == "dataset-rest-customers-v1"
    assert (record["dataset_name"], record["dataset_version"]) == ("rest-customers", 1)
    assert len(api.get(f"/profiles/{record['name']}").json()["profile"]["chunks"]) == 4

    both = api.post("/profiles", json={"from_dataset": "rest-customers@1", "profile": {}})
    assert both.status_code == 400 and "either" in both.json()["error"]["message"]
    gone = api.post("/profiles", json={"from_dataset": "rest-customers@5"})
    assert gone.status_code == 404

    body = {
        "name": "rest-learned",
        "target": "dataset:rest-customers@1",
        "profile": record["name"],
        "chunking": {"size": 150},
        "learn_thresholds": True,
    }
    created = api.post("/monitors", json=body)
    assert created.status_code == 201, created.text
    fetched = api.get("/monitors/rest-learned").json()
    assert fetched["learn_thresholds"] is True
    assert "column_missing" in fetched["checks"]
    no_chunks = api.post("/monitors", json={**body, "name": "rest-flat", "chunking": {}})
    assert no_chunks.status_code == 400 and "chunking" in no_chunks.json()["error"]["message"]
    not_bool = api.post("/monitors", json={**body, "name": "rest-str", "learn_thresholds": "1"})
    assert not_bool.status_code in (400, 422)
    run = api.post("/monitors/rest-learned/run")
    assert run.status_code == 200 and run.json()["run"]["status"] == "ok"


def test_sdk_over_http_learned_thresholds_dataset_profiles_and_missing_columns(
    remote: str, tmp_path: Path
) -> None:
    mlsteward.data.ingest("http-customers", frames(n=400, seed=8).drop(columns=["ts"]))
    built = mon.build_reference_profile("dataset:http-customers@1", chunk_size=100)
    assert len(built.chunks) == 4
    tied = {p.name: p for p in mon.list_reference_profiles()}["dataset-http-customers-v1"]
    assert tied.dataset_version == 1
    mon.build_reference_profile(
        frames().drop(columns=["ts"]), "http-flat", dataset="http-customers", dataset_version=1
    )
    assert {p.name: p for p in mon.list_reference_profiles()}["http-flat"].dataset_name == (
        "http-customers"
    )
    with pytest.raises(NotFoundError):
        mon.build_reference_profile(frames(), dataset="http-customers", dataset_version=3)
    with pytest.raises(InvalidArgumentError, match="--chunk-size"):
        mon.create_monitor(
            "http-bad", "dataset:x", "http-flat", chunking={"size": 100}, learn_thresholds=True
        )

    (tmp_path / "in").mkdir()
    target = str(tmp_path / "in" / "batch-*.csv")
    monitor = mon.create_monitor(
        "http-learned",
        target,
        "dataset-http-customers-v1",
        chunking={"size": 100},
        learn_thresholds=True,
    )
    assert monitor.learn_thresholds and mon.get_monitor("http-learned").learn_thresholds
    frames(n=100, seed=9).drop(columns=["ts", "y"]).to_csv(
        tmp_path / "in" / "batch-1.csv", index=False
    )
    opened = mon.run_monitor("http-learned")["opened"]
    assert ("column_missing", "y", "critical") in [(a.check, a.column, a.severity) for a in opened]
    frames(n=100, seed=10).drop(columns=["ts"]).to_csv(tmp_path / "in" / "batch-2.csv", index=False)
    resolved = mon.run_monitor("http-learned")["resolved"]
    assert ("column_missing", "y") in [(a.check, a.column) for a in resolved]
