"""The prediction operations through both SDK transports, a real server's REST API and the
CLI: the same answers and the same refusals (400 for hostile input, nothing stored)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.prediction_ids import PredictionIdGenerator, new_prediction_id
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.predictions.wire import MAX_FEEDBACK_ITEMS
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogWriter
from mlsteward.testing.operation_doors import Door, RecordingAuditor, SwitchPolicy, open_door
from mlsteward.testing.server_process import running_server

from .old_format import old_table, write_part
from .records import HOUR_MS, MakeRecord


def _log(root: str, records: list[PredictionRecord]) -> None:
    with PredictionLogWriter(root) as writer:
        for record in records:
            assert writer.submit(record)


def _recent(
    make_record: MakeRecord, count: int, deployment: str = "churn"
) -> list[PredictionRecord]:
    now = int(time.time() * 1000) - HOUR_MS
    return [make_record(now + i * 1000, deployment=deployment) for i in range(count)]


@pytest.fixture(params=["local", "http"])
def door(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Client, str]]:
    """A client through the door, and its platform's prediction log root."""
    artifacts = tmp_path / "artifacts"
    door: Door = request.param
    with open_door(
        door,
        f"sqlite:///{tmp_path / 'store.db'}",
        str(artifacts),
        SwitchPolicy(),
        RecordingAuditor(),
    ) as client:
        yield client, os.path.abspath(artifacts / "predictions")


def test_get_query_and_feedback(door: tuple[Client, str], make_record: MakeRecord) -> None:
    client, root = door
    records = _recent(make_record, 30)
    records[5] = dataclasses.replace(records[5], route="shadow", shadow_of=records[4].prediction_id)
    _log(root, records + _recent(make_record, 2, deployment="churn@champion"))
    calls = client.predictions
    assert calls.get(records[3].prediction_id, "churn") == records[3]
    assert calls.get(records[4].prediction_id) == records[4]
    assert calls.get(records[5].prediction_id).shadow_of == records[4].prediction_id
    with pytest.raises(NotFoundError):
        calls.get(new_prediction_id(), "churn")
    frame = calls.query("churn", records[0].time_ms, records[-1].time_ms + 1, limit=20)
    assert frame["prediction_id"].tolist() == [r.prediction_id for r in records[:20]]
    assert frame.attrs["truncated"] is True
    assert frame["inputs"][0] == records[0].inputs
    assert frame["shadow_of"][5] == records[4].prediction_id
    assert len(calls.query("churn@champion", 0, 2**47)) == 2

    unknown = new_prediction_id()
    receipt = calls.feedback(
        "churn",
        [
            {"prediction_id": records[0].prediction_id, "labels": [1]},
            {"prediction_id": unknown, "labels": ["late"]},
        ],
    )
    assert (receipt.accepted, receipt.unknown) == (2, [unknown])
    stored = FeedbackLog(root).read("churn")
    assert stored.column("prediction_id").to_pylist() == sorted([records[0].prediction_id, unknown])
    assert set(stored.column("received_by").to_pylist()) == {"tester"}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"prediction_id": "../x", "labels": [1]}], "malformed prediction ID"),
        ([{"prediction_id": "0" * 36, "labels": [1]}], "malformed prediction ID"),
        ([{"prediction_id": "FUTURE", "labels": [1]}], "from the future"),
        ([{"prediction_id": "OK", "labels": []}], "non-empty list"),
        ([{"prediction_id": "OK", "labels": [{"code": "x"}]}], "must be numbers"),
        ([], "non-empty list"),
        ([{"prediction_id": "OK", "labels": [1]}] * (MAX_FEEDBACK_ITEMS + 1), "Too many"),
    ],
    ids=["traversal", "not-v7", "future", "no-labels", "object-label", "empty", "huge"],
)
def test_hostile_feedback_is_refused_and_stores_nothing(
    door: tuple[Client, str], items: list[dict[str, object]], message: str
) -> None:
    client, root = door
    future = PredictionIdGenerator().new(int(time.time() * 1000) + 10 * HOUR_MS)
    ok = new_prediction_id()
    items = [
        {
            **item,
            "prediction_id": {"FUTURE": future, "OK": ok}.get(
                str(item["prediction_id"]), item["prediction_id"]
            ),
        }
        for item in items
    ]
    with pytest.raises(InvalidArgumentError, match=message):
        client.predictions.feedback("churn", items)
    assert FeedbackLog(root).read("churn").num_rows == 0


@pytest.mark.parametrize("name", ["../x", "..", "a b", "x" * 300])
def test_hostile_names_and_ids_are_refused(door: tuple[Client, str], name: str) -> None:
    client, _ = door
    with pytest.raises(InvalidArgumentError, match="Invalid deployment name"):
        client.predictions.get(new_prediction_id(), name)
    with pytest.raises(InvalidArgumentError, match="Invalid deployment name"):
        client.predictions.query(name, 0, 1)
    with pytest.raises(InvalidArgumentError, match="Invalid prediction ID"):
        client.predictions.get(name, "churn")
    with pytest.raises(InvalidArgumentError, match="limit"):
        client.predictions.query("churn", 0, 1, limit=0)


