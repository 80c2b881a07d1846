"""The monitor's performance check: validation, breaches, coverage, estimates and bad data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    list_alerts,
    profile_from,
    run_monitor,
    save_profile,
)

from .perf_data import predictions


@pytest.fixture
def world(ctx: ServiceContext, tmp_path: Path) -> dict[str, Any]:
    """A profile, 1200 predictions (the last 400 badly wrong) and a labelled reference."""
    reference = predictions(1200, seed=1)
    save_profile(ctx, profile_from(reference[["x", "proba"]]), "ref")
    good, bad = predictions(800, seed=2), predictions(400, seed=3, flip=0.45)
    current = pd.concat([good, bad], ignore_index=True)
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    return {"current": current, "dir": tmp_path}


def _labels(world: dict[str, Any], rows: slice, name: str = "labels.csv") -> str:
    path = world["dir"] / name
    world["current"].iloc[rows][["id", "label"]].to_csv(path, index=False)
    return str(path)


def _monitor(ctx: ServiceContext, world: dict[str, Any], **perf: Any) -> str:
    config = {
        "task": "binary",
        "id_column": "id",
        "prediction": "pred",
        "scores": "proba",
        "labels": str(world["dir"] / "labels.csv"),
        "bounds": {"accuracy": 0.75},
        "min_labels": 100,
        **perf,
    }
    create_monitor(
        ctx,
        "perf",
        str(world["dir"] / "preds.csv"),
        "ref",
        chunking={"size": 400},
        performance=config,
    )
    return "perf"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bounds": {"mae": 1.0}}, "Unknown metric 'mae' for a binary task"),
        ({"bounds": {"accuracy": float("inf")}}, "finite"),
        ({"bounds": {"accuracy": "high"}}, "must be a number"),
        ({"id_column": None}, "needs 'id_column'"),
        ({"task": "ranking"}, "task must be one of"),
        ({"labels": ""}, "needs 'labels'"),
        ({"task": "regression", "scores": None, "prediction": None}, "needs 'prediction'"),
        ({"task": "regression", "scores": None, "reference": "dataset:r"}, "classifiers"),
        ({"scores": None, "reference": "dataset:r"}, "needs 'scores'"),
        ({"task": "multiclass", "scores": "p"}, "maps each class"),
        ({"classes": [0, 1, 2]}, "exactly two"),
        ({"min_labels": 0}, "min_labels"),
        ({"colour": "red"}, "Unknown performance settings"),
    ],
)
def test_invalid_performance_configurations_are_refused(
    ctx: ServiceContext, world: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _monitor(ctx, world, **config)


def test_performance_check_without_configuration_is_refused(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a performance configuration"):
        create_monitor(ctx, "m", str(world["dir"] / "preds.csv"), "ref", checks=["performance"])


def test_label_sources_obey_the_server_data_roots(
    ctx: ServiceContext, world: dict[str, Any], tmp_path: Path
) -> None:
    import dataclasses

    from mlsteward.services.outbound_access import OutboundAccess

    rules = OutboundAccess(monitor_data_roots=(str(world["dir"]),))
    limited = dataclasses.replace(ctx, outbound=rules)
    with pytest.raises(PermissionDeniedError, match="monitor-data-root"):
        _monitor(limited, world, labels="/etc/passwd")
    with pytest.raises(PermissionDeniedError, match="monitor-data-root"):
        _monitor(limited, world, reference="/etc/*.csv")


def test_realized_breach_opens_one_critical_alert_and_resolves_when_fixed(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    _labels(world, slice(None))  # every prediction labelled
    _monitor(ctx, world)
    first = run_monitor(ctx, "perf")
    assert first.run.status == "ok"
    perf = first.run.summary["performance"]
    assert (perf["n_predictions"], perf["n_labelled"]) == (1200, 1200)
    assert [w["breached"] for w in perf["windows"]] == [[], [], ["accuracy"]]
    opened = [a for a in first.opened if a.check == "performance"]
    assert [(a.column, a.severity) for a in opened] == [("accuracy", "critical")]
    evidence = opened[0].evidence
    assert evidence["rule"] == "accuracy >= 0.75" and evidence["n_windows"] == 1
    assert evidence["windows"][0]["window"] == "[800:1200]"
    assert evidence["worst"] < 0.75 and evidence["windows"][0]["n_labelled"] == 400

    again = run_monitor(ctx, "perf")  # same breach: counted, not reopened
    assert not [a for a in again.opened if a.check == "performance"]
    (alert,) = list_alerts(ctx, "perf", "open")
    assert alert.count == 2 and alert.check == "performance"

    # The wrong labels are corrected: the check passes and the alert resolves.
    fixed = world["current"].copy()
    fixed.loc[800:, "label"] = fixed.loc[800:, "pred"]
    fixed[["id", "label"]].to_csv(world["dir"] / "labels.csv", index=False)
    third = run_monitor(ctx, "perf")
    assert [a.column for a in third.resolved] == ["accuracy"]
    assert list_alerts(ctx, "perf", "open") == []


def test_chunks_with_too_few_labels_are_not_judged(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    # Labels for the good chunks and only 60 (< min_labels) of the bad one.
    _labels(world, slice(0, 860))
    _monitor(ctx, world)
    result = run_monitor(ctx, "perf")
    perf = result.run.summary["performance"]
    assert [(w["n_labelled"], w["n_predictions"]) for w in perf["windows"]] == [
        (400, 400),
        (400, 400),
        (60, 400),
    ]
    assert [w["judged"] for w in perf["windows"]] == [True, True, False]
    assert perf["windows"][2]["realized"]["accuracy"] < 0.75  # bad, but not judged
    assert not [a for a in result.opened if a.check == "performance"]
    assert "860 of 1200 predictions labelled" in (result.run.message or "")
    assert "2 of 3 window(s)" in (result.run.message or "")


def test_no_labels_yet_is_not_an_error(ctx: ServiceContext, world: dict[str, Any]) -> None:
    _monitor(ctx, world, labels=str(world["dir"] / "labels-*.csv"))
    result = run_monitor(ctx, "perf")
    assert result.run.status == "ok"
    assert "0 of 1200 predictions labelled" in (result.run.message or "")
    assert result.run.summary["performance"]["n_labelled"] == 0
    assert result.run.summary["n_columns_tested"] > 0  # drift ran on the predictions


def test_estimates_beside_realized_and_band_breach_is_a_warning(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    _labels(world, slice(0, 400))
    _monitor(
        ctx,
        world,
        reference=str(world["dir"] / "reference.csv"),
        bounds={"accuracy": 0.97, "roc_auc": 0.5},
    )
    result = run_monitor(ctx, "perf")
    perf = result.run.summary["performance"]
    assert perf["estimated"] is True
    band = perf["windows"][2]["estimated"]["accuracy"]
    assert band["upper"] < 0.97  # the whole band below the bound: a warning per metric
    found = {(a.check, a.column): a.severity for a in result.opened}
    assert found[("performance_estimate", "accuracy")] == "warning"
    assert found[("performance", "accuracy")] == "critical"  # the labelled chunk, realized
    assert ("performance_estimate", "roc_auc") not in found
    # The stored report has the performance section: estimates with realized beside them.
    doc = json.loads(ctx.blobs.read_bytes(result.run.json_digest or "").decode())
    assert doc["performance"]["chunks"][0]["metrics"][0]["realized"] is not None
    assert doc["performance_check"]["windows"][0]["n_labelled"] == 400
    html = ctx.blobs.read_bytes(result.run.report_digest or "").decode()
    assert "Performance with late labels" in html and "accuracy &gt;= 0.97" in html


def test_reference_that_cannot_calibrate_is_a_message(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    _labels(world, slice(None))
    _monitor(ctx, world, reference=str(world["dir"] / "reference.csv"), reference_label="truth")
    result = run_monitor(ctx, "perf")
    assert result.run.status == "ok"
    assert "no performance estimates" in (result.run.message or "")
    assert result.run.summary["performance"]["estimated"] is False
    assert [a.column for a in result.opened if a.check == "performance"] == ["accuracy"]


@pytest.mark.parametrize(
    ("labels_csv", "message"),
    [
        ("id,truth\n1,0\n", "labels have no column 'label'"),
        ("key,label\n1,0\n", "labels have no id column 'id'"),
    ],
)
def test_bad_labels_are_a_message_drift_still_runs_and_alerts_stay(
    ctx: ServiceContext, world: dict[str, Any], labels_csv: str, message: str
) -> None:
    _labels(world, slice(None))
    _monitor(ctx, world)
    assert [a.check for a in run_monitor(ctx, "perf").opened if a.check == "performance"]
    (world["dir"] / "labels.csv").write_text(labels_csv)
    result = run_monitor(ctx, "perf")
    assert result.run.status == "ok" and result.run.report_digest is not None
    assert message in (result.run.message or "")
    assert "performance check failed" in result.run.summary["performance"]["error"]
    assert result.run.summary["n_columns_tested"] > 0  # drift checks ran
    # "Could not tell" is not "fine": the open performance alert is not resolved.
    assert not [a for a in result.resolved if a.check == "performance"]
    assert [a.check for a in list_alerts(ctx, "perf", "open")] == ["performance"]


def test_unparsable_regression_values_are_a_message(ctx: ServiceContext, tmp_path: Path) -> None:
    save_profile(ctx, profile_from(pd.DataFrame({"yhat": [1.0, 2.0, 3.0] * 50})), "reg")
    pd.DataFrame({"rid": range(150), "yhat": [1.0, 2.0, 3.0] * 50}).to_csv(
        tmp_path / "p.csv", index=False
    )
    pd.DataFrame({"rid": range(150), "label": ["n/a", "x", "y"] * 50}).to_csv(
        tmp_path / "l.csv", index=False
    )
    config = {
        "task": "regression",
        "id_column": "rid",
        "prediction": "yhat",
        "labels": str(tmp_path / "l.csv"),
        "bounds": {"mae": 0.5},
    }
    create_monitor(ctx, "reg", str(tmp_path / "p.csv"), "reg", performance=config)
    result = run_monitor(ctx, "reg")
    assert result.run.status == "ok" and result.run.summary["n_columns_tested"] == 1
    message = result.run.message or ""
    assert "performance check failed" in message
    assert "'label' (labels): expected numbers" in message and "'x'" in message
    assert not [a for a in result.opened if a.check == "performance"]


def test_run_event_carries_the_counts_not_every_window(
    ctx: ServiceContext, world: dict[str, Any]
) -> None:
    from mlsteward.services.monitoring import list_events

    _labels(world, slice(0, 500))
    _monitor(ctx, world)
    run_monitor(ctx, "perf")
    (event,) = list_events(ctx, 0, 100, ["monitor.run"])
    perf = event.payload["performance"]
    assert perf["n_labelled"] == 500 and perf["breaches"] == []
    assert "windows" not in perf
