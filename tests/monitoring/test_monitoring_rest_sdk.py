"""The REST API through a real server process, and the SDK's HTTP backend against it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

import mlsteward
import mlsteward.monitoring as mon
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError

from .conftest import Receiver, frames


def test_sdk_over_http_profiles_monitors_alerts_events_and_reports(
    remote: str, api: httpx.Client, tmp_path: Path, receiver: Receiver
) -> None:
    with mlsteward.start_run() as run:
        mon.build_reference_profile(frames(), "http-ref", run_id=run.info.run_id)
        report = mon.drift_report("http-ref", frames(shift=1.0, seed=1), chunk_by=500)
        assert mon.log_report(report, "daily") == [
            "monitoring/daily.html",
            "monitoring/daily.json",
        ]
        run_id = run.info.run_id
    assert "http-ref" in [p.name for p in mon.list_reference_profiles()]
    page = api.get(f"/runs/{run_id}/reports/daily")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "<script" not in page.text

    frames(n=800, shift=1.0, seed=2).to_csv(tmp_path / "now.csv", index=False)
    mon.create_monitor(
        "http-m", str(tmp_path / "now.csv"), "http-ref", webhooks=[receiver.url], drift_share=0.3
    )
    assert mon.get_monitor("http-m").webhooks == [receiver.url]
    before = mon.list_events()
    result = mon.run_monitor("http-m")
    assert result["run"].drifted and result["opened"]
    assert len(receiver.requests) == len(result["opened"])
    assert {a.monitor for a in mon.list_alerts("http-m", "open")} == {"http-m"}
    since = before[-1].seq if before else 0
    new_types = {e.event_type for e in mon.list_events(since=since)}
    assert new_types == {"monitor.run", "alert.opened"}
    html = api.get(f"/monitor-runs/{result['run'].run_id}/report")
    assert html.status_code == 200 and "Monitor http-m" in html.text
    assert [r.run_id for r in mon.list_monitor_runs("http-m")] == [result["run"].run_id]
    assert "http-m" in [m.name for m in mon.list_monitors()]
    mon.delete_monitor("http-m")
    with pytest.raises(NotFoundError):
        mon.get_monitor("http-m")
    with pytest.raises(InvalidArgumentError):
        mon.create_monitor("bad", "x.csv", "http-ref", checks=["nope"])


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/monitors/nobody", None, 404),
        ("GET", "/profiles/nobody", None, 404),
        ("POST", "/monitors/nobody/run", None, 404),
        ("GET", "/monitor-runs/nothing/report", None, 404),
        ("POST", "/profiles", {"name": "p", "profile": {"format": 99}}, 400),
        ("POST", "/profiles", {"name": "p"}, 400),
        ("POST", "/monitors", {"name": "m", "target": "x", "profile": "nobody"}, 404),
        ("GET", "/events?since=-1", None, 400),
        ("GET", "/events?type=nonsense", None, 400),
        ("GET", "/alerts?status=sideways", None, 400),
    ],
)
def test_bad_requests_are_4xx_with_an_error_body(
    api: httpx.Client, method: str, path: str, body: object, status: int
) -> None:
    response = api.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]


def test_performance_check_over_http(remote: str, api: httpx.Client, tmp_path: Path) -> None:
    from .perf_data import predictions

    current = predictions(600, seed=3, flip=0.45)
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    current.iloc[:500][["id", "label"]].to_csv(tmp_path / "labels.csv", index=False)
    mon.build_reference_profile(predictions(600, seed=1)[["x", "proba"]], "perf-ref")
    config = {
        "task": "binary",
        "id_column": "id",
        "prediction": "pred",
        "scores": "proba",
        "labels": str(tmp_path / "labels.csv"),
        "bounds": {"accuracy": 0.75},
    }
    created = mon.create_monitor(
        "http-perf", str(tmp_path / "preds.csv"), "perf-ref", performance=config
    )
    assert created.performance is not None and created.performance["min_labels"] == 50
    assert "performance" in created.checks
    raw = api.get("/monitors/http-perf").json()
    assert raw["performance"]["bounds"] == {"accuracy": 0.75}
    assert raw["performance"]["labels"] == str(tmp_path / "labels.csv")
    result = mon.run_monitor("http-perf")
    assert "500 of 600 predictions labelled" in (result["run"].message or "")
    assert [(a.check, a.column) for a in result["opened"] if a.check == "performance"] == [
        ("performance", "accuracy")
    ]
    page = api.get(f"/monitor-runs/{result['run'].run_id}/report").text
    assert "Performance with late labels" in page
    mon.delete_monitor("http-perf")


_PERF = {"task": "binary", "id_column": "id", "prediction": "pred", "labels": "dataset:l"}


@pytest.mark.parametrize(
    ("performance", "status", "needle"),
    [
        ({**_PERF, "bounds": {"mae": 1}}, 400, "Unknown metric 'mae'"),
        ({**_PERF, "bounds": {"accuracy": "high"}}, 400, "bounds"),
        ({**_PERF, "task": "ranking"}, 400, "task"),
        ({**_PERF, "colour": "red"}, 400, "colour"),
        ({k: v for k, v in _PERF.items() if k != "id_column"}, 400, "id_column"),
        ({**_PERF, "labels": "/etc/passwd"}, 403, "monitor-data-root"),
        ({**_PERF, "min_labels": 0}, 400, "min_labels"),
        ("binary", 400, "performance"),
    ],
)
def test_bad_performance_configurations_are_4xx(
    remote: str, api: httpx.Client, performance: object, status: int, needle: str
) -> None:
    mon.build_reference_profile(frames(n=200), "perf-bad-ref")
    body = {"name": "bad-perf", "target": "dataset:x", "profile": "perf-bad-ref"}
    response = api.post("/monitors", json={**body, "performance": performance})
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]["message"]


def test_non_finite_bound_is_400(remote: str, api: httpx.Client) -> None:
    mon.build_reference_profile(frames(n=200), "perf-nan-ref")
    body = {"name": "nan-perf", "target": "dataset:x", "profile": "perf-nan-ref"}
    text = json.dumps({**body, "performance": {**_PERF, "bounds": {"accuracy": float("nan")}}})
    response = api.post("/monitors", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "finite" in response.json()["error"]["message"]