@pytest.mark.server
def test_rest_through_a_real_server(tmp_path: Path, make_record: MakeRecord) -> None:
    artifacts = tmp_path / "artifacts"
    records = _recent(make_record, 5)
    with running_server(f"sqlite:///{tmp_path / 'db.sqlite'}", artifacts) as url:
        _log(os.path.abspath(artifacts / "predictions"), records)
        api = f"{url}/api/v1"
        one = httpx.get(f"{api}/deployments/churn/predictions/{records[1].prediction_id}")
        assert one.status_code == 200 and one.json()["inputs"] == records[1].inputs
        anywhere = httpx.get(f"{api}/predictions/{records[2].prediction_id}")
        assert anywhere.json()["prediction_id"] == records[2].prediction_id
        assert httpx.get(f"{api}/predictions/{new_prediction_id()}").status_code == 404
        assert httpx.get(f"{api}/predictions/not-an-id").status_code == 400
        assert httpx.get(
            f"{api}/deployments/..%2Fx/predictions/{new_prediction_id()}"
        ).status_code in (400, 404)
        page = httpx.get(
            f"{api}/deployments/churn/predictions",
            params={"start": records[0].time_ms, "end": records[-1].time_ms + 1, "limit": 2},
        )
        assert page.status_code == 200
        assert [p["prediction_id"] for p in page.json()["predictions"]] == [
            r.prediction_id for r in records[:2]
        ]
        assert page.json()["truncated"] is True
        bad = httpx.get(
            f"{api}/deployments/churn/predictions", params={"start": 0, "end": 1, "limit": 10**6}
        )
        assert bad.status_code == 400
        huge = httpx.post(
            f"{api}/deployments/churn/feedback",
            json={"items": [{"prediction_id": "../x", "labels": [1]}] * 3},
        )
        assert huge.status_code == 400 and "../x" in huge.json()["error"]["message"]
        sent = httpx.post(
            f"{api}/deployments/churn/feedback",
            json={"items": [{"prediction_id": records[0].prediction_id, "labels": [0]}]},
        )
        assert sent.status_code == 200 and sent.json() == {"accepted": 1, "unknown": []}


def test_cli_show_query_and_feedback(
    tmp_path: Path, make_record: MakeRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    client = Client(uri)
    root = f"{client._backend.ctx.blobs.root}/predictions"  # type: ignore[attr-defined]
    records = _recent(make_record, 4)
    records[2] = dataclasses.replace(
        records[2],
        route="shadow",
        shadow_of=records[1].prediction_id,
        inputs={"x": np.array([[0.1, 2.0]], dtype=np.float32), "city": ["Oslo"]},  # type: ignore[dict-item]
    )
    write_part(Path(root), old_table(records[:1]))  # a file written before the tensor columns
    _log(root, records[1:])
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--tracking-uri", uri])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = json.loads(run("predictions", "show", records[0].prediction_id, "--json"))
    assert shown["inputs"] == records[0].inputs
    assert records[1].prediction_id in run(
        "predictions", "show", records[1].prediction_id, "-d", "churn"
    )
    shadow = json.loads(run("predictions", "show", records[2].prediction_id, "--json"))
    assert shadow["shadow_of"] == records[1].prediction_id
    assert shadow["inputs"] == {"x": [[float(np.float32(0.1)), 2.0]], "city": ["Oslo"]}
    assert records[1].prediction_id in run("predictions", "show", records[2].prediction_id)
    assert "shadow_of" not in run("predictions", "show", records[1].prediction_id)
    listed = json.loads(run("predictions", "query", "churn", "--since", "2h", "--json"))
    assert [p["prediction_id"] for p in listed["predictions"]] == [r.prediction_id for r in records]
    assert [p["shadow_of"] for p in listed["predictions"]][1:3] == [None, records[1].prediction_id]
    out = tmp_path / "out.parquet"
    run("predictions", "query", "churn", "--since", "2h", "--limit", "3", "--output", str(out))
    written = pq.read_table(out)
    assert written.num_rows == 3 and "input_tensors" not in written.column_names
    assert [json.loads(text) for text in written.column("inputs").to_pylist()] == [
        records[0].inputs,
        records[1].inputs,
        shadow["inputs"],
    ]
    labels = tmp_path / "labels.csv"
    unknown = new_prediction_id()
    labels.write_text(
        f"prediction_id,label\n{records[0].prediction_id},1\n{records[1].prediction_id},0\n"
        f"{unknown},yes\n"
    )
    sent = json.loads(run("predictions", "feedback", "churn", "--file", str(labels), "--json"))
    assert sent == {"accepted": 3, "unknown": [unknown]}
    refused = runner.invoke(app, ["predictions", "show", "../x", "--tracking-uri", uri])
    assert refused.exit_code != 0 and "Invalid prediction ID" in refused.output
